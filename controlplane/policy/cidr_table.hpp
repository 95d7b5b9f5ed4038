#pragma once
// A compiled set of CIDR prefixes (IPv4 and IPv6) answering "which entry covers this address?"
// in O(log n) with no allocation: the prefixes are flattened at compile time into sorted,
// disjoint address ranges, each labelled with the smallest value of the prefixes that cover it
// (value = rule or trunk index, so "smallest" is "first in file order"). A binary search over the
// range starts finds the label. 100,000 prefixes become at most 200,001 ranges per family
// (perf/policy_bench measures build and lookup).
//
// Threading: built once by the compiling thread, then immutable; lookups from any thread.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <utility>
#include <vector>

#include "controlplane/policy/cidr.hpp"

namespace sbc::policy {

__extension__ typedef unsigned __int128 U128;

class CidrTable {
  public:
    static constexpr std::int32_t kNone = -1;

    // Entries may overlap and repeat; values must be >= 0.
    void build(const std::vector<std::pair<Cidr, std::int32_t>>& entries);

    // The smallest value of the prefixes containing `a`, or kNone. IPv4-mapped IPv6 addresses
    // (::ffff:a.b.c.d) are looked up as IPv4.
    std::int32_t lookup(const boost::asio::ip::address& a) const noexcept;
    std::int32_t lookupV4(std::uint32_t a) const noexcept;
    std::int32_t lookupV6(U128 a) const noexcept;

    // True when every address of `c` has a value (is covered by some entry).
    bool covers(const Cidr& c) const noexcept;

    std::size_t ranges() const noexcept { return v4Starts_.size() + v6Starts_.size(); }
    bool empty() const noexcept { return empty_; }

  private:
    std::vector<std::uint32_t> v4Starts_;
    std::vector<std::int32_t> v4Values_;
    std::vector<U128> v6Starts_;
    std::vector<std::int32_t> v6Values_;
    bool empty_ = true;
};

}  // namespace sbc::policy
