#pragma once
// Per-source-address state (token buckets, failure counts) in a fixed-capacity table: sized once
// when the policy is installed, never grown, so a flood from millions of spoofed sources costs
// bounded memory. 4-way set-associative; a new source evicts the least recently seen entry of its
// set (counted). No allocation on lookup.
//
// Threading: owned by the io_context thread (the PolicyGate).
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <vector>

#include "controlplane/policy/token_bucket.hpp"

namespace sbc::policy {

// An address as 16 bytes (IPv4 as IPv4-mapped IPv6), the key of per-source tables.
struct AddressKey {
    std::array<std::uint8_t, 16> bytes{};
    static AddressKey of(const boost::asio::ip::address& a) noexcept;
    friend bool operator==(const AddressKey&, const AddressKey&) = default;
    std::uint64_t hash() const noexcept;
};

struct SourceState {
    AddressKey key;
    std::int64_t lastSeenNs = 0;
    bool used = false;
    TokenBucket requests;
    TokenBucket invite;
    TokenBucket reg;
    // Failures counted towards a ban within the ban window.
    std::int64_t windowStartNs = 0;
    std::uint32_t authFailures = 0;
    std::uint32_t unknownUser = 0;
};

class SourceTable {
  public:
    static constexpr std::size_t kWays = 4;

    explicit SourceTable(std::size_t capacity);

    // The entry of `key`, created (evicting the oldest of its set) if absent.
    SourceState& touch(const AddressKey& key, std::int64_t nowNs) noexcept;
    // The entry of `key` or nullptr.
    SourceState* find(const AddressKey& key) noexcept;

    std::size_t capacity() const noexcept { return entries_.size(); }
    std::size_t used() const noexcept { return used_; }
    std::uint64_t evictions() const noexcept { return evictions_; }

  private:
    std::vector<SourceState> entries_;
    std::size_t sets_;
    std::size_t used_ = 0;
    std::uint64_t evictions_ = 0;
    std::uint64_t seed_;
};

}  // namespace sbc::policy
