#pragma once
// A bounded IPv4/IPv6 neighbour table (ARP, RFC 826; IPv6 ND, RFC 4861) of one interface.
//
// Threading: read and written by every lcore, without locks. Each entry is a seqlock whose
// writer claims it with a compare-and-swap; a writer that finds the entry claimed by another
// lcore skips its update (it is a cache refresh; the next ARP/ND packet repeats it). Readers
// retry a torn read a few times and then treat it as a miss. Open addressing with a short probe
// sequence; a full neighbourhood is counted (neighbour_table_full), never grown.
#include <rte_ether.h>

#include <cstdint>
#include <memory>

namespace sbc::dataplane {

class NeighbourTable {
  public:
    explicit NeighbourTable(std::uint32_t capacity);
    ~NeighbourTable();
    NeighbourTable(const NeighbourTable&) = delete;
    NeighbourTable& operator=(const NeighbourTable&) = delete;

    // The MAC of `ip` if resolved (and not older than the reachable time).
    bool lookup(std::uint8_t family, const std::uint8_t* ip, rte_ether_addr& mac,
                std::uint64_t now) const noexcept;

    // Records a resolved MAC. Returns false when the table had no room (or a writer race).
    enum class Update { Stored, Full, Busy };
    Update learn(std::uint8_t family, const std::uint8_t* ip, const rte_ether_addr& mac,
                 std::uint64_t now) noexcept;

    // Whether a request for `ip` should be sent now (at most one per retry interval per
    // address, across all lcores); marks the attempt. False also when the table is full.
    bool shouldRequest(std::uint8_t family, const std::uint8_t* ip, std::uint64_t now) noexcept;

    // Whether `ip` is in the table (resolved or pending): RFC 826 merge rule.
    bool contains(std::uint8_t family, const std::uint8_t* ip) const noexcept;

    std::uint32_t capacity() const noexcept { return mask_ + 1; }

  private:
    struct Entry;
    Entry* find(std::uint8_t family, const std::uint8_t* ip, bool create) noexcept;
    const Entry* findConst(std::uint8_t family, const std::uint8_t* ip) const noexcept;
    static std::uint32_t hash(std::uint8_t family, const std::uint8_t* ip) noexcept;

    std::unique_ptr<Entry[]> entries_;
    std::uint32_t mask_ = 0;
    std::uint64_t reachableTsc_ = 0;  // a resolved entry is trusted this long (RFC 4861 §6.3.2)
    std::uint64_t retryTsc_ = 0;      // minimum gap between requests for one address
};

}  // namespace sbc::dataplane
