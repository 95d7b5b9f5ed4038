#pragma once
// The flow record shared by the control thread and the lcores.
//
// Ownership: a Flow slot is written by the control thread only while it is not published (before
// its hash keys are added, after they are removed and an RCU grace period has passed). While
// published, its identity fields are read-only, and everything else (remotes, latch state,
// counters, RTP state) is written only by the owning lcore (`owner`), which applies control
// changes it receives as FlowCommands through its SPSC ring. The control thread reads counters
// with relaxed loads (counters.hpp).
#include <rte_common.h>

#include <cstdint>

#include "api/dataplane_protocol.hpp"

namespace sbc::dataplane {

// Hash key: a local address and UDP port on one interface. 8-byte aligned (rte_hash_crc reads
// it in 8-byte words), no implicit padding; keys are zeroed before they are filled.
struct alignas(8) FlowKey {
    std::uint8_t addr[16];   // IPv4 in the first 4 bytes, rest zero
    std::uint16_t port;      // network byte order
    std::uint8_t family;     // 4 or 6
    std::uint8_t iface;      // interface index
    std::uint32_t reserved;  // zero
};
static_assert(sizeof(FlowKey) == 24);

// Hash data: which flow, which end, and whether the key is an RTCP-only port.
inline std::uintptr_t flowKeyData(std::uint32_t slot, unsigned end, bool rtcpPort) noexcept {
    return (static_cast<std::uintptr_t>(slot) << 2) | (end << 1) | (rtcpPort ? 1u : 0u);
}
inline std::uint32_t keyDataSlot(std::uintptr_t d) noexcept {
    return static_cast<std::uint32_t>(d >> 2);
}
inline unsigned keyDataEnd(std::uintptr_t d) noexcept {
    return (d >> 1) & 1u;
}
inline bool keyDataRtcp(std::uintptr_t d) noexcept {
    return (d & 1u) != 0;
}

// RFC 3550 A.1 / A.8 receiver state of one end's RTP stream.
struct RtpReceiveState {
    std::uint32_t ssrc = 0;
    std::uint32_t cycles = 0;       // sequence number wraps × 65536
    std::uint32_t baseSeq = 0;      // extended seq of the first packet since (re)start
    std::uint16_t maxSeq = 0;       // highest seq seen
    bool started = false;           // a packet of this SSRC has been seen
    std::uint32_t lastTransit = 0;  // A.8: arrival - timestamp of the previous packet
    std::uint32_t jitterQ4 = 0;     // A.8: jitter × 16
    std::uint64_t received = 0;     // packets since (re)start
    std::uint64_t lostBefore = 0;   // loss accumulated before the last (re)start
};

struct EndState {
    // identity: fixed while published
    std::uint8_t iface = 0;
    std::uint8_t family = 4;
    bool rtcpMux = false;
    std::uint8_t localIp[16] = {};
    std::uint16_t localRtpPort = 0;   // network order
    std::uint16_t localRtcpPort = 0;  // network order; == localRtpPort with rtcp-mux

    // configuration, applied by the owning lcore
    dpapi::LatchMode latch = dpapi::LatchMode::AnySource;
    bool hasConfiguredRemote = false;
    std::uint8_t configuredIp[16] = {};
    std::uint16_t configuredRtpPort = 0;   // network order
    std::uint16_t configuredRtcpPort = 0;  // network order (derived: RTP + 1, or RTP with mux)
    std::uint64_t tsMultiplier = 0;        // (clockRate << 40) / TSC Hz, for A.8 arrival times

    // where packets for this side go now (configured or latched)
    bool hasRemote = false;
    bool rtpLatched = false;
    bool rtcpLatched = false;
    std::uint8_t remoteIp[16] = {};
    std::uint16_t remoteRtpPort = 0;   // network order
    std::uint16_t remoteRtcpPort = 0;  // network order
    std::uint8_t nextHop[16] = {};     // remote itself when on-link, else the gateway
    bool hasNextHop = false;

    // counters of packets that arrived at this end (EndStats; lastSeen as TSC)
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint64_t rtcpPackets = 0;
    std::uint64_t rtcpBytes = 0;
    std::uint64_t lastSeenTsc = 0;
    std::uint64_t dropsNotRtp = 0;
    std::uint64_t dropsLatch = 0;
    std::uint64_t dropsNoRemote = 0;
    std::uint64_t dropsNoNeighbour = 0;
    std::uint64_t dropsTxFull = 0;
    RtpReceiveState rtp;
};

struct alignas(RTE_CACHE_LINE_SIZE) Flow {
    std::uint64_t flowId = 0;       // 0 = free slot
    std::uint32_t incarnation = 0;  // bumped on every reuse of the slot
    std::uint32_t owner = 0;        // worker index
    EndState end[2];
};

// A change the control thread hands to a flow's owning lcore (FlowCommand ring).
struct EndConfig {
    dpapi::LatchMode latch = dpapi::LatchMode::AnySource;
    bool hasRemote = false;
    std::uint8_t ip[16] = {};
    std::uint16_t rtpPort = 0;   // network order
    std::uint16_t rtcpPort = 0;  // network order, derived
    std::uint64_t tsMultiplier = 0;
    bool resetRemote = false;  // the configured remote changed: drop the latched one
};

struct FlowCommand {
    std::uint32_t slot = 0;
    std::uint32_t incarnation = 0;
    std::uint64_t flowId = 0;
    EndConfig end[2];
};

}  // namespace sbc::dataplane
