#include "sbc/config.hpp"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

namespace sbc {

namespace {

class Loader {
  public:
    Loader(std::string path, std::vector<ConfigError>& errors)
        : path_(std::move(path)), errors_(errors) {}

    void error(const YAML::Mark& mark, const std::string& msg) {
        // yaml-cpp marks are 0-based.
        std::string where = path_;
        if (mark.line >= 0) {
            where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
        }
        errors_.push_back({where + ": error: " + msg});
    }

    bool ok() const { return errors_.empty(); }

    static bool ipLiteral(const std::string& s) {
        unsigned char buf[16];
        return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
    }

    // Checks that a mapping has only the given keys.
    void onlyKeys(const YAML::Node& map, std::initializer_list<std::string_view> keys,
                  std::string_view where) {
        for (const auto& kv : map) {
            std::string k = kv.first.as<std::string>();
            bool known = false;
            for (auto allowed : keys) {
                known = known || k == allowed;
            }
            if (!known) {
                error(kv.first.Mark(), "unknown key '" + k + "' in " + std::string(where));
            }
        }
    }

    template <typename T>
    bool number(const YAML::Node& n, T min, T max, T& out, std::string_view what) {
        try {
            long long v = n.as<long long>();
            if (v < static_cast<long long>(min) || v > static_cast<long long>(max)) {
                error(n.Mark(), std::string(what) + " must be between " + std::to_string(min) +
                                    " and " + std::to_string(max));
                return false;
            }
            out = static_cast<T>(v);
            return true;
        } catch (const YAML::Exception&) {
            error(n.Mark(), std::string(what) + " must be an integer");
            return false;
        }
    }

    bool string(const YAML::Node& n, std::string& out, std::string_view what) {
        if (!n.IsScalar()) {
            error(n.Mark(), std::string(what) + " must be a string");
            return false;
        }
        out = n.as<std::string>();
        return true;
    }

    bool boolean(const YAML::Node& n, bool& out, std::string_view what) {
        try {
            out = n.as<bool>();
            return true;
        } catch (const YAML::Exception&) {
            error(n.Mark(), std::string(what) + " must be true or false");
            return false;
        }
    }

    void listener(const YAML::Node& n, Config& cfg, std::set<std::string>& names) {
        if (!n.IsMap()) {
            error(n.Mark(), "a listener must be a mapping");
            return;
        }
        onlyKeys(n, {"name", "side", "transport", "address", "port", "tls"}, "listener");
        ListenerSettings l;
        for (const char* required : {"name", "transport", "address", "port"}) {
            if (!n[required]) {
                error(n.Mark(), std::string("listener needs '") + required + "'");
                return;
            }
        }
        string(n["name"], l.name, "name");
        if (!names.insert(l.name).second) {
            error(n["name"].Mark(), "duplicate listener name '" + l.name + "'");
        }
        l.side = "outside";
        if (n["side"]) {
            string(n["side"], l.side, "side");
            if (l.side != "outside" && l.side != "inside") {
                error(n["side"].Mark(), "side must be 'outside' or 'inside'");
            }
        }
        string(n["transport"], l.transport, "transport");
        if (l.transport != "udp" && l.transport != "tcp" && l.transport != "tls") {
            error(n["transport"].Mark(), "transport must be udp, tcp or tls");
        }
        string(n["address"], l.address, "address");
        if (!ipLiteral(l.address)) {
            error(n["address"].Mark(), "address must be an IPv4 or IPv6 literal");
        }
        number<uint16_t>(n["port"], 0, 65535, l.port, "port");
        if (l.transport == "tls") {
            const YAML::Node t = n["tls"];
            if (!t || !t.IsMap()) {
                error(n.Mark(),
                      "a tls listener needs a 'tls' mapping with certificate and private_key");
            } else {
                onlyKeys(t, {"certificate", "private_key", "ca", "verify_peer"}, "tls");
                TlsSettings s;
                if (!t["certificate"] || !t["private_key"]) {
                    error(t.Mark(), "tls needs 'certificate' and 'private_key'");
                } else {
                    string(t["certificate"], s.certificate, "certificate");
                    string(t["private_key"], s.privateKey, "private_key");
                }
                if (t["ca"]) {
                    string(t["ca"], s.caFile, "ca");
                }
                if (t["verify_peer"]) {
                    boolean(t["verify_peer"], s.verifyPeer, "verify_peer");
                }
                if (s.verifyPeer && s.caFile.empty()) {
                    error(t.Mark(), "verify_peer needs 'ca'");
                }
                l.tls = s;
            }
        } else if (n["tls"]) {
            error(n["tls"].Mark(), "'tls' is only valid for transport tls");
        }
        cfg.listeners.push_back(std::move(l));
    }

    // media: { dataplane_socket: PATH, reconnect_ms: N,
    //          sides: { outside: { address: IP, ports: [FIRST, LAST] }, inside: {...} } }
    void media(const YAML::Node& m, MediaSettings& out) {
        if (!m.IsMap()) {
            error(m.Mark(), "media must be a mapping");
            return;
        }
        onlyKeys(m, {"dataplane_socket", "sides", "reconnect_ms"}, "media");
        if (!m["dataplane_socket"]) {
            error(m.Mark(), "media needs 'dataplane_socket'");
        } else {
            string(m["dataplane_socket"], out.dataplaneSocket, "dataplane_socket");
        }
        long ms = 0;
        if (m["reconnect_ms"] && number<long>(m["reconnect_ms"], 10, 60000, ms, "reconnect_ms")) {
            out.reconnectInterval = std::chrono::milliseconds(ms);
        }
        const YAML::Node sides = m["sides"];
        if (!sides || !sides.IsMap() || sides.size() == 0) {
            error(sides ? sides.Mark() : m.Mark(), "media needs 'sides', a mapping of side names");
            return;
        }
        for (const auto& kv : sides) {
            MediaSideSettings side;
            side.name = kv.first.as<std::string>();
            if (side.name != "outside" && side.name != "inside") {
                error(kv.first.Mark(), "media side must be 'outside' or 'inside'");
                continue;
            }
            const YAML::Node s = kv.second;
            if (!s.IsMap()) {
                error(s.Mark(), "media side '" + side.name + "' must be a mapping");
                continue;
            }
            onlyKeys(s, {"address", "ports"}, "media side");
            if (!s["address"] || !string(s["address"], side.address, "address") ||
                !ipLiteral(side.address)) {
                error(s["address"] ? s["address"].Mark() : s.Mark(),
                      "media side needs 'address', an IPv4 or IPv6 literal");
            }
            if (const YAML::Node p = s["ports"]) {
                if (!p.IsSequence() || p.size() != 2) {
                    error(p.Mark(), "ports must be [FIRST, LAST]");
                } else if (number<uint16_t>(p[0], 1024, 65534, side.firstPort, "first port") &&
                           number<uint16_t>(p[1], 1025, 65535, side.lastPort, "last port") &&
                           side.lastPort < side.firstPort + 3) {
                    error(p.Mark(), "ports must hold at least two RTP/RTCP pairs");
                }
            }
            out.sides.push_back(std::move(side));
        }
    }

    // b2bua: { cdr_file: PATH, secrets_file: PATH, state_dir: PATH, timer_c_seconds: N,
    //         max_call_duration_seconds: N, max_calls: N }
    void b2bua(const YAML::Node& b, B2buaSettings& out) {
        out.enabled = true;
        if (b.IsNull()) {
            return;
        }
        if (!b.IsMap()) {
            error(b.Mark(), "b2bua must be a mapping");
            return;
        }
        onlyKeys(b,
                 {"cdr_file", "secrets_file", "state_dir", "timer_c_seconds",
                  "max_call_duration_seconds", "max_calls"},
                 "b2bua");
        if (b["cdr_file"]) {
            string(b["cdr_file"], out.cdrFile, "cdr_file");
        }
        if (b["secrets_file"]) {
            string(b["secrets_file"], out.secretsFile, "secrets_file");
        }
        if (b["state_dir"] && string(b["state_dir"], out.stateDir, "state_dir") &&
            out.stateDir.empty()) {
            error(b["state_dir"].Mark(), "state_dir must be a directory path (omit it for none)");
        }
        long secs = 0;
        // RFC 3261 §16.6 item 11 asks for more than 3 minutes; shorter is allowed for labs.
        if (b["timer_c_seconds"] &&
            number<long>(b["timer_c_seconds"], 1, 3600, secs, "timer_c_seconds")) {
            out.timerC = std::chrono::seconds(secs);
        }
        if (b["max_call_duration_seconds"] &&
            number<long>(b["max_call_duration_seconds"], 0, 7 * 86400, secs,
                         "max_call_duration_seconds")) {
            out.maxCallDuration = std::chrono::seconds(secs);
        }
        if (b["max_calls"]) {
            number<size_t>(b["max_calls"], 1, 10000000, out.maxCalls, "max_calls");
        }
    }

    std::optional<Config> load() {
        YAML::Node root;
        try {
            root = YAML::LoadFile(path_);
        } catch (const YAML::BadFile&) {
            errors_.push_back({path_ + ": error: cannot read file"});
            return std::nullopt;
        } catch (const YAML::Exception& e) {
            error(e.mark, e.msg);
            return std::nullopt;
        }
        if (!root.IsMap()) {
            error(root.Mark(), "the configuration must be a mapping");
            return std::nullopt;
        }
        Config cfg;
        cfg.path = path_;
        onlyKeys(root,
                 {"listeners", "sip", "transport", "timers", "admin", "metrics", "media", "b2bua",
                  "policy"},
                 "configuration");
        const YAML::Node ls = root["listeners"];
        if (!ls || !ls.IsSequence() || ls.size() == 0) {
            error(ls ? ls.Mark() : root.Mark(), "'listeners' must be a non-empty list");
        } else {
            std::set<std::string> names;
            for (const auto& n : ls) {
                listener(n, cfg, names);
            }
        }
        if (const YAML::Node s = root["sip"]) {
            onlyKeys(s, {"max_message_bytes", "max_headers", "max_header_bytes", "server_header"},
                     "sip");
            if (s["max_message_bytes"]) {
                number<size_t>(s["max_message_bytes"], 1024, 65535, cfg.sip.maxMessageBytes,
                               "max_message_bytes");
            }
            if (s["max_headers"]) {
                number<size_t>(s["max_headers"], 10, 1000, cfg.sip.maxHeaders, "max_headers");
            }
            if (s["max_header_bytes"]) {
                number<size_t>(s["max_header_bytes"], 128, 65535, cfg.sip.maxHeaderBytes,
                               "max_header_bytes");
            }
            if (s["server_header"]) {
                string(s["server_header"], cfg.sip.serverHeader, "server_header");
            }
        }
        if (const YAML::Node t = root["transport"]) {
            onlyKeys(t,
                     {"max_connections", "max_connections_per_source", "idle_timeout_seconds",
                      "tls_handshake_timeout_seconds", "max_send_queue_bytes"},
                     "transport");
            if (t["max_connections"]) {
                number<size_t>(t["max_connections"], 1, 1000000, cfg.transport.maxConnections,
                               "max_connections");
            }
            if (t["max_connections_per_source"]) {
                number<size_t>(t["max_connections_per_source"], 1, 100000,
                               cfg.transport.maxConnectionsPerSource, "max_connections_per_source");
            }
            long secs = 0;
            if (t["idle_timeout_seconds"] &&
                number<long>(t["idle_timeout_seconds"], 1, 86400, secs, "idle_timeout_seconds")) {
                cfg.transport.idleTimeout = std::chrono::seconds(secs);
            }
            if (t["tls_handshake_timeout_seconds"] &&
                number<long>(t["tls_handshake_timeout_seconds"], 1, 300, secs,
                             "tls_handshake_timeout_seconds")) {
                cfg.transport.tlsHandshakeTimeout = std::chrono::seconds(secs);
            }
            if (t["max_send_queue_bytes"]) {
                number<size_t>(t["max_send_queue_bytes"], 65536, size_t{1} << 30,
                               cfg.transport.maxSendQueueBytes, "max_send_queue_bytes");
            }
        }
        if (const YAML::Node t = root["timers"]) {
            onlyKeys(t, {"t1_ms", "t2_ms", "t4_ms", "max_transactions"}, "timers");
            long ms = 0;
            if (t["t1_ms"] && number<long>(t["t1_ms"], 10, 60000, ms, "t1_ms")) {
                cfg.timers.t1 = std::chrono::milliseconds(ms);
            }
            if (t["t2_ms"] && number<long>(t["t2_ms"], 10, 60000, ms, "t2_ms")) {
                cfg.timers.t2 = std::chrono::milliseconds(ms);
            }
            if (t["t4_ms"] && number<long>(t["t4_ms"], 10, 60000, ms, "t4_ms")) {
                cfg.timers.t4 = std::chrono::milliseconds(ms);
            }
            if (t["max_transactions"]) {
                number<size_t>(t["max_transactions"], 10, 10000000, cfg.timers.maxTransactions,
                               "max_transactions");
            }
            if (cfg.timers.t2 < cfg.timers.t1) {
                error(t.Mark(), "t2_ms must not be smaller than t1_ms");
            }
        }
        if (const YAML::Node a = root["admin"]) {
            onlyKeys(a, {"socket"}, "admin");
            if (a["socket"]) {
                string(a["socket"], cfg.adminSocket, "socket");
            }
        }
        if (const YAML::Node m = root["metrics"]) {
            onlyKeys(m, {"listen"}, "metrics");
            if (m["listen"] && string(m["listen"], cfg.metricsListen, "listen")) {
                // ADDRESS:PORT with a literal address ([v6]:port for IPv6).
                std::string l = cfg.metricsListen;
                size_t colon = l.rfind(':');
                std::string host = colon == std::string::npos ? "" : l.substr(0, colon);
                if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
                    host = host.substr(1, host.size() - 2);
                }
                bool hostOk = ipLiteral(host);
                std::string port = colon == std::string::npos ? "" : l.substr(colon + 1);
                bool portOk = !port.empty() && port.size() <= 5 &&
                              port.find_first_not_of("0123456789") == std::string::npos &&
                              std::stoul(port) <= 65535;
                if (!hostOk || !portOk) {
                    error(m["listen"].Mark(),
                          "listen must be ADDRESS:PORT, e.g. 127.0.0.1:9360 or [::1]:9360");
                }
            }
        }
        if (const YAML::Node m = root["media"]) {
            media(m, cfg.media);
        }
        if (const YAML::Node b = root["b2bua"]) {
            b2bua(b, cfg.b2bua);
        }
        // --- policy files (controlplane/policy) ---
        // policy: [FILE, ...]  or  policy: {files: [FILE, ...]}
        if (YAML::Node p = root["policy"]) {
            bool mapping = p.IsMap();
            if (mapping) {
                onlyKeys(p, {"files"}, "policy");
                p = p["files"];
            }
            if (!p || !p.IsSequence() || p.size() == 0) {
                error(p ? p.Mark() : root["policy"].Mark(),
                      mapping ? "policy needs 'files', a non-empty list of paths"
                              : "'policy' must be a non-empty list of policy files");
            } else {
                std::filesystem::path base = std::filesystem::path(path_).parent_path();
                for (const auto& f : p) {
                    std::string file;
                    if (string(f, file, "policy file")) {
                        std::filesystem::path fp(file);
                        cfg.policyFiles.push_back(fp.is_absolute() ? file : (base / fp).string());
                    }
                }
            }
        }
        if (!ok()) {
            return std::nullopt;
        }
        return cfg;
    }

  private:
    std::string path_;
    std::vector<ConfigError>& errors_;
};

}  // namespace

std::optional<Config> loadConfig(const std::string& path, std::vector<ConfigError>& errors) {
    Loader loader(path, errors);
    return loader.load();
}

}  // namespace sbc
