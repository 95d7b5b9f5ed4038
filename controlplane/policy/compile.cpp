#include "controlplane/policy/compile.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "controlplane/policy/yaml_reader.hpp"

namespace sbc::policy {

namespace {

constexpr int kSchemaVersion = 1;

const std::vector<std::string> kDefaultScanners = {
    "friendly-scanner", "sipvicious", "sipcli",    "vaxsipuseragent",
    "sip-scan",         "iwar",       "sundayddr", "pplsip",
    "siparmyknife",     "smap"};

const std::set<std::string> kMethods = {"INVITE",    "ACK",    "BYE",     "CANCEL", "OPTIONS",
                                        "REGISTER",  "PRACK",  "UPDATE",  "INFO",   "REFER",
                                        "SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE"};

// RE2 (linear-time matching: a policy regex can never make sbc backtrack on hostile input).
std::string regexProblem(re2::RE2::ErrorCode code) {
    switch (code) {
        case re2::RE2::ErrorMissingParen:
        case re2::RE2::ErrorUnexpectedParen:
            return "unbalanced (";
        case re2::RE2::ErrorMissingBracket:
            return "unbalanced [";
        case re2::RE2::ErrorBadEscape:
        case re2::RE2::ErrorTrailingBackslash:
            return "invalid escape";
        case re2::RE2::ErrorBadCharClass:
            return "invalid character class";
        case re2::RE2::ErrorBadCharRange:
            return "invalid character range";
        case re2::RE2::ErrorRepeatArgument:
        case re2::RE2::ErrorRepeatOp:
            return "repeat with nothing before it";
        case re2::RE2::ErrorRepeatSize:
            return "invalid {} range";
        case re2::RE2::ErrorBadPerlOp:
            return "unsupported construct (no look-around or back references)";
        case re2::RE2::ErrorPatternTooLarge:
            return "pattern too large";
        default:
            return "invalid regular expression";
    }
}

// Where a name was first defined, and the node to point at.
struct Definition {
    std::string where;
};

// References checked once every file is read.
struct RouteRefs {
    std::size_t route;
    std::string file;
    std::vector<std::pair<std::string, YAML::Mark>> from;
    std::pair<std::string, YAML::Mark> target;
    YamlReader* reader;
    YAML::Mark mark;  // of the route itself
};

class Compiler {
  public:
    explicit Compiler(std::vector<Diagnostic>& diags) : diags_(diags) {}

    void file(const std::string& path) {
        readers_.push_back(std::make_unique<YamlReader>(path, diags_));
        YamlReader& r = *readers_.back();
        // Every shape is checked before it is indexed; should one slip through, yaml-cpp's
        // exception becomes an error at its position (a reload must never take sbc down).
        try {
            fileChecked(path, r);
        } catch (const YAML::Exception& e) {
            r.error(e.mark, "unexpected structure: " + e.msg);
        }
    }

    void fileChecked(const std::string& path, YamlReader& r) {
        YAML::Node root;
        try {
            root = YAML::LoadFile(path);
        } catch (const YAML::BadFile&) {
            diags_.push_back({Diagnostic::Severity::Error, path + ": error: cannot read file"});
            ++fatal_;
            return;
        } catch (const YAML::Exception& e) {
            r.error(e.mark, "YAML syntax: " + e.msg);
            return;
        }
        snap_->files.push_back(path);
        if (!root.IsMap()) {
            r.error(root.Mark(), "a policy file must be a mapping with 'version: 1'");
            return;
        }
        r.mapping(root, "policy file",
                  {"version", "trunks", "routes", "acl", "limits", "bans", "overload"});
        if (!r.require(root, "policy file", {"version"})) {
            return;
        }
        long long version = 0;
        if (!r.integer(root["version"], "version", 0, 1000000, version)) {
            return;
        }
        if (version != kSchemaVersion) {
            r.error(root["version"].Mark(), "unsupported version " + std::to_string(version) +
                                                " (this sbc reads version 1)");
            return;
        }
        if (const YAML::Node t = root["trunks"]) {
            if (!t.IsSequence()) {
                r.error(t.Mark(), "'trunks' must be a list");
            } else {
                for (const auto& n : t) {
                    trunk(r, n);
                }
            }
        }
        if (const YAML::Node t = root["routes"]) {
            if (!t.IsSequence()) {
                r.error(t.Mark(), "'routes' must be a list");
            } else {
                for (const auto& n : t) {
                    route(r, n);
                }
            }
        }
        if (const YAML::Node a = root["acl"]) {
            if (once(r, a, "acl")) {
                acl(r, a, snap_->acl, "acl");
                aclDefaultMark_ =
                    a.IsMap() && a["default"] ? r.where(a["default"].Mark()) : r.where(a.Mark());
            }
        }
        if (const YAML::Node l = root["limits"]) {
            if (once(r, l, "limits")) {
                limits(r, l);
            }
        }
        if (const YAML::Node b = root["bans"]) {
            if (once(r, b, "bans")) {
                bans(r, b);
            }
        }
        if (const YAML::Node o = root["overload"]) {
            if (once(r, o, "overload")) {
                overload(r, o);
            }
        }
    }

    CompileResult finish() {
        crossChecks();
        CompileResult res;
        std::size_t errors = fatal_;
        for (const auto& rd : readers_) {
            errors += rd->errorCount();
        }
        if (errors == 0) {
            snap_->compile();
            res.policy = std::move(snap_);
        }
        return res;
    }

  private:
    // A section that may appear in one file only.
    bool once(YamlReader& r, const YAML::Node& n, const std::string& name) {
        auto [it, fresh] = sections_.emplace(name, r.where(n.Mark()));
        if (!fresh) {
            r.error(n.Mark(), "section '" + name + "' is already defined at " + it->second);
            return false;
        }
        return true;
    }

    bool uniqueName(YamlReader& r, const YAML::Node& n, std::map<std::string, std::string>& seen,
                    const std::string& kind, const std::string& name) {
        auto [it, fresh] = seen.emplace(name, r.where(n.Mark()));
        if (!fresh) {
            r.error(n.Mark(), "duplicate " + kind + " name '" + name + "' (first defined at " +
                                  it->second + ")");
            return false;
        }
        return true;
    }

    std::optional<Pattern> pattern(YamlReader& r, const YAML::Node& n, std::string_view key,
                                   bool icase) {
        std::string src;
        if (!r.string(n, key, src)) {
            return std::nullopt;
        }
        re2::RE2::Options opts;
        opts.set_log_errors(false);
        opts.set_case_sensitive(!icase);
        opts.set_max_mem(1 << 20);  // bounded compile and match memory per pattern
        auto re = std::make_shared<const re2::RE2>(src, opts);
        if (!re->ok()) {
            r.error(n.Mark(), "bad regex '" + src + "' in '" + std::string(key) +
                                  "': " + regexProblem(re->error_code()));
            return std::nullopt;
        }
        return Pattern{src, std::move(re)};
    }

    void cidrs(YamlReader& r, const YAML::Node& n, std::string_view key, std::vector<Cidr>& out) {
        std::vector<std::string> texts;
        std::vector<YAML::Mark> marks;
        r.strings(n, key, texts, &marks);
        out.reserve(texts.size());
        for (std::size_t i = 0; i < texts.size(); ++i) {
            std::string why;
            auto c = parseCidr(texts[i], why);
            if (!c) {
                r.error(marks[i], "bad CIDR: " + why);
                continue;
            }
            out.push_back(*c);
        }
    }

    void transport(YamlReader& r, const YAML::Node& n, Transport& out) {
        std::string t;
        if (r.oneOf(n, "transport", {"udp", "tcp", "tls"}, t)) {
            out = t == "udp" ? Transport::Udp : t == "tcp" ? Transport::Tcp : Transport::Tls;
        }
    }

    void trunk(YamlReader& r, const YAML::Node& n) {
        if (!r.mapping(n, "trunk",
                       {"name", "side", "sources", "transport", "source_port", "destinations",
                        "options_ping", "failover", "redirects", "headers", "media", "limits",
                        "credentials", "acl"})) {
            return;
        }
        if (!r.require(n, "trunk", {"name", "side"})) {
            return;
        }
        Trunk t;
        t.where = r.where(n.Mark());
        if (!r.string(n["name"], "name", t.name)) {
            return;
        }
        if (!validName(r, n["name"], t.name) ||
            !uniqueName(r, n["name"], trunkNames_, "trunk", t.name)) {
            return;
        }
        r.oneOf(n["side"], "side", {"outside", "inside"}, t.side);
        if (const YAML::Node s = n["sources"]) {
            cidrs(r, s, "sources", t.sources);
        }
        if (const YAML::Node s = n["transport"]) {
            Transport tr{};
            transport(r, s, tr);
            t.transport = tr;
        }
        long long v = 0;
        if (const YAML::Node s = n["source_port"]) {
            if (r.integer(s, "source_port", 1, 65535, v)) {
                t.sourcePort = static_cast<std::uint16_t>(v);
            }
        }
        if (const YAML::Node ds = n["destinations"]) {
            if (!ds.IsSequence()) {
                r.error(ds.Mark(), "'destinations' must be a list");
            } else {
                for (const auto& d : ds) {
                    destination(r, d, t);
                }
            }
        }
        if (const YAML::Node p = n["options_ping"]) {
            if (r.mapping(p, "options_ping",
                          {"enabled", "interval_ms", "failures_to_down", "successes_to_up"})) {
                if (p["enabled"]) {
                    r.boolean(p["enabled"], "enabled", t.ping.enabled);
                }
                if (p["interval_ms"] &&
                    r.integer(p["interval_ms"], "interval_ms", 1000, 3600000, v)) {
                    t.ping.interval = std::chrono::milliseconds(v);
                }
                if (p["failures_to_down"] &&
                    r.integer(p["failures_to_down"], "failures_to_down", 1, 100, v)) {
                    t.ping.failuresToDown = static_cast<int>(v);
                }
                if (p["successes_to_up"] &&
                    r.integer(p["successes_to_up"], "successes_to_up", 1, 100, v)) {
                    t.ping.successesToUp = static_cast<int>(v);
                }
            }
        }
        if (const YAML::Node f = n["failover"]) {
            if (r.mapping(f, "failover", {"codes", "timeout_ms"})) {
                if (const YAML::Node c = f["codes"]) {
                    if (!c.IsSequence()) {
                        r.error(c.Mark(), "'codes' must be a list");
                    } else {
                        t.failoverCodes.clear();
                        for (const auto& code : c) {
                            if (r.integer(code, "codes", 300, 699, v)) {
                                t.failoverCodes.push_back(static_cast<int>(v));
                            }
                        }
                    }
                }
                if (f["timeout_ms"] && r.integer(f["timeout_ms"], "timeout_ms", 100, 120000, v)) {
                    t.failoverTimeout = std::chrono::milliseconds(v);
                }
            }
        }
        if (const YAML::Node s = n["redirects"]) {
            std::string m;
            if (r.oneOf(s, "redirects", {"relay", "follow"}, m)) {
                t.redirects = m == "relay" ? RedirectMode::Relay : RedirectMode::Follow;
            }
        }
        if (const YAML::Node h = n["headers"]) {
            if (r.mapping(h, "headers", {"allow", "strip"})) {
                if (h["allow"]) {
                    headerNames(r, h["allow"], "allow", t.headers.allow);
                }
                if (h["strip"]) {
                    headerNames(r, h["strip"], "strip", t.headers.strip);
                }
            }
        }
        if (const YAML::Node m = n["media"]) {
            if (r.mapping(m, "media", {"strip_ice", "latch"})) {
                if (m["strip_ice"]) {
                    r.boolean(m["strip_ice"], "strip_ice", t.stripIce);
                }
                if (m["latch"]) {
                    r.boolean(m["latch"], "latch", t.latchMedia);
                }
            }
        }
        if (const YAML::Node l = n["limits"]) {
            if (r.mapping(l, "trunk limits", {"cps", "concurrent"})) {
                if (l["cps"] && r.integer(l["cps"], "cps", 0, 100000, v)) {
                    t.maxCallsPerSecond = static_cast<std::uint32_t>(v);
                }
                if (l["concurrent"] && r.integer(l["concurrent"], "concurrent", 0, 10000000, v)) {
                    t.maxConcurrentCalls = static_cast<std::uint32_t>(v);
                }
            }
        }
        if (const YAML::Node c = n["credentials"]) {
            r.string(c, "credentials", t.credentials);
        }
        if (const YAML::Node a = n["acl"]) {
            acl(r, a, t.acl, "acl of trunk '" + t.name + "'");
        }
        if (t.sources.empty() && !n["sources"]) {
            r.warning(n.Mark(),
                      "trunk '" + t.name + "' has no sources: it never matches inbound requests");
        }
        trunkMarks_.push_back({&r, n.Mark()});
        snap_->trunks.push_back(std::move(t));
    }

    bool validName(YamlReader& r, const YAML::Node& n, const std::string& name) {
        bool ok =
            !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                       c == '.';
            });
        if (!ok) {
            r.error(n.Mark(),
                    "name '" + name + "' must be 1 to 64 letters, digits, '-', '_' or '.'");
        }
        return ok;
    }

    void headerNames(YamlReader& r, const YAML::Node& n, std::string_view key,
                     std::vector<std::string>& out) {
        std::vector<YAML::Mark> marks;
        std::vector<std::string> names;
        r.strings(n, key, names, &marks);
        for (std::size_t i = 0; i < names.size(); ++i) {
            // RFC 3261 §25.1: header names are tokens.
            bool ok =
                !names[i].empty() && std::all_of(names[i].begin(), names[i].end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) ||
                           std::string_view("-.!%*_+`'~").find(c) != std::string_view::npos;
                });
            if (!ok) {
                r.error(marks[i], "'" + names[i] + "' is not a header name");
                continue;
            }
            out.push_back(names[i]);
        }
    }

    void destination(YamlReader& r, const YAML::Node& d, Trunk& t) {
        if (!r.mapping(d, "destination", {"host", "port", "transport", "priority", "weight"})) {
            return;
        }
        if (!r.require(d, "destination", {"host"})) {
            return;
        }
        Destination out;
        r.string(d["host"], "host", out.host);
        long long v = 0;
        if (d["port"] && r.integer(d["port"], "port", 1, 65535, v)) {
            out.port = static_cast<std::uint16_t>(v);
        }
        if (d["transport"]) {
            transport(r, d["transport"], out.transport);
        }
        if (d["priority"] && r.integer(d["priority"], "priority", 0, 65535, v)) {
            out.priority = static_cast<int>(v);
        }
        if (d["weight"] && r.integer(d["weight"], "weight", 1, 65535, v)) {
            out.weight = static_cast<int>(v);
        }
        t.destinations.push_back(std::move(out));
    }

    void route(YamlReader& r, const YAML::Node& n) {
        if (!r.mapping(n, "route", {"name", "from", "user_prefix", "user_regex", "target"})) {
            return;
        }
        if (!r.require(n, "route", {"name", "target"})) {
            return;
        }
        Route rt;
        rt.where = r.where(n.Mark());
        if (!r.string(n["name"], "name", rt.name) || !validName(r, n["name"], rt.name) ||
            !uniqueName(r, n["name"], routeNames_, "route", rt.name)) {
            return;
        }
        RouteRefs refs{snap_->routes.size(), r.file(), {}, {}, &r, n.Mark()};
        if (const YAML::Node f = n["from"]) {
            std::vector<YAML::Mark> marks;
            r.strings(f, "from", rt.fromTrunks, &marks);
            for (std::size_t i = 0; i < rt.fromTrunks.size(); ++i) {
                refs.from.emplace_back(rt.fromTrunks[i], marks[i]);
            }
        }
        if (const YAML::Node p = n["user_prefix"]) {
            r.string(p, "user_prefix", rt.userPrefix);
        }
        if (const YAML::Node x = n["user_regex"]) {
            if (auto p = pattern(r, x, "user_regex", false)) {
                rt.regexSource = p->source;
                rt.userRegex = std::move(p->regex);
            }
        }
        if (r.string(n["target"], "target", rt.targetTrunk)) {
            refs.target = {rt.targetTrunk, n["target"].Mark()};
        }
        routeRefs_.push_back(std::move(refs));
        snap_->routes.push_back(std::move(rt));
    }

    void acl(YamlReader& r, const YAML::Node& n, Acl& out, const std::string& what) {
        if (!r.mapping(n, what, {"default", "deny_response", "rules"})) {
            return;
        }
        out.present = true;
        std::string s;
        if (n["default"] && r.oneOf(n["default"], "default", {"allow", "deny"}, s)) {
            out.defaultAction = s == "allow" ? AclAction::Allow : AclAction::Deny;
        }
        if (n["deny_response"] &&
            r.oneOf(n["deny_response"], "deny_response", {"reject", "drop"}, s)) {
            out.defaultResponse = s == "reject" ? DenyResponse::Reject : DenyResponse::Drop;
        }
        if (const YAML::Node rules = n["rules"]) {
            if (!rules.IsSequence()) {
                r.error(rules.Mark(), "'rules' must be a list");
            } else {
                std::vector<YAML::Mark> marks;
                for (const auto& rule : rules) {
                    if (aclRule(r, rule, out)) {
                        marks.push_back(rule.Mark());
                    }
                }
                shadowedRules(r, out, marks);
            }
        }
        std::vector<std::pair<Cidr, std::int32_t>> entries;
        for (std::size_t i = 0; i < out.rules.size(); ++i) {
            const AclRule& rule = out.rules[i];
            auto idx = static_cast<std::int32_t>(i);
            if (rule.sources.empty()) {
                entries.emplace_back(Cidr{boost::asio::ip::address_v4(), 0}, idx);
                entries.emplace_back(Cidr{boost::asio::ip::address_v6(), 0}, idx);
            }
            for (const Cidr& c : rule.sources) {
                entries.emplace_back(c, idx);
            }
        }
        out.firstRule.build(entries);
    }

    bool aclRule(YamlReader& r, const YAML::Node& n, Acl& acl) {
        if (!r.mapping(n, "acl rule",
                       {"name", "action", "response", "sources", "methods", "user_agent",
                        "from_user", "to_user", "ruri_user", "number_prefixes"})) {
            return false;
        }
        if (!r.require(n, "acl rule", {"action"})) {
            return false;
        }
        AclRule rule;
        rule.where = r.where(n.Mark());
        std::size_t before = r.errorCount();
        if (n["name"]) {
            r.string(n["name"], "name", rule.name);
        }
        std::string s;
        if (r.oneOf(n["action"], "action", {"allow", "deny"}, s)) {
            rule.action = s == "allow" ? AclAction::Allow : AclAction::Deny;
        }
        if (const YAML::Node x = n["response"]) {
            if (rule.action != AclAction::Deny) {
                r.error(x.Mark(), "'response' is only valid with 'action: deny'");
            } else if (r.oneOf(x, "response", {"reject", "drop"}, s)) {
                rule.response = s == "reject" ? DenyResponse::Reject : DenyResponse::Drop;
            }
        } else {
            rule.response = acl.defaultResponse;
        }
        if (const YAML::Node x = n["sources"]) {
            cidrs(r, x, "sources", rule.sources);
            if (rule.sources.empty() && x.IsSequence() && x.size() == 0) {
                r.error(x.Mark(), "'sources' must not be empty (omit it to match any source)");
            }
            std::vector<std::pair<Cidr, std::int32_t>> entries;
            entries.reserve(rule.sources.size());
            for (const Cidr& c : rule.sources) {
                entries.emplace_back(c, 0);
            }
            rule.sourceSet.build(entries);
        }
        if (const YAML::Node x = n["methods"]) {
            std::vector<YAML::Mark> marks;
            r.strings(x, "methods", rule.methods, &marks);
            for (std::size_t i = 0; i < rule.methods.size(); ++i) {
                std::string& m = rule.methods[i];
                std::transform(m.begin(), m.end(), m.begin(),
                               [](char c) { return static_cast<char>(std::toupper(c)); });
                if (!kMethods.contains(m)) {
                    r.error(marks[i], "unknown method '" + m + "'");
                }
            }
        }
        if (const YAML::Node x = n["user_agent"]) {
            rule.userAgent = pattern(r, x, "user_agent", true);
        }
        if (const YAML::Node x = n["from_user"]) {
            rule.fromUser = pattern(r, x, "from_user", false);
        }
        if (const YAML::Node x = n["to_user"]) {
            rule.toUser = pattern(r, x, "to_user", false);
        }
        if (const YAML::Node x = n["ruri_user"]) {
            rule.ruriUser = pattern(r, x, "ruri_user", false);
        }
        if (const YAML::Node x = n["number_prefixes"]) {
            std::vector<YAML::Mark> marks;
            r.strings(x, "number_prefixes", rule.numberPrefixes, &marks);
            for (std::size_t i = 0; i < rule.numberPrefixes.size(); ++i) {
                const std::string& p = rule.numberPrefixes[i];
                std::string_view digits(p);
                if (!digits.empty() && digits.front() == '+') {
                    digits.remove_prefix(1);
                }
                bool ok = !digits.empty() && digits.size() <= 32 &&
                          std::all_of(digits.begin(), digits.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
                if (!ok) {
                    r.error(marks[i],
                            "number prefix '" + p + "' must be digits, optionally after a '+'");
                }
            }
            std::sort(rule.numberPrefixes.begin(), rule.numberPrefixes.end());
        }
        if (r.errorCount() != before) {
            return false;
        }
        acl.rules.push_back(std::move(rule));
        return true;
    }

    // Rule b is unreachable when an earlier rule a matches every request b matches: each
    // condition of a is absent or at least as wide as b's (conservative: only certain cases).
    static bool covers(const AclRule& a, const AclRule& b) {
        if (!a.sources.empty()) {
            if (b.sources.empty()) {
                return false;
            }
            for (const Cidr& c : b.sources) {
                if (!a.sourceSet.covers(c)) {
                    return false;
                }
            }
        }
        if (!a.methods.empty()) {
            if (b.methods.empty()) {
                return false;
            }
            for (const auto& m : b.methods) {
                if (std::find(a.methods.begin(), a.methods.end(), m) == a.methods.end()) {
                    return false;
                }
            }
        }
        auto samePattern = [](const std::optional<Pattern>& x, const std::optional<Pattern>& y) {
            return !x || (y && x->source == y->source);
        };
        if (!samePattern(a.userAgent, b.userAgent) || !samePattern(a.fromUser, b.fromUser) ||
            !samePattern(a.toUser, b.toUser) || !samePattern(a.ruriUser, b.ruriUser)) {
            return false;
        }
        if (!a.numberPrefixes.empty()) {
            if (b.numberPrefixes.empty()) {
                return false;
            }
            for (const auto& p : b.numberPrefixes) {
                bool any = std::any_of(a.numberPrefixes.begin(), a.numberPrefixes.end(),
                                       [&](const std::string& q) { return p.starts_with(q); });
                if (!any) {
                    return false;
                }
            }
        }
        return true;
    }

    static std::string ruleLabel(const AclRule& rule, std::size_t i) {
        return rule.name.empty() ? "rule " + std::to_string(i + 1) : "rule '" + rule.name + "'";
    }

    void shadowedRules(YamlReader& r, const Acl& acl, const std::vector<YAML::Mark>& marks) {
        for (std::size_t b = 1; b < acl.rules.size(); ++b) {
            for (std::size_t a = 0; a < b; ++a) {
                if (covers(acl.rules[a], acl.rules[b])) {
                    r.error(marks[b], ruleLabel(acl.rules[b], b) + " is unreachable: " +
                                          ruleLabel(acl.rules[a], a) + " at " + acl.rules[a].where +
                                          " matches everything it matches");
                    break;
                }
            }
        }
    }

    void rate(YamlReader& r, const YAML::Node& n, const std::string& key, Rate& out) {
        if (!r.mapping(n, key, {"rate", "burst"})) {
            return;
        }
        if (!r.require(n, key, {"rate"})) {
            return;
        }
        r.number(n["rate"], "rate", 0.001, 1000000, out.perSecond);
        out.burst = std::max(1.0, out.perSecond);
        if (n["burst"]) {
            r.number(n["burst"], "burst", 1, 10000000, out.burst);
        }
    }

    void limits(YamlReader& r, const YAML::Node& n) {
        if (!r.mapping(n, "limits",
                       {"per_source", "table_size", "retry_after_seconds", "unknown_source"})) {
            return;
        }
        Limits& l = snap_->limits;
        if (const YAML::Node p = n["per_source"]) {
            if (r.mapping(p, "per_source", {"requests", "invite", "register"})) {
                if (p["requests"]) {
                    rate(r, p["requests"], "requests", l.requests);
                }
                if (p["invite"]) {
                    rate(r, p["invite"], "invite", l.invite);
                }
                if (p["register"]) {
                    rate(r, p["register"], "register", l.reg);
                }
            }
        }
        long long v = 0;
        if (n["table_size"] && r.integer(n["table_size"], "table_size", 1024, 16777216, v)) {
            l.tableSize = static_cast<std::uint32_t>(v);
        }
        if (n["retry_after_seconds"] &&
            r.integer(n["retry_after_seconds"], "retry_after_seconds", 1, 3600, v)) {
            l.retryAfterSeconds = static_cast<int>(v);
        }
        std::string s;
        if (n["unknown_source"] &&
            r.oneOf(n["unknown_source"], "unknown_source", {"allow", "reject", "drop"}, s)) {
            l.unknownSource = s == "allow"    ? UnknownSourceAction::Allow
                              : s == "reject" ? UnknownSourceAction::Reject
                                              : UnknownSourceAction::Drop;
            unknownSourceMark_ = r.where(n["unknown_source"].Mark());
        }
    }

    void bans(YamlReader& r, const YAML::Node& n) {
        if (!r.mapping(n, "bans",
                       {"enabled", "window_seconds", "duration_seconds", "auth_failures",
                        "unknown_user", "max_bans", "exempt_trunks", "scanner_user_agents"})) {
            return;
        }
        BanPolicy& b = snap_->bans;
        long long v = 0;
        if (n["enabled"]) {
            r.boolean(n["enabled"], "enabled", b.enabled);
        }
        if (n["window_seconds"] && r.integer(n["window_seconds"], "window_seconds", 1, 86400, v)) {
            b.window = std::chrono::seconds(v);
        }
        if (n["duration_seconds"] &&
            r.integer(n["duration_seconds"], "duration_seconds", 1, 31536000, v)) {
            b.duration = std::chrono::seconds(v);
        }
        if (n["auth_failures"] && r.integer(n["auth_failures"], "auth_failures", 0, 100000, v)) {
            b.authFailures = static_cast<std::uint32_t>(v);
        }
        if (n["unknown_user"] && r.integer(n["unknown_user"], "unknown_user", 0, 100000, v)) {
            b.unknownUser = static_cast<std::uint32_t>(v);
        }
        if (n["max_bans"] && r.integer(n["max_bans"], "max_bans", 1, 10000000, v)) {
            b.maxBans = static_cast<std::uint32_t>(v);
        }
        if (n["exempt_trunks"]) {
            r.boolean(n["exempt_trunks"], "exempt_trunks", b.exemptTrunks);
        }
        if (const YAML::Node s = n["scanner_user_agents"]) {
            std::vector<std::string> uas;
            std::vector<YAML::Mark> marks;
            r.strings(s, "scanner_user_agents", uas, &marks);
            b.scannerUserAgents.clear();
            for (std::size_t i = 0; i < uas.size(); ++i) {
                if (uas[i].empty()) {
                    r.error(marks[i], "an empty scanner user agent would match every request");
                    continue;
                }
                std::string lower = uas[i];
                std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
                    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                });
                b.scannerUserAgents.push_back(lower);
            }
            scannersSet_ = true;
        }
    }

    void overload(YamlReader& r, const YAML::Node& n) {
        if (!r.mapping(n, "overload", {"max_transactions", "max_calls"})) {
            return;
        }
        long long v = 0;
        if (n["max_transactions"] &&
            r.integer(n["max_transactions"], "max_transactions", 0, 100000000, v)) {
            snap_->overload.maxTransactions = static_cast<std::uint64_t>(v);
        }
        if (n["max_calls"] && r.integer(n["max_calls"], "max_calls", 0, 100000000, v)) {
            snap_->overload.maxCalls = static_cast<std::uint64_t>(v);
        }
    }

    void crossChecks() {
        if (!scannersSet_) {
            snap_->bans.scannerUserAgents = kDefaultScanners;
        }
        for (const RouteRefs& refs : routeRefs_) {
            YamlReader& r = *refs.reader;
            for (const auto& [name, mark] : refs.from) {
                if (!trunkNames_.contains(name)) {
                    r.error(mark, "route '" + snap_->routes[refs.route].name +
                                      "' names unknown trunk '" + name + "' in 'from'");
                }
            }
            if (!refs.target.first.empty() && !trunkNames_.contains(refs.target.first)) {
                r.error(refs.target.second, "route '" + snap_->routes[refs.route].name +
                                                "' targets unknown trunk '" + refs.target.first +
                                                "'");
            }
        }
        // Routes: b is unreachable when an earlier a takes every request b would.
        for (std::size_t b = 1; b < snap_->routes.size(); ++b) {
            const Route& rb = snap_->routes[b];
            for (std::size_t a = 0; a < b; ++a) {
                const Route& ra = snap_->routes[a];
                bool fromCovers =
                    ra.fromTrunks.empty() ||
                    (!rb.fromTrunks.empty() &&
                     std::all_of(
                         rb.fromTrunks.begin(), rb.fromTrunks.end(), [&](const std::string& t) {
                             return std::find(ra.fromTrunks.begin(), ra.fromTrunks.end(), t) !=
                                    ra.fromTrunks.end();
                         }));
                bool prefixCovers = rb.userPrefix.starts_with(ra.userPrefix);
                bool regexCovers = !ra.userRegex || ra.regexSource == rb.regexSource;
                if (fromCovers && prefixCovers && regexCovers) {
                    routeReader(b).error(
                        routeMark(b), "route '" + rb.name + "' is unreachable: route '" + ra.name +
                                          "' at " + ra.where + " matches everything it matches");
                    break;
                }
            }
        }
        // Trunks whose sources an earlier trunk (with no narrower filter) already claims.
        for (std::size_t b = 0; b < snap_->trunks.size(); ++b) {
            const Trunk& tb = snap_->trunks[b];
            for (std::size_t a = 0; a < b && !tb.sources.empty(); ++a) {
                const Trunk& ta = snap_->trunks[a];
                if ((ta.transport && ta.transport != tb.transport) ||
                    (ta.sourcePort && ta.sourcePort != tb.sourcePort)) {
                    continue;
                }
                bool all = std::all_of(tb.sources.begin(), tb.sources.end(), [&](const Cidr& c) {
                    return std::any_of(ta.sources.begin(), ta.sources.end(), [&](const Cidr& o) {
                        return o.prefixLength <= c.prefixLength && o.contains(c.network);
                    });
                });
                if (all) {
                    trunkMarks_[b].first->warning(
                        trunkMarks_[b].second, "trunk '" + tb.name +
                                                   "' never matches inbound requests: its sources "
                                                   "belong to trunk '" +
                                                   ta.name + "' at " + ta.where);
                    break;
                }
            }
        }
        // No default deny: sources no trunk knows get through.
        bool aclDenies = snap_->acl.present && snap_->acl.defaultAction == AclAction::Deny;
        if (!aclDenies && snap_->limits.unknownSource == UnknownSourceAction::Allow &&
            !readers_.empty()) {
            std::string where = !unknownSourceMark_.empty() ? unknownSourceMark_
                                : !aclDefaultMark_.empty()  ? aclDefaultMark_
                                                            : readers_.front()->file() + ":1:1";
            diags_.push_back({Diagnostic::Severity::Warning,
                              where + ": warning: no default deny: requests from sources no "
                                      "trunk knows are accepted (set acl 'default: deny' or "
                                      "limits 'unknown_source: drop')"});
        }
    }

    YamlReader& routeReader(std::size_t i) { return *routeRefs_[i].reader; }
    YAML::Mark routeMark(std::size_t i) { return routeRefs_[i].mark; }

    std::vector<Diagnostic>& diags_;
    std::vector<std::unique_ptr<YamlReader>> readers_;
    std::shared_ptr<PolicySnapshot> snap_ = std::make_shared<PolicySnapshot>();
    std::map<std::string, std::string> trunkNames_;
    std::map<std::string, std::string> routeNames_;
    std::map<std::string, std::string> sections_;
    std::vector<RouteRefs> routeRefs_;
    std::vector<std::pair<YamlReader*, YAML::Mark>> trunkMarks_;
    std::string unknownSourceMark_;
    std::string aclDefaultMark_;
    bool scannersSet_ = false;
    std::size_t fatal_ = 0;
};

}  // namespace

std::size_t CompileResult::errors() const {
    return static_cast<std::size_t>(std::count_if(
        diagnostics.begin(), diagnostics.end(),
        [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::Error; }));
}

CompileResult compilePolicy(const std::vector<std::string>& files) {
    CompileResult res;
    Compiler c(res.diagnostics);
    for (const auto& f : files) {
        c.file(f);
    }
    CompileResult done = c.finish();
    res.policy = std::move(done.policy);
    return res;
}

}  // namespace sbc::policy
