#pragma once
// One polling lcore: the run-to-completion media relay (DESIGN.md "Data plane").
//
// pollOnce(): apply queued FlowCommands (SPSC ring from the control thread), take packets handed
// over by other lcores, then per interface: rx burst → parse Ethernet/VLAN/IPv4/IPv6/UDP (ARP,
// ICMP echo and ND answered on the way) → bulk rte_hash lookup → RTP/RTCP sanity → latch → per-flow
// counters (RFC 3550 A.1 loss, A.8 jitter) → rewrite addresses, ports, MACs and checksums → tx.
//
// Threading: a Worker is owned by one lcore (or, in unit tests, by the test thread calling
// poll()). It reads the flow hash lock-free and reports RCU quiescent states between bursts; it
// is the only writer of its counters, its flows' mutable state and its TX buffers.
// Nothing here allocates (except mbufs from the pool), locks, logs or throws.
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <cstdint>
#include <vector>

#include "dataplane/counters.hpp"
#include "dataplane/flow.hpp"
#include "dataplane/interface.hpp"

namespace sbc::dataplane {

inline constexpr std::uint16_t kBurst = 32;

// What every worker shares, read-only after start.
struct WorkerContext {
    Interface* interfaces = nullptr;
    unsigned interfaceCount = 0;
    std::uint8_t portToInterface[RTE_MAX_ETHPORTS] = {};  // port id -> interface index
    rte_hash* flowHash = nullptr;
    Flow* flows = nullptr;
    rte_mempool* pool = nullptr;  // for ARP/ND requests
    rte_rcu_qsbr* rcu = nullptr;
    rte_ring** handoff = nullptr;  // per worker: mbufs of flows it owns, from other workers
    unsigned workerCount = 1;
    std::uint64_t tscHz = 0;
    std::uint32_t idleSleepUs = 0;
    std::uint32_t txDrainUs = 0;  // DataplaneConfig::txDrainUs
};

class alignas(RTE_CACHE_LINE_SIZE) Worker {
  public:
    // `queue` is the RX/TX queue this worker uses on every interface; `commands` its SPSC ring
    // of FlowCommand* (returned to `commandPool` once applied).
    Worker(unsigned index, const WorkerContext& ctx, rte_ring* commands, rte_mempool* commandPool);

    // One iteration; the caller reports quiescence (run() does, poll() does). Returns the
    // number of frames received.
    unsigned pollOnce() noexcept;
    // Test mode: online, one iteration, quiescent, offline (so the control thread never waits
    // for a test that is not polling).
    void poll() noexcept;
    // Lcore main loop until *stop becomes true.
    void run(const volatile bool* stop) noexcept;

    const LcoreCounters& counters() const noexcept { return counters_; }
    // The longest gap between two iterations of run() so far, in microseconds.
    std::uint64_t longestStallUs() const noexcept { return readCounter(longestStallUs_); }
    unsigned index() const noexcept { return index_; }

    // Exposed for fuzzing and unit tests: process frames as if received on `iface`.
    void processBurst(rte_mbuf** pkts, std::uint16_t n, std::uint8_t iface,
                      std::uint64_t now) noexcept;
    void flush() noexcept;

  private:
    struct Meta {
        rte_mbuf* m;
        std::uint16_t l2;     // Ethernet (+ VLAN) header length
        std::uint16_t l3;     // IP header length
        std::uint8_t family;  // 4 or 6
        std::uint8_t iface;
    };

    unsigned applyCommands() noexcept;
    void applyEndConfig(EndState& e, const EndConfig& c, std::uint64_t now) noexcept;
    void relay(const Meta& meta, std::uintptr_t keyData, std::uint64_t now) noexcept;
    void handleArp(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface, std::uint64_t now) noexcept;
    void handleIcmp4(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface) noexcept;
    void handleIcmp6(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface, std::uint64_t now) noexcept;
    void requestNeighbour(std::uint8_t iface, std::uint8_t family, const std::uint8_t* ip,
                          std::uint64_t now) noexcept;
    bool resolveNextHop(EndState& e) noexcept;
    void learn(std::uint8_t iface, std::uint8_t family, const std::uint8_t* ip,
               const rte_ether_addr& mac, std::uint64_t now) noexcept;
    void rtpReceived(EndState& e, const std::uint8_t* rtp, std::uint64_t now) noexcept;
    void send(std::uint8_t iface, rte_mbuf* m, EndState* accounted) noexcept;
    void drop(rte_mbuf* m, std::uint64_t& counter) noexcept;
    void writeL2(rte_mbuf* m, const Interface& out, const rte_ether_addr& dst,
                 std::uint16_t etherType) noexcept;

    unsigned index_;
    WorkerContext ctx_;
    rte_ring* commands_;
    rte_mempool* commandPool_;
    LcoreCounters counters_;
    struct TxBuffer {
        std::uint16_t count = 0;
        rte_mbuf* pkts[kBurst];
        EndState* ends[kBurst];  // whose dropsTxFull a failed send counts in (may be null)
    };
    std::vector<TxBuffer> tx_;  // per interface, sized at construction
    std::uint64_t relatchSilenceTsc_;
    std::uint64_t txDrainTsc_;          // 0: flush at the end of every iteration
    std::uint64_t txPendingSince_ = 0;  // TSC of the oldest frame held in tx_, 0 when none
    std::uint64_t longestStallUs_ = 0;  // written by the lcore, read by the control thread
};

}  // namespace sbc::dataplane
