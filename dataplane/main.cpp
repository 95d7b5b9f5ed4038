// sbc-dataplane: the DPDK media relay. See dataplane/README.md.
//
//   sbc-dataplane --config FILE     run
//   sbc-dataplane --check FILE      validate the config and exit (FILE:LINE:COL: error: lines)
//   sbc-dataplane --help
//
// Threads: the main lcore runs worker 0; worker lcores 1..N-1 run the others; the control
// channel runs on a control thread (rte_ctrl_thread_create). SIGINT/SIGTERM stop everything.
// rt_priority raises the workers and the control thread (not EAL's) to SCHED_FIFO.
#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/config.hpp"
#include "dataplane/control_server.hpp"
#include "dataplane/dataplane.hpp"

namespace {

volatile bool g_stop = false;
int g_rtPriority = 0;
std::atomic<bool> g_rtFailed{false};

void onSignal(int) {
    g_stop = true;
}

// rt_priority: SCHED_FIFO for the workers and the control thread, each raised once it runs.
// Starting the whole process under `chrt -f` is not the same: EAL's threads would be
// real-time too, and on some kernels (seen on 6.18.44) a SCHED_FIFO main thread livelocks in
// the 1 us nanosleep loop with which rte_ctrl_thread_create waits for its new thread. The
// control thread is real-time because flow changes must reach the workers before the SIP
// answer that sbc sends next brings the first RTP packet; it runs one priority above the
// workers, so that it is not starved where EAL places it on a worker's core (when the lcores
// take every CPU), and it sleeps in poll() between requests.
bool raisePriority(pthread_t thread, const char* who, int above = 0) {
    if (g_rtPriority == 0) {
        return true;
    }
    sched_param sp{};
    sp.sched_priority = std::min(g_rtPriority + above, 99);
    int rc = pthread_setschedparam(thread, SCHED_FIFO, &sp);
    if (rc != 0) {
        std::fprintf(stderr,
                     "sbc-dataplane: %s: cannot set SCHED_FIFO priority %d (rt_priority): %s; "
                     "needs CAP_SYS_NICE or an RLIMIT_RTPRIO\n",
                     who, sp.sched_priority, std::strerror(rc));
        g_rtFailed = true;
        g_stop = true;
        return false;
    }
    return true;
}

int workerMain(void* arg) {
    if (raisePriority(pthread_self(), "worker")) {
        static_cast<sbc::dataplane::Worker*>(arg)->run(&g_stop);
    }
    return 0;
}

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: sbc-dataplane --config FILE\n"
                 "       sbc-dataplane --check FILE\n"
                 "\n"
                 "The sbc media relay (DPDK). FILE is YAML: eal (EAL arguments), interfaces\n"
                 "(name, device, addresses, gateway, gateway6, mtu, vlan), workers,\n"
                 "rt_priority, control (socket), flows (capacity, idle_timeout_ms),\n"
                 "ports (mbufs, rx_descriptors, tx_descriptors, neighbours, idle_sleep_us,\n"
                 "tx_drain_us). The control protocol is documented in dataplane/README.md.\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::string configPath;
    bool checkOnly = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage(stdout);
            return 0;
        }
        if ((a == "--config" || a == "--check") && i + 1 < argc) {
            checkOnly = a == "--check";
            configPath = argv[++i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (configPath.empty()) {
        usage(stderr);
        return 2;
    }
    std::vector<sbc::dataplane::ConfigError> errors;
    auto cfg = sbc::dataplane::loadConfig(configPath, errors);
    if (!cfg) {
        for (const auto& e : errors) {
            std::fprintf(stderr, "%s\n", e.text.c_str());
        }
        return 1;
    }
    if (checkOnly) {
        return 0;
    }

    std::vector<std::string> ealArgs = {"sbc-dataplane"};
    ealArgs.insert(ealArgs.end(), cfg->eal.begin(), cfg->eal.end());
    std::vector<char*> ealArgv;
    for (auto& s : ealArgs) {
        ealArgv.push_back(s.data());
    }
    if (rte_eal_init(static_cast<int>(ealArgv.size()), ealArgv.data()) < 0) {
        std::fprintf(stderr, "sbc-dataplane: EAL initialisation failed: %s\n",
                     rte_strerror(rte_errno));
        return 1;
    }
    if (rte_lcore_count() < cfg->workers) {
        std::fprintf(stderr, "sbc-dataplane: %u workers need %u lcores, EAL has %u (-l)\n",
                     cfg->workers, cfg->workers, rte_lcore_count());
        rte_eal_cleanup();
        return 1;
    }
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    std::signal(SIGPIPE, SIG_IGN);
    int rc = 0;
    g_rtPriority = cfg->rtPriority;
    try {
        sbc::dataplane::Dataplane dp(*cfg);
        sbc::dataplane::ControlServer control(dp, cfg->controlSocket);
        control.start();
        if (raisePriority(control.thread(), "control thread", 1)) {
            unsigned w = 1;
            unsigned lcore;
            RTE_LCORE_FOREACH_WORKER(lcore) {
                if (w >= dp.workerCount()) {
                    break;
                }
                rte_eal_remote_launch(workerMain, &dp.worker(w++), lcore);
            }
            std::fprintf(stderr, "sbc-dataplane: %u interfaces, %u workers, control socket %s\n",
                         dp.interfaceCount(), dp.workerCount(), cfg->controlSocket.c_str());
            workerMain(&dp.worker(0));
        }
        rte_eal_mp_wait_lcore();
        control.stop();
        if (g_rtFailed) {
            rc = 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sbc-dataplane: %s\n", e.what());
        g_stop = true;
        rte_eal_mp_wait_lcore();
        rc = 1;
    }
    rte_eal_cleanup();
    return rc;
}
