// dataplane_bench: speed of sbc-dataplane's relay path and control channel (perf/README.md).
//
//   dataplane_bench [--seconds S] [--flows-memory N] [--changes N]
//
// 1. Relay, one lcore, 214-byte RTP frames (14 Ethernet + 20 IPv4 + 8 UDP + 12 RTP + 160 G.711),
//    full path: rx burst, parse, bulk hash lookup, RTP check, latch check, counters, RFC 3550
//    loss/jitter, rewrite, IPv4 + UDP checksums, tx burst.
//    - net_ring closed loop: one ring is both RX and TX of the port; every flow sends from its
//      b end to its own a end, so each frame circulates through the relay indefinitely.
//    - net_null egress: frames come from a ring port and leave through a net_null port (which
//      frees them; the bench holds an extra reference and re-injects them).
//    Each with 1 flow and with 100,000 flows (frames spread over all flows: cache misses).
// 2. Flow table memory for N flows (default 1,000,000): DPDK heap and process RSS growth.
// 3. Flow changes per second over the control socket (Create, Update, Delete; 64 in flight),
//    with a worker thread polling meanwhile (deletes wait for its RCU quiescent state).
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "api/dataplane_client.hpp"
#include "dataplane/control_server.hpp"
#include "dataplane/dataplane.hpp"
#include "tests/dataplane/dp_test_util.hpp"

namespace {

using namespace sbc;
using namespace sbc::dataplane;
using Clock = std::chrono::steady_clock;

constexpr unsigned kAddresses = 8;
constexpr unsigned kFlowsPerAddress = 30000;

dpapi::IpAddress address(unsigned i) {
    return dpapi::IpAddress::v4((192u << 24) | (0u << 16) | (2u << 8) | (1 + i));
}

std::string ethName(std::uint16_t port) {
    char n[RTE_ETH_NAME_MAX_LEN];
    rte_eth_dev_get_name_by_port(port, n);
    return n;
}

// Flow i: both ends rtcp-mux on "lan", end a at (addr, p), end b at (addr, p + 1); each end's
// remote is the other end, so a frame sent out of b arrives at a again.
dpapi::FlowSpec loopFlow(std::uint32_t i, std::uint64_t gen) {
    dpapi::FlowSpec s;
    s.flowId = i + 1;
    s.generation = gen;
    dpapi::IpAddress ip = address(i / kFlowsPerAddress);
    auto port = static_cast<std::uint16_t>(2000 + 2 * (i % kFlowsPerAddress));
    s.a = {"lan",
           ip,
           port,
           0,
           true,
           ip,
           static_cast<std::uint16_t>(port + 1),
           0,
           dpapi::LatchMode::Off,
           8000};
    s.b = {"lan", ip,   static_cast<std::uint16_t>(port + 1),
           0,     true, ip,
           port,  0,    dpapi::LatchMode::Off,
           8000};
    return s;
}

DataplaneConfig config(std::vector<std::string> devices, std::uint32_t capacity) {
    DataplaneConfig cfg;
    cfg.flowCapacity = capacity;
    cfg.mbufs = 8191;
    cfg.neighbourCapacity = 64;
    const char* names[] = {"lan", "sink", "x2", "x3"};
    for (std::size_t d = 0; d < devices.size(); ++d) {
        InterfaceConfig ic;
        ic.name = names[d];
        ic.device = devices[d];
        for (unsigned a = 0; a < kAddresses; ++a) {
            ic.addresses.push_back({address(a), 24});
        }
        cfg.interfaces.push_back(ic);
    }
    return cfg;
}

// Teaches the data plane that its own addresses are at its own MAC (the loop's next hop).
void learnSelf(Dataplane& dp, rte_ring* rx) {
    auto mac = test::macBytes(dp.interface(0).mac);
    for (unsigned a = 0; a < kAddresses; ++a) {
        std::string ip = address(a).toString();
        test::inject(dp.pool(), rx, test::arpRequest(mac, ip.c_str(), ip.c_str(), true, &mac));
    }
    dp.worker(0).poll();
}

std::vector<rte_mbuf*> frames(Dataplane& dp, std::uint32_t flows, unsigned count) {
    std::vector<rte_mbuf*> out;
    auto mac = test::macBytes(dp.interface(0).mac);
    for (unsigned k = 0; k < count; ++k) {
        std::uint32_t i = static_cast<std::uint32_t>((std::uint64_t{k} * 2654435761u) % flows);
        dpapi::FlowSpec s = loopFlow(i, 1);
        std::string ip = s.a.local.toString();
        auto f = test::udp4(mac, mac, ip.c_str(), s.b.localRtpPort, ip.c_str(), s.a.localRtpPort,
                            test::rtp(static_cast<std::uint16_t>(k), k * 160));
        rte_mbuf* m = rte_pktmbuf_alloc(dp.pool());
        std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(),
                    f.size());
        out.push_back(m);
    }
    return out;
}

std::uint64_t counter(Dataplane& dp, const char* name) {
    return test::counter(dp.stats(), name);
}

void createFlows(Dataplane& dp, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
        auto r = dp.flows().create(loopFlow(i, 1));
        if (!std::holds_alternative<dpapi::CreateFlowReply>(r)) {
            std::fprintf(stderr, "create %u: %s\n", i, std::get<dpapi::ErrorReply>(r).text.c_str());
            std::exit(1);
        }
        if ((i & 15) == 15) {
            dp.worker(0).poll();  // drain the command ring
        }
    }
    dp.worker(0).poll();
}

double cpuSeconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Figures per lcore-second of CPU actually received (the machine is shared: wall-clock rates
// fall with other load) and per wall-clock second.
void report(const char* what, std::uint32_t flows, std::uint64_t packets, double secs, double cpu,
            std::uint64_t drops) {
    double pps = static_cast<double>(packets) / cpu;
    std::printf(
        "%-26s flows %6u  %6.2f Mpps per lcore  %6.1f ns/packet  (wall %5.2f Mpps, "
        "%3.0f%% CPU, drops %llu)\n",
        what, flows, pps / 1e6, 1e9 / pps, static_cast<double>(packets) / secs / 1e6,
        100 * cpu / secs, static_cast<unsigned long long>(drops));
}

void ringLoop(std::uint32_t flows, double seconds) {
    // One ring as both RX and TX: what the port sends, it receives.
    static int n = 0;
    std::string name = "bench_loop" + std::to_string(n++);
    rte_ring* r = rte_ring_create(name.c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    int port = rte_eth_from_rings(name.c_str(), &r, 1, &r, 1, 0);
    auto cfg = config({ethName(static_cast<std::uint16_t>(port))}, std::max(flows, 64u));
    {
        Dataplane dp(cfg);
        dp.flows().hello(1);
        createFlows(dp, flows);
        learnSelf(dp, r);
        for (auto* m : frames(dp, flows, 1024)) {
            rte_ring_enqueue(r, m);
        }
        Worker& w = dp.worker(0);
        for (int i = 0; i < 1000; ++i) {
            w.poll();  // warm up
        }
        std::uint64_t before = counter(dp, "relayed_rtp");
        double cpu0 = cpuSeconds();
        auto t0 = Clock::now();
        auto deadline = t0 + std::chrono::duration<double>(seconds);
        while (Clock::now() < deadline) {
            for (int i = 0; i < 256; ++i) {
                w.pollOnce();
            }
        }
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        double cpu = cpuSeconds() - cpu0;
        std::uint64_t relayed = counter(dp, "relayed_rtp") - before;
        std::uint64_t drops = counter(dp, "drop_tx_full") + counter(dp, "drop_no_flow") +
                              counter(dp, "drop_latch_refused") + counter(dp, "drop_not_rtp");
        report("net_ring closed loop", flows, relayed, secs, cpu, drops);
    }
    rte_mbuf* m = nullptr;
    while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
        rte_pktmbuf_free(m);
    }
    rte_ring_free(r);
}

void nullSink(std::uint32_t flows, double seconds) {
    static int n = 0;
    std::string id = std::to_string(n++);
    test::RingPort in("bench_in" + id);
    std::string nullName = "net_null_bench" + id;
    std::string nullArgs = nullName + ",no-rx=1";
    if (rte_dev_probe(nullArgs.c_str()) != 0) {
        std::fprintf(stderr, "cannot probe %s\n", nullName.c_str());
        return;
    }
    // Ingress on the ring port, egress on net_null: the flows' b ends live on "sink".
    auto cfg = config({in.name, nullName}, std::max(flows, 64u));
    {
        Dataplane dp(cfg);
        dp.flows().hello(1);
        for (std::uint32_t i = 0; i < flows; ++i) {
            dpapi::FlowSpec s = loopFlow(i, 1);
            s.b.interface = "sink";
            dp.flows().create(s);
            if ((i & 15) == 15) {
                dp.worker(0).poll();
            }
        }
        learnSelf(dp, in.rx);
        // net_null has no neighbours to learn from: teach its table directly. The "next hop" is
        // the lan port's MAC, so that the bench can feed the relayed frames back into lan.
        auto mac = dp.interface(0).mac;
        for (unsigned a = 0; a < kAddresses; ++a) {
            dp.interface(1).neighbours->learn(4, address(a).bytes.data(), mac, rte_rdtsc());
        }
        auto fs = frames(dp, flows, 1024);
        for (auto* m : fs) {
            rte_mbuf_refcnt_set(m, 60000);  // net_null frees; the bench re-injects
        }
        Worker& w = dp.worker(0);
        std::uint64_t before = counter(dp, "relayed_rtp");
        std::size_t next = 0;
        double cpu0 = cpuSeconds();
        auto t0 = Clock::now();
        auto deadline = t0 + std::chrono::duration<double>(seconds);
        while (Clock::now() < deadline) {
            for (int i = 0; i < 64; ++i) {
                rte_mbuf* burst[32];
                for (auto& b : burst) {
                    b = fs[next++ & 1023];
                    if (rte_mbuf_refcnt_read(b) < 1000) {
                        rte_mbuf_refcnt_set(b, 60000);
                    }
                }
                rte_ring_enqueue_burst(in.rx, reinterpret_cast<void**>(burst), 32, nullptr);
                w.pollOnce();
            }
        }
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        double cpu = cpuSeconds() - cpu0;
        std::uint64_t relayed = counter(dp, "relayed_rtp") - before;
        report("ring -> relay -> net_null", flows, relayed, secs, cpu,
               counter(dp, "drop_no_flow") + counter(dp, "drop_latch_refused"));
        if (getenv("BENCH_DEBUG") != nullptr) {
            for (const auto& c : dp.stats().counters) {
                if (c.value != 0) {
                    std::printf("  %s %llu\n", c.name.c_str(),
                                static_cast<unsigned long long>(c.value));
                }
            }
        }
        for (auto* m : fs) {
            rte_mbuf_refcnt_set(m, 1);
            rte_pktmbuf_free(m);
        }
    }
    rte_eal_hotplug_remove("vdev", nullName.c_str());
}

long rssKb() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return 0;
}

std::size_t heapBytes() {
    rte_malloc_socket_stats s{};
    rte_malloc_get_socket_stats(0, &s);
    return s.heap_allocsz_bytes;
}

std::string interfaceName(std::uint32_t k) {
    char n[16];
    std::snprintf(n, sizeof n, "m%u", k);
    return n;
}

void memory(std::uint32_t flows) {
    // 30,000 flows per address (2 rtcp-mux ports each), 8 addresses per interface.
    constexpr std::uint32_t kPerInterface = kFlowsPerAddress * kAddresses;
    std::uint32_t interfaces = (flows + kPerInterface - 1) / kPerInterface;
    std::vector<std::unique_ptr<test::RingPort>> ports;
    DataplaneConfig cfg = config({}, flows);
    for (std::uint32_t k = 0; k < interfaces; ++k) {
        ports.push_back(std::make_unique<test::RingPort>("bench_mem" + std::to_string(k)));
        InterfaceConfig ic;
        ic.name = interfaceName(k);
        ic.device = ports.back()->name;
        for (unsigned a = 0; a < kAddresses; ++a) {
            ic.addresses.push_back({address(a), 24});
        }
        cfg.interfaces.push_back(ic);
    }
    std::size_t heap0 = heapBytes();
    long rss0 = rssKb();
    {
        Dataplane dp(cfg);
        dp.flows().hello(1);
        for (std::uint32_t i = 0; i < flows; ++i) {
            dpapi::FlowSpec s = loopFlow(i % kPerInterface, 1);
            s.flowId = i + 1;
            s.a.interface = s.b.interface = interfaceName(i / kPerInterface);
            auto r = dp.flows().create(s);
            if (!std::holds_alternative<dpapi::CreateFlowReply>(r)) {
                std::fprintf(stderr, "create %u: %s\n", i,
                             std::get<dpapi::ErrorReply>(r).text.c_str());
                return;
            }
            if ((i & 15) == 15) {
                dp.worker(0).poll();
            }
        }
        std::size_t heap = heapBytes() - heap0;
        long rss = rssKb() - rss0;
        std::printf(
            "flow table with %u flows (%u hash keys, Flow slot %zu bytes): DPDK heap "
            "%.1f MiB, process RSS +%.1f MiB = %.0f bytes per flow\n",
            flows, flows * 2, sizeof(Flow), static_cast<double>(heap) / (1 << 20),
            static_cast<double>(rss) / 1024, static_cast<double>(rss) * 1024 / flows);
    }
}

void changes(std::uint32_t n, std::uint32_t idleSleepUs) {
    static int id = 0;
    test::RingPort p("bench_ctl" + std::to_string(id++));
    auto cfg = config({p.name}, n);
    cfg.idleSleepUs = idleSleepUs;
    std::printf("control channel, worker %s:\n",
                idleSleepUs == 0 ? "busy-polling" : "sleeping when idle");
    Dataplane dp(cfg);
    std::string path = "/tmp/sbc-dp-bench-" + std::to_string(::getpid()) + ".sock";
    ControlServer server(dp, path);
    server.start();
    volatile bool stop = false;
    std::thread worker([&] { dp.worker(0).run(&stop); });
    {
        dpapi::Client client(path);
        client.request(dpapi::Hello{1});
        clockid_t controlClock;
        pthread_getcpuclockid(server.thread(), &controlClock);
        auto controlCpu = [&] {
            timespec ts;
            clock_gettime(controlClock, &ts);
            return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
        };
        auto run = [&](const char* what, auto make) {
            constexpr unsigned kWindow = 64;
            std::vector<std::uint32_t> inflight;
            double cpu0 = controlCpu();
            auto t0 = Clock::now();
            unsigned errors = 0;
            for (std::uint32_t i = 0; i < n; ++i) {
                inflight.push_back(client.send(make(i)));
                if (inflight.size() == kWindow) {
                    for (auto s : inflight) {
                        errors += std::holds_alternative<dpapi::ErrorReply>(client.await(s));
                    }
                    inflight.clear();
                }
            }
            for (auto s : inflight) {
                errors += std::holds_alternative<dpapi::ErrorReply>(client.await(s));
            }
            double secs = std::chrono::duration<double>(Clock::now() - t0).count();
            double cpu = controlCpu() - cpu0;
            std::printf(
                "  %-12s %7u in %6.3f s = %8.0f changes/s; control thread %5.2f us CPU "
                "per change = %8.0f changes/s per control core (errors %u)\n",
                what, n, secs, n / secs, 1e6 * cpu / n, n / cpu, errors);
        };
        run("CreateFlow",
            [](std::uint32_t i) { return dpapi::Message(dpapi::CreateFlow{loopFlow(i, 1)}); });
        run("UpdateFlow", [](std::uint32_t i) {
            auto s = loopFlow(i, 1);
            s.a.latch = dpapi::LatchMode::AnySource;
            return dpapi::Message(dpapi::UpdateFlow{s});
        });
        run("DeleteFlow",
            [](std::uint32_t i) { return dpapi::Message(dpapi::DeleteFlow{i + 1u}); });
    }
    stop = true;
    worker.join();
    server.stop();
}

void machine() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0) {
            std::printf("machine: %s, %u CPUs, DPDK %s\n", line.substr(line.find(':') + 2).c_str(),
                        std::thread::hardware_concurrency(), rte_version());
            return;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 2;
    std::uint32_t memFlows = 1000000;
    std::uint32_t changeCount = 100000;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--seconds") {
            seconds = std::stod(argv[i + 1]);
        } else if (k == "--flows-memory") {
            memFlows = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
        } else if (k == "--changes") {
            changeCount = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
        }
    }
    const char* args[] = {"dataplane_bench",  "-l",          "0",
                          "--no-huge",        "-m",          "2048",
                          "--no-pci",         "--no-shconf", "--no-telemetry",
                          "--log-level=error"};
    std::vector<char*> eal;
    for (const char* a : args) {
        eal.push_back(const_cast<char*>(a));
    }
    if (rte_eal_init(static_cast<int>(eal.size()), eal.data()) < 0) {
        std::fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    machine();
    for (std::uint32_t flows : {1u, 100000u}) {
        ringLoop(flows, seconds);
    }
    for (std::uint32_t flows : {1u, 100000u}) {
        nullSink(flows, seconds);
    }
    if (changeCount > 0) {
        changes(changeCount, 0);
        changes(changeCount, 50);
    }
    if (memFlows > 0) {
        memory(memFlows);
    }
    rte_eal_cleanup();
    return 0;
}
