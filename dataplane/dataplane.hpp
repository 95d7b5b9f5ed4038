#pragma once
// sbc-dataplane assembled: mbuf pool, media ports, flow hash and slots, RCU, command and handoff
// rings, the per-lcore Workers and the control-side FlowTable. Built after rte_eal_init() from
// the config; unit tests build it on ring-backed ports and poll workers by hand.
//
// Threading: constructed and destroyed on the main thread; workers() run on their lcores,
// flows() and stats() on the control thread.
#include <rte_hash.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <memory>
#include <vector>

#include "dataplane/config.hpp"
#include "dataplane/flow_table.hpp"
#include "dataplane/interface.hpp"
#include "dataplane/packet_socket_drops.hpp"
#include "dataplane/worker.hpp"

namespace sbc::dataplane {

class Dataplane {
  public:
    // Throws std::runtime_error with a message naming what failed (device, queue, memory).
    explicit Dataplane(const DataplaneConfig& cfg);
    ~Dataplane();
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    unsigned workerCount() const noexcept { return static_cast<unsigned>(workers_.size()); }
    Worker& worker(unsigned i) noexcept { return *workers_[i]; }
    FlowTable& flows() noexcept { return *flowTable_; }
    Interface& interface(unsigned i) noexcept { return interfaces_[i]; }
    unsigned interfaceCount() const noexcept { return static_cast<unsigned>(interfaces_.size()); }
    rte_mempool* pool() noexcept { return pool_; }
    const DataplaneConfig& config() const noexcept { return cfg_; }

    // Global counters summed over lcores, then the control counters, flows and flow_capacity.
    dpapi::StatsReply stats() const;

  private:
    void init();
    void release();
    void setupInterface(const InterfaceConfig& ic, std::uint8_t index);

    DataplaneConfig cfg_;
    rte_mempool* pool_ = nullptr;
    rte_mempool* commandPool_ = nullptr;
    rte_hash* hash_ = nullptr;
    Flow* flows_ = nullptr;
    rte_rcu_qsbr* rcu_ = nullptr;
    std::vector<rte_ring*> commandRings_;
    std::vector<rte_ring*> handoffRings_;
    std::vector<Interface> interfaces_;
    // Per interface: frames the kernel dropped in front of an af_packet port (read resets the
    // kernel's count, hence mutable: stats() accumulates).
    mutable std::vector<PacketSocketDrops> kernelDrops_;
    WorkerContext ctx_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::unique_ptr<FlowTable> flowTable_;
};

}  // namespace sbc::dataplane
