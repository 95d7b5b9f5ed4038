#include "dataplane/config.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

namespace sbc::dataplane {

namespace {

class Loader {
  public:
    Loader(std::string path, std::vector<ConfigError>& errors)
        : path_(std::move(path)), errors_(errors) {}

    void error(const YAML::Mark& mark, const std::string& msg) {
        // yaml-cpp marks are 0-based.
        std::string where = path_;
        if (mark.line >= 0) {
            where.append(":").append(std::to_string(mark.line + 1));
            where.append(":").append(std::to_string(mark.column + 1));
        }
        where.append(": error: ").append(msg);
        errors_.push_back({std::move(where)});
    }

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

    // "ADDRESS/PREFIX".
    bool prefix(const YAML::Node& n, InterfaceAddress& out) {
        std::string s;
        if (!string(n, s, "address")) {
            return false;
        }
        auto slash = s.find('/');
        auto ip = dpapi::IpAddress::parse(s.substr(0, slash));
        if (slash == std::string::npos || !ip) {
            error(n.Mark(), "address must be ADDRESS/PREFIX, e.g. 192.0.2.1/24 or 2001:db8::1/64");
            return false;
        }
        std::string p = s.substr(slash + 1);
        unsigned max = ip->family == 4 ? 32 : 128;
        if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(p) > max) {
            error(n.Mark(), "prefix length must be 0.." + std::to_string(max));
            return false;
        }
        out.ip = *ip;
        out.prefixLength = static_cast<std::uint8_t>(std::stoul(p));
        return true;
    }

    void interface(const YAML::Node& n, DataplaneConfig& cfg, std::set<std::string>& names) {
        if (!n.IsMap()) {
            error(n.Mark(), "an interface must be a mapping");
            return;
        }
        onlyKeys(n, {"name", "device", "addresses", "gateway", "gateway6", "mtu", "vlan"},
                 "interface");
        for (const char* required : {"name", "device", "addresses"}) {
            if (!n[required]) {
                error(n.Mark(), std::string("interface needs '") + required + "'");
                return;
            }
        }
        InterfaceConfig ic;
        if (string(n["name"], ic.name, "name")) {
            bool valid = !ic.name.empty() && ic.name.size() <= dpapi::kMaxInterfaceNameLength &&
                         ic.name.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                             "TUVWXYZ0123456789_.-") == std::string::npos;
            if (!valid) {
                error(n["name"].Mark(), "name must be 1..31 characters of [A-Za-z0-9_.-]");
            } else if (!names.insert(ic.name).second) {
                error(n["name"].Mark(), "duplicate interface name '" + ic.name + "'");
            }
        }
        if (string(n["device"], ic.device, "device") && ic.device.empty()) {
            error(n["device"].Mark(), "device must not be empty");
        }
        const YAML::Node as = n["addresses"];
        if (!as.IsSequence() || as.size() == 0 || as.size() > dpapi::kMaxAddressesPerInterface) {
            error(as.Mark(), "addresses must be a list of 1..8 ADDRESS/PREFIX");
        } else {
            for (const auto& a : as) {
                InterfaceAddress ia;
                if (prefix(a, ia)) {
                    ic.addresses.push_back(ia);
                }
            }
        }
        for (const char* key : {"gateway", "gateway6"}) {
            if (!n[key]) {
                continue;
            }
            std::string s;
            if (!string(n[key], s, key)) {
                continue;
            }
            auto ip = dpapi::IpAddress::parse(s);
            int family = std::string(key) == "gateway" ? 4 : 6;
            if (!ip || ip->family != family) {
                error(n[key].Mark(),
                      std::string(key) + " must be an IPv" + std::to_string(family) + " literal");
                continue;
            }
            (family == 4 ? ic.gateway : ic.gateway6) = *ip;
        }
        if (n["mtu"]) {
            number<std::uint16_t>(n["mtu"], 576, 9000, ic.mtu, "mtu");
        }
        if (n["vlan"]) {
            number<std::uint16_t>(n["vlan"], 0, 4094, ic.vlan, "vlan");
        }
        cfg.interfaces.push_back(std::move(ic));
    }

  public:
    std::optional<DataplaneConfig> load() {
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
        DataplaneConfig cfg;
        cfg.path = path_;
        onlyKeys(root, {"eal", "interfaces", "workers", "rt_priority", "control", "flows", "ports"},
                 "configuration");
        if (const YAML::Node e = root["eal"]) {
            if (!e.IsSequence()) {
                error(e.Mark(), "eal must be a list of EAL arguments");
            } else {
                for (const auto& a : e) {
                    std::string s;
                    if (string(a, s, "EAL argument")) {
                        cfg.eal.push_back(s);
                    }
                }
            }
        }
        const YAML::Node is = root["interfaces"];
        if (!is || !is.IsSequence() || is.size() == 0 || is.size() > dpapi::kMaxInterfaces) {
            error(is ? is.Mark() : root.Mark(), "'interfaces' must be a list of 1..16 interfaces");
        } else {
            std::set<std::string> names;
            for (const auto& n : is) {
                interface(n, cfg, names);
            }
        }
        if (root["workers"]) {
            number<unsigned>(root["workers"], 1, 64, cfg.workers, "workers");
        }
        if (root["rt_priority"]) {
            number<int>(root["rt_priority"], 0, 99, cfg.rtPriority, "rt_priority");
        }
        if (const YAML::Node c = root["control"]) {
            onlyKeys(c, {"socket"}, "control");
            if (c["socket"] && string(c["socket"], cfg.controlSocket, "socket") &&
                (cfg.controlSocket.empty() || cfg.controlSocket.size() > 100)) {
                error(c["socket"].Mark(), "socket must be a path of 1..100 characters");
            }
        }
        if (const YAML::Node f = root["flows"]) {
            onlyKeys(f, {"capacity", "idle_timeout_ms"}, "flows");
            if (f["capacity"]) {
                number<std::uint32_t>(f["capacity"], 1, 4000000, cfg.flowCapacity, "capacity");
            }
            if (f["idle_timeout_ms"]) {
                number<std::uint32_t>(f["idle_timeout_ms"], 100, dpapi::kMaxIdleTimeoutMs,
                                      cfg.idleTimeoutMs, "idle_timeout_ms");
            }
        }
        if (const YAML::Node p = root["ports"]) {
            onlyKeys(p,
                     {"mbufs", "rx_descriptors", "tx_descriptors", "neighbours", "idle_sleep_us",
                      "tx_drain_us"},
                     "ports");
            if (p["idle_sleep_us"]) {
                number<std::uint32_t>(p["idle_sleep_us"], 0, 1000, cfg.idleSleepUs,
                                      "idle_sleep_us");
            }
            if (p["tx_drain_us"]) {
                number<std::uint32_t>(p["tx_drain_us"], 0, 1000, cfg.txDrainUs, "tx_drain_us");
            }
            if (p["mbufs"]) {
                number<std::uint32_t>(p["mbufs"], 1023, 4194303, cfg.mbufs, "mbufs");
            }
            if (p["rx_descriptors"]) {
                number<std::uint16_t>(p["rx_descriptors"], 64, 16384, cfg.rxDescriptors,
                                      "rx_descriptors");
            }
            if (p["tx_descriptors"]) {
                number<std::uint16_t>(p["tx_descriptors"], 64, 16384, cfg.txDescriptors,
                                      "tx_descriptors");
            }
            if (p["neighbours"]) {
                number<std::uint32_t>(p["neighbours"], 16, 1048576, cfg.neighbourCapacity,
                                      "neighbours");
            }
        }
        if (!errors_.empty()) {
            return std::nullopt;
        }
        return cfg;
    }

  private:
    std::string path_;
    std::vector<ConfigError>& errors_;
};

}  // namespace

std::optional<DataplaneConfig> loadConfig(const std::string& path,
                                          std::vector<ConfigError>& errors) {
    return Loader(path, errors).load();
}

}  // namespace sbc::dataplane
