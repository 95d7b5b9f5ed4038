#pragma once
// The control side of the flow table: creates, re-claims, updates, deletes and lists flows, runs
// the resync and finds idle flows. Implements the semantics of dataplane/README.md.
//
// Threading: owned by the control thread. It is the only writer of the rte_hash (lock-free
// readers: the lcores) and of unpublished Flow slots; changes to a published flow go to its
// owning lcore as FlowCommands; deletes wait for an RCU grace period (rte_rcu_qsbr) before the
// slot and its hash positions are reused.
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "api/dataplane_protocol.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/flow.hpp"
#include "dataplane/interface.hpp"

namespace sbc::dataplane {

struct FlowTableSetup {
    Interface* interfaces = nullptr;
    unsigned interfaceCount = 0;
    rte_hash* hash = nullptr;
    Flow* flows = nullptr;
    std::uint32_t capacity = 0;
    std::vector<rte_ring*> commandRings;  // per worker, SPSC
    rte_mempool* commandPool = nullptr;
    rte_rcu_qsbr* rcu = nullptr;
    std::uint32_t defaultIdleTimeoutMs = 60000;
    std::uint64_t tscHz = 0;
    std::uint64_t bootTsc = 0;
    std::uint64_t bootUnixMs = 0;
    std::uint64_t bootId = 0;
};

class FlowTable {
  public:
    explicit FlowTable(FlowTableSetup setup);
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    dpapi::HelloReply hello(std::uint64_t generation);
    dpapi::Message create(const dpapi::FlowSpec& spec);
    dpapi::Message update(const dpapi::FlowSpec& spec);
    dpapi::Message remove(std::uint64_t flowId);
    // Deletes several flows with one RCU grace period; one reply per id, in order.
    std::vector<dpapi::Message> removeMany(const std::vector<std::uint64_t>& flowIds);
    dpapi::Message list(const dpapi::ListFlows& req) const;
    dpapi::Message resyncDone(std::uint64_t generation);
    // Flows idle for their timeout and not reported since their last packet.
    std::vector<dpapi::FlowIdleEvent> scanIdle(std::uint64_t nowTsc);

    std::uint32_t count() const noexcept { return static_cast<std::uint32_t>(byId_.size()); }
    std::uint32_t capacity() const noexcept { return setup_.capacity; }
    std::uint64_t generation() const noexcept { return generation_; }
    const ControlCounters& counters() const noexcept { return counters_; }
    ControlCounters& counters() noexcept { return counters_; }
    dpapi::EndStats endStats(const EndState& e) const noexcept;

  private:
    // What the control plane asked for, per end (the lcore holds the latched state).
    struct EndRequest {
        dpapi::LatchMode latch = dpapi::LatchMode::AnySource;
        dpapi::IpAddress remote;
        std::uint16_t remoteRtpPort = 0;
        std::uint16_t remoteRtcpPort = 0;  // as sent (0 = derived)
        std::uint32_t clockRate = 8000;
        bool operator==(const EndRequest&) const = default;
    };
    struct SlotInfo {
        std::uint64_t generation = 0;
        std::uint32_t idleTimeoutMs = 0;  // as requested (0 = default)
        bool idleReported = false;
        std::uint64_t createdTsc = 0;
        EndRequest end[2];
    };
    struct Resolved {  // a FlowSpec checked against our interfaces
        std::uint8_t iface[2];
    };

    dpapi::Message error(dpapi::ErrorCode code, std::string text);
    std::optional<dpapi::ErrorReply> resolve(const dpapi::FlowSpec& spec, Resolved& out) const;
    bool sameLocals(const Flow& f, const dpapi::FlowSpec& spec, const Resolved& r) const;
    FlowKey keyOf(const EndState& e, bool rtcp) const noexcept;
    EndConfig endConfig(const dpapi::FlowEnd& e, bool resetRemote) const noexcept;
    static EndRequest requestOf(const dpapi::FlowEnd& e);
    bool sendCommand(std::uint32_t slot, const dpapi::FlowSpec& spec, bool reset0, bool reset1);
    void waitGracePeriod();
    // Removes the hash keys of `slots`, waits one grace period, frees them.
    void unpublish(const std::vector<std::uint32_t>& slots);
    void release(std::uint32_t slot);
    dpapi::FlowSpec specOf(std::uint32_t slot) const;
    std::uint32_t pickOwner() const;

    FlowTableSetup setup_;
    std::uint64_t generation_ = 0;
    std::unordered_map<std::uint64_t, std::uint32_t> byId_;  // flow id -> slot
    std::vector<std::uint32_t> freeSlots_;
    std::vector<SlotInfo> info_;
    std::vector<std::uint32_t> ownerLoad_;  // flows per worker
    ControlCounters counters_;
};

}  // namespace sbc::dataplane
