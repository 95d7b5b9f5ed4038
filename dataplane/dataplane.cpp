#include "dataplane/dataplane.hpp"

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>

namespace sbc::dataplane {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + rte_strerror(rte_errno));
}

// The ethdev named `name` (rte_eth_dev_get_port_by_name misses ports made by
// rte_eth_from_rings under --no-shconf, so compare names directly).
std::optional<std::uint16_t> findPort(const std::string& name) {
    std::uint16_t id;
    RTE_ETH_FOREACH_DEV(id) {
        char n[RTE_ETH_NAME_MAX_LEN];
        if (rte_eth_dev_get_name_by_port(id, n) == 0 && name == n) {
            return id;
        }
    }
    return std::nullopt;
}

constexpr unsigned kCommandPoolSize = 8191;
constexpr unsigned kCommandRingSize = 8192;
constexpr unsigned kHandoffRingSize = 4096;

}  // namespace

Dataplane::Dataplane(const DataplaneConfig& cfg) : cfg_(cfg) {
    try {
        init();
    } catch (...) {
        release();
        throw;
    }
}

void Dataplane::init() {
    const int socket = static_cast<int>(rte_socket_id());
    const unsigned workers = cfg_.workers;
    pool_ =
        rte_pktmbuf_pool_create("sbc_mbufs", cfg_.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (pool_ == nullptr) {
        fail("cannot create the mbuf pool of " + std::to_string(cfg_.mbufs) + " mbufs");
    }
    interfaces_.resize(cfg_.interfaces.size());
    kernelDrops_.resize(cfg_.interfaces.size());
    for (std::size_t i = 0; i < cfg_.interfaces.size(); ++i) {
        setupInterface(cfg_.interfaces[i], static_cast<std::uint8_t>(i));
    }

    rte_hash_parameters hp{};
    hp.name = "sbc_flows";
    hp.entries = std::max<std::uint32_t>(cfg_.flowCapacity * 4, 64);
    hp.key_len = sizeof(FlowKey);
    hp.hash_func = rte_hash_crc;
    hp.socket_id = socket;
    hp.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    hash_ = rte_hash_create(&hp);
    if (hash_ == nullptr) {
        fail("cannot create the flow hash for " + std::to_string(hp.entries) + " keys");
    }
    void* mem = rte_zmalloc_socket("sbc_flow_slots", sizeof(Flow) * cfg_.flowCapacity,
                                   RTE_CACHE_LINE_SIZE, socket);
    if (mem == nullptr) {
        fail("cannot allocate " + std::to_string(cfg_.flowCapacity) + " flow slots");
    }
    std::uninitialized_default_construct_n(static_cast<Flow*>(mem), cfg_.flowCapacity);
    flows_ = static_cast<Flow*>(mem);
    for (std::uint32_t i = 0; i < cfg_.flowCapacity; ++i) {
        flows_[i].flowId = 0;
    }

    std::size_t rcuSize = rte_rcu_qsbr_get_memsize(workers);
    rcu_ = static_cast<rte_rcu_qsbr*>(
        rte_zmalloc_socket("sbc_rcu", rcuSize, RTE_CACHE_LINE_SIZE, socket));
    if (rcu_ == nullptr || rte_rcu_qsbr_init(rcu_, workers) != 0) {
        fail("cannot set up RCU");
    }
    commandPool_ = rte_mempool_create("sbc_cmds", kCommandPoolSize, sizeof(FlowCommand), 0, 0,
                                      nullptr, nullptr, nullptr, nullptr, socket, 0);
    if (commandPool_ == nullptr) {
        fail("cannot create the command pool");
    }
    for (unsigned w = 0; w < workers; ++w) {
        std::string n = "sbc_cmd" + std::to_string(w);
        rte_ring* r =
            rte_ring_create(n.c_str(), kCommandRingSize, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
        std::string h = "sbc_handoff" + std::to_string(w);
        rte_ring* hr = rte_ring_create(h.c_str(), kHandoffRingSize, socket, RING_F_SC_DEQ);
        if (r != nullptr) {
            commandRings_.push_back(r);
        }
        if (hr != nullptr) {
            handoffRings_.push_back(hr);
        }
        if (r == nullptr || hr == nullptr) {
            fail("cannot create the rings of worker " + std::to_string(w));
        }
        rte_rcu_qsbr_thread_register(rcu_, w);
    }

    ctx_.interfaces = interfaces_.data();
    ctx_.interfaceCount = static_cast<unsigned>(interfaces_.size());
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        ctx_.portToInterface[interfaces_[i].portId] = static_cast<std::uint8_t>(i);
    }
    ctx_.flowHash = hash_;
    ctx_.flows = flows_;
    ctx_.pool = pool_;
    ctx_.rcu = rcu_;
    ctx_.handoff = handoffRings_.data();
    ctx_.workerCount = workers;
    ctx_.tscHz = rte_get_tsc_hz();
    ctx_.idleSleepUs = cfg_.idleSleepUs;
    ctx_.txDrainUs = cfg_.txDrainUs;
    for (unsigned w = 0; w < workers; ++w) {
        workers_.push_back(std::make_unique<Worker>(w, ctx_, commandRings_[w], commandPool_));
    }

    FlowTableSetup fs;
    fs.interfaces = interfaces_.data();
    fs.interfaceCount = ctx_.interfaceCount;
    fs.hash = hash_;
    fs.flows = flows_;
    fs.capacity = cfg_.flowCapacity;
    fs.commandRings = commandRings_;
    fs.commandPool = commandPool_;
    fs.rcu = rcu_;
    fs.defaultIdleTimeoutMs = cfg_.idleTimeoutMs;
    fs.tscHz = ctx_.tscHz;
    fs.bootTsc = rte_rdtsc();
    fs.bootUnixMs =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    std::random_device rd;
    fs.bootId = (std::uint64_t{rd()} << 32) | rd();
    flowTable_ = std::make_unique<FlowTable>(std::move(fs));
}

void Dataplane::setupInterface(const InterfaceConfig& ic, std::uint8_t index) {
    Interface& in = interfaces_[index];
    in.name = ic.name;
    in.mtu = ic.mtu;
    in.vlan = ic.vlan;
    in.addresses = ic.addresses;
    in.gateway = ic.gateway;
    in.gateway6 = ic.gateway6;
    in.neighbours = std::make_unique<NeighbourTable>(cfg_.neighbourCapacity);

    // The device: an existing port of that name (e.g. made by rte_eth_from_rings or --vdev),
    // else hot-plugged from the device string.
    std::string name = ic.device.substr(0, ic.device.find(','));
    std::optional<std::uint16_t> port = findPort(name);
    if (!port) {
        if (rte_dev_probe(ic.device.c_str()) != 0 || !(port = findPort(name))) {
            throw std::runtime_error("interface '" + ic.name + "': cannot probe device '" +
                                     ic.device + "'");
        }
    }
    in.portId = *port;
    rte_eth_dev_info info{};
    if (rte_eth_dev_info_get(in.portId, &info) != 0) {
        fail("interface '" + ic.name + "': cannot read device info");
    }
    const std::uint16_t queues = static_cast<std::uint16_t>(cfg_.workers);
    if (queues > info.max_rx_queues || queues > info.max_tx_queues) {
        throw std::runtime_error("interface '" + ic.name + "': device has " +
                                 std::to_string(info.max_rx_queues) + " RX / " +
                                 std::to_string(info.max_tx_queues) + " TX queues, " +
                                 std::to_string(queues) + " workers need one each");
    }
    rte_eth_conf conf{};
    if (queues > 1 && info.flow_type_rss_offloads != 0) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    }
    constexpr std::uint64_t kTxCsum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    if ((info.tx_offload_capa & kTxCsum) == kTxCsum) {
        conf.txmode.offloads |= kTxCsum;
        in.txIpChecksumOffload = in.txUdpChecksumOffload = true;
    }
    constexpr std::uint64_t kRxCsum = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
    conf.rxmode.offloads |= info.rx_offload_capa & kRxCsum;
    if (rte_eth_dev_configure(in.portId, queues, queues, &conf) != 0) {
        fail("interface '" + ic.name + "': cannot configure the device");
    }
    std::uint16_t rxd = cfg_.rxDescriptors;
    std::uint16_t txd = cfg_.txDescriptors;
    rte_eth_dev_adjust_nb_rx_tx_desc(in.portId, &rxd, &txd);
    int socket = rte_eth_dev_socket_id(in.portId);
    if (socket < 0) {
        socket = static_cast<int>(rte_socket_id());
    }
    for (std::uint16_t q = 0; q < queues; ++q) {
        // Some PMDs fill their receive rings from the pool at set-up (net_af_xdp takes 2,048
        // mbufs per queue for its fill ring), so a small pool shows up here first.
        if (rte_eth_rx_queue_setup(in.portId, q, rxd, static_cast<unsigned>(socket), nullptr,
                                   pool_) != 0) {
            fail("interface '" + ic.name + "': cannot set up RX queue " + std::to_string(q) + " (" +
                 std::to_string(rxd) + " descriptors, ports.mbufs " + std::to_string(cfg_.mbufs) +
                 "; net_af_xdp takes 2048 mbufs per queue)");
        }
        if (rte_eth_tx_queue_setup(in.portId, q, txd, static_cast<unsigned>(socket), nullptr) !=
            0) {
            fail("interface '" + ic.name + "': cannot set up TX queue " + std::to_string(q) + " (" +
                 std::to_string(txd) + " descriptors)");
        }
    }
    // Virtual devices may not implement these; the MTU check in the relay still applies.
    rte_eth_dev_set_mtu(in.portId, ic.mtu);
    rte_eth_allmulticast_enable(in.portId);  // IPv6 ND uses solicited-node multicast
    if (rte_eth_dev_start(in.portId) != 0) {
        fail("interface '" + ic.name + "': cannot start the device");
    }
    in.started = true;
    rte_eth_macaddr_get(in.portId, &in.mac);
    kernelDrops_[index].attach(afPacketIfindex(ic.device));
}

Dataplane::~Dataplane() {
    release();
}

void Dataplane::release() {
    flowTable_.reset();
    workers_.clear();
    for (auto& in : interfaces_) {
        if (in.started) {
            rte_eth_dev_stop(in.portId);
            rte_eth_dev_close(in.portId);
            in.started = false;
        }
    }
    for (auto* r : commandRings_) {
        rte_ring_free(r);
    }
    for (auto* r : handoffRings_) {
        rte_ring_free(r);
    }
    commandRings_.clear();
    handoffRings_.clear();
    rte_mempool_free(commandPool_);
    commandPool_ = nullptr;
    rte_free(rcu_);
    rcu_ = nullptr;
    if (flows_ != nullptr) {
        std::destroy_n(flows_, cfg_.flowCapacity);
        rte_free(flows_);
        flows_ = nullptr;
    }
    rte_hash_free(hash_);
    hash_ = nullptr;
    rte_mempool_free(pool_);
    pool_ = nullptr;
}

dpapi::StatsReply Dataplane::stats() const {
    dpapi::StatsReply r;
#define SBC_DP_SUM(name, help)                    \
    {                                             \
        std::uint64_t v = 0;                      \
        for (const auto& w : workers_) {          \
            v += readCounter(w->counters().name); \
        }                                         \
        r.counters.push_back({#name, v});         \
    }
    SBC_DP_LCORE_COUNTERS(SBC_DP_SUM)
#undef SBC_DP_SUM
    const ControlCounters& c = flowTable_->counters();
#define SBC_DP_CONTROL(name, help) r.counters.push_back({#name, c.name});
    SBC_DP_CONTROL_COUNTERS(SBC_DP_CONTROL)
#undef SBC_DP_CONTROL
    // Per port, from the PMD: what the device saw, including frames it had to drop before any
    // lcore could look at them (imissed: RX ring full; for af_packet, the kernel's ring).
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        const Interface& in = interfaces_[i];
        rte_eth_stats es{};
        if (rte_eth_stats_get(in.portId, &es) != 0) {
            continue;
        }
        std::string p = "port_";
        for (char ch : in.name) {
            p += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a')
                 : ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) ? ch
                                                                          : '_';
        }
        r.counters.push_back({p + "_rx_packets", es.ipackets});
        r.counters.push_back({p + "_rx_missed", es.imissed + kernelDrops_[i].read()});
        r.counters.push_back({p + "_rx_errors", es.ierrors});
        r.counters.push_back({p + "_rx_nombuf", es.rx_nombuf});
        r.counters.push_back({p + "_tx_packets", es.opackets});
        r.counters.push_back({p + "_tx_errors", es.oerrors});
    }
    std::uint64_t longest = 0;
    for (const auto& w : workers_) {
        longest = std::max(longest, w->longestStallUs());
    }
    r.counters.push_back({"worker_longest_stall_us", longest});
    r.counters.push_back({"flows", flowTable_->count()});
    r.counters.push_back({"flow_capacity", flowTable_->capacity()});
    return r;
}

}  // namespace sbc::dataplane
