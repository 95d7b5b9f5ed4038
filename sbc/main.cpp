// sbc: the control plane of the session border controller.
//
//   sbc run --config FILE     start the configured SIP listeners and serve until SIGTERM/SIGINT
//   sbc config check FILE     validate a configuration file (FILE:LINE:COL: error: ... lines)
//   sbc policy check FILE...  validate policy files with the compiler reload uses
//   sbc version               print the version
//   sbc --help                this text
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "controlplane/b2bua/async_call_store.hpp"
#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/cdr.hpp"
#include "controlplane/b2bua/destination_monitor.hpp"
#include "controlplane/b2bua/secrets.hpp"
#include "controlplane/b2bua/stats_json.hpp"
#include "controlplane/core/sip_server.hpp"
#include "controlplane/media/media_client.hpp"
#include "controlplane/policy/compile.hpp"
#include "controlplane/policy/gate.hpp"
#include "controlplane/policy/reloader.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/transaction_layer.hpp"
#include "controlplane/transport/transport_layer.hpp"
#include "sbc/admin_server.hpp"
#include "sbc/config.hpp"
#include "sbc/log.hpp"
#include "sbc/media_status.hpp"
#include "sbc/metrics.hpp"
#include "sbc/policy_admin.hpp"
#include "sbc/status.hpp"
#include "sbc/version.hpp"

namespace {

constexpr const char* kUsage =
    "usage: sbc <command> [options]\n"
    "\n"
    "commands:\n"
    "  run --config FILE        run the control plane with the configuration FILE\n"
    "      [--log-level LEVEL]  debug, info (default), warn or error\n"
    "  config check FILE...     validate configuration files; prints FILE:LINE:COL: error: ...\n"
    "                           and exits 1 on any error\n"
    "  policy check FILE...     compile policy files exactly as reload does; prints\n"
    "                           FILE:LINE:COL: error|warning: ... and exits 1 on any error\n"
    "  version                  print the version\n"
    "  --help                   print this help\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop sbc; SIGHUP reloads the policy files (as sbcctl reload).\n";

int usageError(const std::string& msg) {
    std::fprintf(stderr, "sbc: %s\n\n%s", msg.c_str(), kUsage);
    return 2;
}

sbc::transport::Config transportConfig(const sbc::Config& cfg) {
    sbc::transport::Config out;
    for (const auto& l : cfg.listeners) {
        sbc::transport::ListenerConfig lc;
        lc.name = l.name;
        lc.protocol = l.transport == "udp"   ? sbc::transport::Protocol::Udp
                      : l.transport == "tcp" ? sbc::transport::Protocol::Tcp
                                             : sbc::transport::Protocol::Tls;
        lc.bindAddress = l.address;
        lc.port = l.port;
        if (l.tls) {
            lc.tls.certFile = l.tls->certificate;
            lc.tls.keyFile = l.tls->privateKey;
            lc.tls.caFile = l.tls->caFile;
            lc.tls.verifyPeer = l.tls->verifyPeer;
        }
        lc.limits.maxMessageBytes = cfg.sip.maxMessageBytes;
        lc.limits.maxConnections = cfg.transport.maxConnections;
        lc.limits.maxConnectionsPerSource = cfg.transport.maxConnectionsPerSource;
        lc.limits.idleTimeout = cfg.transport.idleTimeout;
        lc.limits.tlsHandshakeTimeout = cfg.transport.tlsHandshakeTimeout;
        lc.limits.maxSendQueueBytes = cfg.transport.maxSendQueueBytes;
        out.listeners.push_back(std::move(lc));
    }
    return out;
}

// The B2BUA's view of the listeners: side, transport and the address/port it advertises in Via
// and Contact (so listeners serving calls must be bound to a specific address).
std::vector<sbc::b2bua::SideListener> sideListeners(
    const sbc::Config& cfg, const sbc::transport::TransportLayer& transport,
    const std::vector<sbc::transport::ListenerId>& ids) {
    std::vector<sbc::b2bua::SideListener> out;
    for (size_t i = 0; i < ids.size() && i < cfg.listeners.size(); ++i) {
        const auto& l = cfg.listeners[i];
        sbc::b2bua::SideListener s;
        s.id = ids[i];
        s.side = l.side;
        s.transport = l.transport == "udp"   ? sbc::policy::Transport::Udp
                      : l.transport == "tcp" ? sbc::policy::Transport::Tcp
                                             : sbc::policy::Transport::Tls;
        s.address = l.address;
        s.port = transport.localEndpoint(ids[i]).port;
        out.push_back(std::move(s));
    }
    return out;
}

int configCheck(int argc, char** argv, int first) {
    if (first >= argc) {
        return usageError("config check needs at least one FILE");
    }
    int rc = 0;
    for (int i = first; i < argc; ++i) {
        std::vector<sbc::ConfigError> errors;
        if (!sbc::loadConfig(argv[i], errors)) {
            for (const auto& e : errors) {
                std::fprintf(stderr, "%s\n", e.message.c_str());
            }
            rc = 1;
        }
    }
    return rc;
}

// --- policy (controlplane/policy) -------------------------------------------------------------
int policyCheck(int argc, char** argv, int first) {
    if (first >= argc) {
        return usageError("policy check needs at least one FILE");
    }
    std::vector<std::string> files(argv + first, argv + argc);
    auto res = sbc::policy::compilePolicy(files);
    for (const auto& d : res.diagnostics) {
        std::fprintf(stderr, "%s\n", d.text.c_str());
    }
    return res.policy ? 0 : 1;
}
// --- end policy ------------------------------------------------------------------------------

int run(const std::string& configPath) {
    std::vector<sbc::ConfigError> errors;
    auto cfg = sbc::loadConfig(configPath, errors);
    if (!cfg) {
        for (const auto& e : errors) {
            std::fprintf(stderr, "%s\n", e.message.c_str());
        }
        return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);
    boost::asio::io_context io;
    sbc::transport::TransportLayer transport(io);
    sbc::transaction::AsioTimerService timers(io);
    sbc::transaction::TimerConfig timerConfig;
    timerConfig.t1 = cfg->timers.t1;
    timerConfig.t2 = cfg->timers.t2;
    timerConfig.t4 = cfg->timers.t4;
    timerConfig.maxTransactions = cfg->timers.maxTransactions;
    sbc::transaction::TransactionLayer transactions(
        timers, timerConfig,
        [&transport](const sbc::transaction::Target& t, std::string_view bytes) {
            transport.send(sbc::core::outboundFor(t), bytes);
        });
    sbc::core::SipServerConfig serverConfig;
    serverConfig.limits.maxMessageBytes = cfg->sip.maxMessageBytes;
    serverConfig.limits.maxHeaders = cfg->sip.maxHeaders;
    serverConfig.limits.maxHeaderBytes = cfg->sip.maxHeaderBytes;
    serverConfig.serverHeader = cfg->sip.serverHeader;
    sbc::core::SipServer server(transport, transactions, serverConfig);

    // --- policy gate (controlplane/policy) ---
    std::unique_ptr<sbc::policy::LocalBanStore> banStore;
    std::unique_ptr<sbc::policy::PolicyGate> gate;
    std::unique_ptr<sbc::policy::PolicyReloader> reloader;
    if (!cfg->policyFiles.empty()) {
        auto res = sbc::policy::compilePolicy(cfg->policyFiles);
        for (const auto& d : res.diagnostics) {
            std::fprintf(stderr, "%s\n", d.text.c_str());
        }
        if (!res.policy) {
            return 1;
        }
        banStore = std::make_unique<sbc::policy::LocalBanStore>(res.policy->bans.maxBans);
        gate = std::make_unique<sbc::policy::PolicyGate>(res.policy, *banStore,
                                                         sbc::policy::GateClock::system(),
                                                         &transactions.stats().serverActive);
        gate->onBan = [](const sbc::policy::BanRecord& b) {
            sbc::log::warn("banned", "address=" + b.address + " reason=" + b.reason +
                                         " seconds=" + std::to_string(b.untilUnix - b.sinceUnix));
        };
        server.setGate(gate.get());
        reloader = std::make_unique<sbc::policy::PolicyReloader>(io, *gate, cfg->policyFiles);
        sbc::log::info("policy_loaded", "files=" + std::to_string(cfg->policyFiles.size()) +
                                            " trunks=" + std::to_string(res.policy->trunks.size()) +
                                            " routes=" + std::to_string(res.policy->routes.size()));
    }
    auto reloadPolicy = [&](std::function<void(std::string)> reply) {
        if (!reloader) {
            sbc::log::info("reload", "result=nothing_to_reload");
            reply("{\"error\":\"no policy files configured\"}");
            return;
        }
        reloader->reload([reply](const sbc::policy::ReloadOutcome& out) {
            for (const auto& d : out.diagnostics) {
                sbc::log::warn("policy_diagnostic", "text=" + sbc::log::quote(d.text));
            }
            sbc::log::info("reload", std::string("result=") + (out.ok ? "ok" : "refused") +
                                         " compile_seconds=" + std::to_string(out.compileSeconds) +
                                         " swap_seconds=" + std::to_string(out.swapSeconds));
            reply(sbc::reloadJson(out));
        });
    };
    // --- end policy gate ---
    transport.setReceiveHandler(
        [&server](const sbc::transport::InboundMessage& in) { server.onMessage(in); });

    std::vector<sbc::transport::ListenerId> ids;
    try {
        ids = transport.addListeners(transportConfig(*cfg));
    } catch (const std::exception& e) {
        sbc::log::error("listener_failed", "error=" + sbc::log::quote(e.what()));
        return 1;
    }
    for (auto id : ids) {
        const auto* lc = transport.listenerConfig(id);
        sbc::log::info("listening",
                       "name=" + lc->name +
                           " transport=" + std::string(sbc::transport::toString(lc->protocol)) +
                           " endpoint=" + sbc::transport::toString(transport.localEndpoint(id)));
    }

    // The CDR writer outlives the media client: final counters may arrive after a call ended.
    std::unique_ptr<sbc::b2bua::FileCdrWriter> cdrWriter;
    // The media relay: sbc-dataplane's control channel (absent: no calls with media).
    std::unique_ptr<sbc::media::MediaClient> mediaClient;
    std::vector<sbc::dpapi::Counter> dataplaneCounters;  // refreshed every second for metrics
    bool dataplaneCountersFresh = false;
    boost::asio::steady_timer dataplanePoll(io);
    std::function<void()> pollDataplane;
    if (!cfg->media.dataplaneSocket.empty()) {
        sbc::media::MediaClientConfig mc;
        mc.socketPath = cfg->media.dataplaneSocket;
        mc.reconnectInterval = cfg->media.reconnectInterval;
        for (const auto& side : cfg->media.sides) {
            mc.sides.push_back({side.name, side.address, side.firstPort, side.lastPort});
        }
        mediaClient = std::make_unique<sbc::media::MediaClient>(io, mc);
        // Started below, once persisted calls are restored (their sessions adopted first).
        pollDataplane = [&]() {
            dataplanePoll.expires_after(std::chrono::seconds(1));
            dataplanePoll.async_wait([&](const boost::system::error_code& ec) {
                if (ec) {
                    return;
                }
                if (mediaClient->connected()) {
                    mediaClient->queryCounters(
                        [&](bool ok, std::vector<sbc::dpapi::Counter> counters) {
                            dataplaneCountersFresh = ok;
                            if (ok) {
                                dataplaneCounters = std::move(counters);
                            }
                        });
                }
                pollDataplane();
            });
        };
        pollDataplane();
        sbc::log::info("media", "dataplane_socket=" + sbc::log::quote(mc.socketPath) +
                                    " sides=" + std::to_string(mc.sides.size()));
    }

    // --- calls (controlplane/b2bua) --------------------------------------------------------------
    std::unique_ptr<sbc::b2bua::AsyncCallStore> callStore;
    std::unique_ptr<sbc::b2bua::B2bua> b2bua;
    std::unique_ptr<sbc::b2bua::DestinationMonitor> monitor;
    if (cfg->b2bua.enabled) {
        if (!mediaClient) {
            sbc::log::error("b2bua_failed", "error=\"b2bua needs a media: section\"");
            return 1;
        }
        if (!cfg->b2bua.cdrFile.empty()) {
            try {
                cdrWriter = std::make_unique<sbc::b2bua::FileCdrWriter>(cfg->b2bua.cdrFile);
            } catch (const std::exception& e) {
                sbc::log::error("cdr_failed", "error=" + sbc::log::quote(e.what()));
                return 1;
            }
        }
        sbc::b2bua::B2buaConfig bc;
        if (!cfg->b2bua.secretsFile.empty()) {
            std::vector<std::string> secretErrors;
            auto creds = sbc::b2bua::loadSecrets(cfg->b2bua.secretsFile, secretErrors);
            if (!creds) {
                for (const auto& e : secretErrors) {
                    std::fprintf(stderr, "%s\n", e.c_str());
                }
                return 1;
            }
            bc.credentials = std::move(*creds);
        }
        bc.listeners = sideListeners(*cfg, transport, ids);
        bc.userAgent = cfg->sip.serverHeader;
        bc.timerC = cfg->b2bua.timerC;
        bc.maxCallDuration = cfg->b2bua.maxCallDuration;
        bc.maxCalls = cfg->b2bua.maxCalls;
        b2bua = std::make_unique<sbc::b2bua::B2bua>(
            transactions, timers,
            [&transport](const sbc::transaction::Target& t, std::string_view bytes) {
                transport.send(sbc::core::outboundFor(t), bytes);
            },
            *mediaClient, [&gate] { return gate ? gate->policy() : sbc::policy::PolicyPtr{}; },
            cdrWriter.get(), std::move(bc));
        monitor = std::make_unique<sbc::b2bua::DestinationMonitor>(
            transactions, timers,
            [&gate] { return gate ? gate->policy() : sbc::policy::PolicyPtr{}; },
            sideListeners(*cfg, transport, ids), cfg->sip.serverHeader);
        monitor->setChangeHandler([](const sbc::b2bua::DestinationStatus& d) {
            std::string fields = "trunk=" + sbc::log::quote(d.trunk) +
                                 " destination=" + sbc::log::quote(sbc::b2bua::destinationName(d)) +
                                 " failures=" + std::to_string(d.failures);
            if (d.up) {
                sbc::log::info("destination_up", fields);
            } else {
                sbc::log::warn("destination_down", fields);
            }
        });
        monitor->start();
        b2bua->setDestinationHealth(
            [&monitor](const sbc::policy::Trunk& t, const sbc::policy::Destination& d) {
                return monitor->isUp(t, d);
            });
        if (gate) {
            // One count of concurrent calls: the B2BUA's (overload.max_calls reads it), and the
            // B2BUA's refusals of a caller (its own or the core's) count towards bans.
            gate->setActiveCalls(b2bua->activeCallsGauge());
            b2bua->setFinalResponseObserver(
                [&gate](const boost::asio::ip::address& caller, int code) {
                    gate->noteFinalResponse(caller, code);
                });
        }
        mediaClient->setIdleHandler(
            [&b2bua](sbc::media::SessionId session, std::size_t) { b2bua->onMediaIdle(session); });
        server.setDialogHandler(
            {[](const sbc::sip::Message& m) { return sbc::b2bua::B2bua::claims(m); },
             [&b2bua](const sbc::sip::Message& m, const sbc::transaction::ServerResult& r,
                      const sbc::transaction::Target& t) { b2bua->onRequest(m, r, t); }});
        if (!cfg->b2bua.stateDir.empty()) {
            // Established calls of an earlier sbc are re-adopted before the media client's first
            // resync, so that the data plane keeps their flows instead of removing them.
            try {
                // Written on a thread of its own: the io thread never waits for the disk.
                callStore = std::make_unique<sbc::b2bua::AsyncCallStore>(
                    std::make_unique<sbc::b2bua::FileCallStore>(cfg->b2bua.stateDir,
                                                                cfg->b2bua.maxCalls),
                    cfg->b2bua.maxCalls);
            } catch (const std::exception& e) {
                sbc::log::error("call_store_failed", "error=" + sbc::log::quote(e.what()));
                return 1;
            }
            sbc::b2bua::RestoreReport restored = b2bua->restore(*callStore);
            for (const auto& problem : restored.problems) {
                sbc::log::warn("call_not_restored", "reason=" + sbc::log::quote(problem));
            }
            sbc::log::info("calls_restored",
                           "state_dir=" + sbc::log::quote(cfg->b2bua.stateDir) +
                               " restored=" + std::to_string(restored.restored) +
                               " dropped=" + std::to_string(restored.problems.size()));
        }
        sbc::log::info("b2bua_enabled", "cdr=" + sbc::log::quote(cfg->b2bua.cdrFile));
    }
    if (mediaClient) {
        mediaClient->start();
    }
    // --- end calls ------------------------------------------------------------------------------

    auto started = std::chrono::steady_clock::now();
    std::unique_ptr<sbc::AdminServer> admin;
    if (!cfg->adminSocket.empty()) {
        try {
            admin = std::make_unique<sbc::AdminServer>(
                io, cfg->adminSocket,
                sbc::AdminServer::AsyncHandler(
                    [&](const std::string& command, std::function<void(std::string)> reply) {
                        if (command == "status") {
                            std::string status = sbc::statusJson(
                                started, transport, ids, server.stats(), transactions.stats());
                            if (b2bua && !status.empty() && status.back() == '}') {
                                status.pop_back();
                                status += ",\"calls\":" +
                                          sbc::b2bua::statsJson(b2bua->stats(), &monitor->stats()) +
                                          "}";
                            }
                            reply(status);
                            return;
                        }
                        if (command == "destinations") {
                            reply(monitor ? sbc::destinationsJson(monitor->snapshot())
                                          : "{\"error\":\"no b2bua: section in the config\"}");
                            return;
                        }
                        // --- policy commands ---
                        if (command == "reload") {
                            reloadPolicy(std::move(reply));
                            return;
                        }
                        if (gate && (command == "bans" || command == "bans list")) {
                            reply(sbc::bansJson(*gate));
                            return;
                        }
                        if (gate && command.rfind("bans lift ", 0) == 0) {
                            reply(sbc::liftJson(*gate, command.substr(10)));
                            return;
                        }
                        if (gate && command == "policy") {
                            reply(sbc::policyStatusJson(*gate));
                            return;
                        }
                        if (!gate && (command.rfind("bans", 0) == 0 || command == "policy")) {
                            reply("{\"error\":\"no policy files configured\"}");
                            return;
                        }
                        reply("{\"error\":\"unknown command\"}");
                    }));
            admin->addAsyncCommand("flows", [&](const std::string&, sbc::AdminServer::Reply reply) {
                if (!mediaClient) {
                    reply("{\"error\":\"no media relay configured\"}");
                    return;
                }
                mediaClient->queryFlows([reply](bool ok, std::vector<sbc::dpapi::FlowInfo> flows) {
                    reply(sbc::flowsJson(ok, flows));
                });
            });
            admin->addAsyncCommand("stats", [&](const std::string&, sbc::AdminServer::Reply reply) {
                if (!mediaClient) {
                    reply("{\"error\":\"no media relay configured\"}");
                    return;
                }
                mediaClient->queryCounters(
                    [&, reply](bool ok, std::vector<sbc::dpapi::Counter> counters) {
                        reply(sbc::mediaStatsJson(*mediaClient, ok, counters));
                    });
            });
            sbc::log::info("admin_listening", "socket=" + sbc::log::quote(cfg->adminSocket));
        } catch (const std::exception& e) {
            sbc::log::error("admin_failed", "socket=" + sbc::log::quote(cfg->adminSocket) +
                                                " error=" + sbc::log::quote(e.what()));
            return 1;
        }
    }

    std::unique_ptr<sbc::MetricsServer> metrics;
    if (!cfg->metricsListen.empty()) {
        try {
            metrics = std::make_unique<sbc::MetricsServer>(io, cfg->metricsListen, [&]() {
                auto families =
                    sbc::metricFamilies(started, transport, server.stats(), transactions.stats());
                if (mediaClient) {
                    auto media = sbc::mediaMetricFamilies(
                        *mediaClient, dataplaneCountersFresh && mediaClient->connected()
                                          ? dataplaneCounters
                                          : std::vector<sbc::dpapi::Counter>{});
                    families.insert(families.end(), media.begin(), media.end());
                }
                if (gate) {
                    sbc::appendPolicyFamilies(families, *gate);
                }
                if (b2bua) {
                    auto calls = sbc::callMetricFamilies(b2bua->stats(), monitor->stats(),
                                                         monitor->snapshot());
                    families.insert(families.end(), calls.begin(), calls.end());
                }
                return families;
            });
            sbc::log::info("metrics_listening", "listen=" + sbc::log::quote(cfg->metricsListen));
        } catch (const std::exception& e) {
            sbc::log::error("metrics_failed", "error=" + sbc::log::quote(e.what()));
            return 1;
        }
    }

    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) {
            return;
        }
        sbc::log::info("stopping", "signal=" + std::to_string(sig));
        if (admin) {
            admin->close();
        }
        dataplanePoll.cancel();
        if (mediaClient) {
            mediaClient->stop();
        }
        transport.shutdown();
        io.stop();
    });
    boost::asio::signal_set hup(io, SIGHUP);
    std::function<void()> waitHup = [&]() {
        hup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) {
                return;
            }
            reloadPolicy([](const std::string&) {});
            waitHup();
        });
    };
    waitHup();

    sbc::log::info("started", "version=" + std::string(sbc::kVersion) +
                                  " config=" + sbc::log::quote(configPath));
    io.run();
    sbc::log::info("stopped", "requests=" + std::to_string(server.stats().requestsReceived) +
                                  " responses=" + std::to_string(server.stats().responsesReceived));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        return usageError("missing command");
    }
    std::string cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (cmd == "version" || cmd == "--version") {
        std::printf("sbc %s\n", sbc::kVersion);
        return 0;
    }
    if (cmd == "config") {
        if (argc < 3 || std::strcmp(argv[2], "check") != 0) {
            return usageError("usage: sbc config check FILE...");
        }
        return configCheck(argc, argv, 3);
    }
    if (cmd == "policy") {
        if (argc < 3 || std::strcmp(argv[2], "check") != 0) {
            return usageError("usage: sbc policy check FILE...");
        }
        return policyCheck(argc, argv, 3);
    }
    if (cmd == "run") {
        std::string config;
        for (int i = 2; i < argc; ++i) {
            std::string a = argv[i];
            if ((a == "--config" || a == "-c") && i + 1 < argc) {
                config = argv[++i];
            } else if (a == "--log-level" && i + 1 < argc) {
                std::string l = argv[++i];
                if (l == "debug") {
                    sbc::log::setLevel(sbc::log::Level::Debug);
                } else if (l == "info") {
                    sbc::log::setLevel(sbc::log::Level::Info);
                } else if (l == "warn") {
                    sbc::log::setLevel(sbc::log::Level::Warn);
                } else if (l == "error") {
                    sbc::log::setLevel(sbc::log::Level::Error);
                } else {
                    return usageError("unknown log level '" + l + "'");
                }
            } else if (a == "--help" || a == "-h") {
                std::fputs(kUsage, stdout);
                return 0;
            } else {
                return usageError("unknown option '" + a + "'");
            }
        }
        if (config.empty()) {
            return usageError("run needs --config FILE");
        }
        try {
            return run(config);
        } catch (const std::exception& e) {
            sbc::log::error("fatal", "error=" + sbc::log::quote(e.what()));
            return 1;
        }
    }
    return usageError("unknown command '" + cmd + "'");
}
