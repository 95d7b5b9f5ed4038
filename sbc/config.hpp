#pragma once
// The sbc configuration file (YAML): listeners, SIP limits, transport limits, timers, admin
// socket. Loaded once at start; every mistake is reported as FILE:LINE:COL: error: message.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sbc {

struct TlsSettings {
    std::string certificate;  // PEM file
    std::string privateKey;   // PEM file
    std::string caFile;       // optional: verify peers against it
    bool verifyPeer = false;
};

struct ListenerSettings {
    std::string name;       // unique, e.g. "outside-udp"
    std::string side;       // "outside" or "inside"
    std::string transport;  // "udp", "tcp" or "tls"
    std::string address;    // IPv4 or IPv6 literal
    uint16_t port = 0;
    std::optional<TlsSettings> tls;
};

struct SipSettings {
    size_t maxMessageBytes = 65535;
    size_t maxHeaders = 100;
    size_t maxHeaderBytes = 4096;
    std::string serverHeader =
        "sbc";  // Server / User-Agent sbc presents; never a version by default
};

struct TransportSettings {
    size_t maxConnections = 10000;
    size_t maxConnectionsPerSource = 64;
    std::chrono::seconds idleTimeout{300};
    std::chrono::seconds tlsHandshakeTimeout{10};
    size_t maxSendQueueBytes = 1 << 20;
};

struct TimerSettings {
    std::chrono::milliseconds t1{500};
    std::chrono::milliseconds t2{4000};
    std::chrono::milliseconds t4{5000};
    size_t maxTransactions = 100000;
};

// One media side: the address sbc-dataplane relays on and the RTP/RTCP port range sbc hands out.
struct MediaSideSettings {
    std::string name;     // "outside" or "inside" (the listeners' and trunks' side)
    std::string address;  // IPv4 or IPv6 literal, one of sbc-dataplane's interface addresses
    uint16_t firstPort = 20000;
    uint16_t lastPort = 29999;
};

struct MediaSettings {
    std::string dataplaneSocket;  // sbc-dataplane's control socket; empty: no media relay
    std::vector<MediaSideSettings> sides;
    std::chrono::milliseconds reconnectInterval{200};
};

// The B2BUA (calls). Present: INVITEs are routed by the policy; absent: answered per uas_rules.
struct B2buaSettings {
    bool enabled = false;
    std::string cdrFile;      // one JSON line per finished call; empty: no CDRs
    std::string secretsFile;  // digest credentials towards trunks (YAML); empty: none
    // Established calls are kept here (one file per call) and re-adopted by a restarted sbc;
    // empty: no persistence.
    std::string stateDir;
    std::chrono::seconds timerC{180};
    std::chrono::seconds maxCallDuration{14400};  // 0: unlimited
    size_t maxCalls = 100000;
};

struct Config {
    std::string path;
    std::vector<ListenerSettings> listeners;
    SipSettings sip;
    TransportSettings transport;
    TimerSettings timers;
    std::string adminSocket;    // empty: no admin socket
    std::string metricsListen;  // "127.0.0.1:9360"; empty: no metrics listener
    MediaSettings media;
    B2buaSettings b2bua;
    // Policy files (controlplane/policy, policies/README.md); relative paths are resolved against
    // the configuration file's directory. Empty: no policy gate.
    std::vector<std::string> policyFiles;
};

struct ConfigError {
    std::string message;  // "FILE:LINE:COL: error: ..."
};

// Loads and validates a configuration file. On error returns nullopt and appends to errors.
std::optional<Config> loadConfig(const std::string& path, std::vector<ConfigError>& errors);

}  // namespace sbc
