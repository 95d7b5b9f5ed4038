// Attribute list and the typed attribute grammars: rtpmap/fmtp (RFC 8866 §6.6, §6.15), direction
// (RFC 8866 §6.7), rtcp (RFC 3605), crypto (RFC 4568), ICE candidate (RFC 8839).
#include <algorithm>
#include <array>
#include <string>

#include "controlplane/sdp/grammar.hpp"
#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp {
namespace detail {
namespace {

// RFC 4568 §9.1: srtp-crypto-suite-ext, key-method-ext = 1*(ALPHA / DIGIT / "_").
bool isCryptoName(std::string_view s) noexcept {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return isAlnum(c) || c == '_'; });
}

// RFC 4568 §9.1: base64 = ALPHA / DIGIT / "+" / "/" / "=".
bool isBase64(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return isAlnum(c) || c == '+' || c == '/' || c == '=';
    });
}

// RFC 4568 §9.1: key-info = %x21-3A / %x3C-7E (visible ASCII except ';').
bool isKeyInfo(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return c >= 0x21 && c <= 0x7e && c != ';'; });
}

// RFC 4568 §9.2: lifetime = ["2^"] 1*(DIGIT).
bool isLifetime(std::string_view s) noexcept {
    if (s.starts_with("2^")) {
        s.remove_prefix(2);
    }
    return isDigits(s);
}

// RFC 8839 §5.1: ice-char = ALPHA / DIGIT / "+" / "/".
bool isIceChars(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(),
                                     [](char c) { return isAlnum(c) || c == '+' || c == '/'; });
}

bool parseKeyParam(std::string_view text, CryptoKeyParam& out, std::string& why) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        why = "key-param " + quote(text) + " lacks '<method>:'";
        return false;
    }
    auto method = text.substr(0, colon);
    auto info = text.substr(colon + 1);
    if (!isCryptoName(method)) {
        why = "invalid key method " + quote(method);
        return false;
    }
    if (!isKeyInfo(info)) {
        why = "invalid key info " + quote(info);
        return false;
    }
    out = CryptoKeyParam{};
    out.method = method;
    if (method != "inline") {
        out.keySalt = info;
        return true;
    }
    // RFC 4568 §9.2: "inline:" <key||salt> ["|" lifetime] ["|" MKI ":" length].
    auto parts = split(info, '|');
    if (parts.size() > 3) {
        why = "too many '|' fields in inline key";
        return false;
    }
    if (!isBase64(parts[0])) {
        why = "inline key " + quote(parts[0]) + " is not base64";
        return false;
    }
    out.keySalt = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) {
        auto p = parts[i];
        auto mkiColon = p.find(':');
        if (mkiColon == std::string_view::npos) {
            // A lifetime must come before the MKI and appear once.
            if (i != 1 || !isLifetime(p)) {
                why = "invalid key lifetime " + quote(p);
                return false;
            }
            out.lifetime = std::string(p);
            continue;
        }
        if (i != parts.size() - 1) {
            why = "MKI must be the last inline field";
            return false;
        }
        auto mkiValue = p.substr(0, mkiColon);
        auto mkiLength = parseUnsigned<unsigned>(p.substr(mkiColon + 1), 128);
        if (!isDigits(mkiValue) || !mkiLength || *mkiLength == 0) {
            why = "invalid MKI " + quote(p) + " (expected <value>:<length 1..128>)";
            return false;
        }
        out.mkiValue = std::string(mkiValue);
        out.mkiLength = *mkiLength;
    }
    return true;
}

constexpr std::array<std::string_view, 4> kDirectionNames = {"sendrecv", "sendonly", "recvonly",
                                                             "inactive"};

}  // namespace

bool parseRtpMap(std::string_view value, RtpMap& out, std::string& why) {
    auto f = splitSpaces(value);
    if (f.size() != 2) {
        why = "rtpmap needs '<payload type> <encoding name>/<clock rate>[/<parameters>]'";
        return false;
    }
    auto pt = parseUnsigned<unsigned>(f[0], 127);
    if (!pt) {
        why = "rtpmap payload type " + quote(f[0]) + " is not in 0..127";
        return false;
    }
    auto parts = split(f[1], '/');
    if (parts.size() < 2 || parts.size() > 3) {
        why = "rtpmap encoding " + quote(f[1]) + " is not <name>/<clock rate>[/<parameters>]";
        return false;
    }
    if (!isToken(parts[0])) {
        why = "invalid rtpmap encoding name " + quote(parts[0]);
        return false;
    }
    auto clock = parseUnsigned<std::uint32_t>(parts[1]);
    if (!clock || *clock == 0) {
        why = "invalid rtpmap clock rate " + quote(parts[1]);
        return false;
    }
    if (parts.size() == 3 && !isToken(parts[2])) {
        why = "invalid rtpmap encoding parameters " + quote(parts[2]);
        return false;
    }
    out = RtpMap{};
    out.payloadType = *pt;
    out.encodingName = parts[0];
    out.clockRate = *clock;
    if (parts.size() == 3) {
        out.encodingParameters = std::string(parts[2]);
    }
    return true;
}

bool parseFmtp(std::string_view value, Fmtp& out, std::string& why) {
    auto space = value.find(' ');
    auto format = value.substr(0, space);
    if (!isToken(format)) {
        why = "invalid fmtp format " + quote(format);
        return false;
    }
    out.format = format;
    out.parameters = space == std::string_view::npos ? std::string() : value.substr(space + 1);
    return true;
}

bool parseRtcp(std::string_view value, Rtcp& out, std::string& why) {
    auto space = value.find(' ');
    auto portText = value.substr(0, space);
    auto port = parseUnsigned<std::uint16_t>(portText);
    if (!port) {
        why = "rtcp port " + quote(portText) + " is not in 0..65535";
        return false;
    }
    Rtcp r;
    r.port = *port;
    if (space != std::string_view::npos) {
        auto rest = value.substr(space + 1);
        if (!splitSpaces(rest).empty()) {
            Connection c;
            if (!parseConnection(rest, c, why)) {
                why = "rtcp address: " + why;
                return false;
            }
            r.connection = std::move(c);
        }
    }
    out = std::move(r);
    return true;
}

bool parseCrypto(std::string_view value, Crypto& out, std::string& why) {
    auto f = splitSpaces(value);
    if (f.size() < 3) {
        why = "crypto needs '<tag> <crypto-suite> <key-params> [<session-params>]'";
        return false;
    }
    // RFC 4568 §9.1: tag = 1*9DIGIT.
    auto tag = f[0].size() <= 9 ? parseUnsigned<std::uint32_t>(f[0]) : std::nullopt;
    if (!tag) {
        why = "crypto tag " + quote(f[0]) + " is not 1 to 9 digits";
        return false;
    }
    if (!isCryptoName(f[1])) {
        why = "invalid crypto suite " + quote(f[1]);
        return false;
    }
    Crypto c;
    c.tag = *tag;
    c.suite = f[1];
    for (auto kp : split(f[2], ';')) {
        CryptoKeyParam p;
        if (!parseKeyParam(kp, p, why)) {
            return false;
        }
        c.keyParams.push_back(std::move(p));
    }
    for (std::size_t i = 3; i < f.size(); ++i) {
        if (!isVisibleString(f[i])) {
            why = "invalid crypto session parameter " + quote(f[i]);
            return false;
        }
        c.sessionParams.emplace_back(f[i]);
    }
    out = std::move(c);
    return true;
}

bool parseCandidate(std::string_view value, IceCandidate& out, std::string& why) {
    auto f = splitSpaces(value);
    if (f.size() < 8) {
        why =
            "candidate needs '<foundation> <component> <transport> <priority> <address> <port> "
            "typ <type>'";
        return false;
    }
    IceCandidate c;
    if (f[0].size() > 32 || !isIceChars(f[0])) {
        why = "invalid candidate foundation " + quote(f[0]);
        return false;
    }
    c.foundation = f[0];
    auto component = f[1].size() <= 3 ? parseUnsigned<unsigned>(f[1], 256) : std::nullopt;
    if (!component || *component == 0) {
        why = "candidate component " + quote(f[1]) + " is not in 1..256";
        return false;
    }
    c.component = *component;
    if (!isToken(f[2])) {
        why = "invalid candidate transport " + quote(f[2]);
        return false;
    }
    c.transport = f[2];
    auto priority = f[3].size() <= 10 ? parseUnsigned<std::uint32_t>(f[3]) : std::nullopt;
    if (!priority) {
        why = "candidate priority " + quote(f[3]) + " is not in 0..4294967295";
        return false;
    }
    c.priority = *priority;
    if (!isAnyAddress(f[4])) {
        why = "invalid candidate address " + quote(f[4]);
        return false;
    }
    c.address = f[4];
    auto port = parseUnsigned<std::uint16_t>(f[5]);
    if (!port) {
        why = "candidate port " + quote(f[5]) + " is not in 0..65535";
        return false;
    }
    c.port = *port;
    if (f[6] != "typ" || !isToken(f[7])) {
        why = "candidate lacks 'typ <type>'";
        return false;
    }
    c.type = f[7];
    if ((f.size() - 8) % 2 != 0) {
        why = "candidate extension " + quote(f.back()) + " has no value";
        return false;
    }
    for (std::size_t i = 8; i + 1 < f.size(); i += 2) {
        auto name = f[i];
        auto val = f[i + 1];
        if (name == "raddr" && !c.relatedAddress) {
            if (!isAnyAddress(val)) {
                why = "invalid candidate raddr " + quote(val);
                return false;
            }
            c.relatedAddress = std::string(val);
        } else if (name == "rport" && !c.relatedPort) {
            auto rport = parseUnsigned<std::uint16_t>(val);
            if (!rport) {
                why = "candidate rport " + quote(val) + " is not in 0..65535";
                return false;
            }
            c.relatedPort = *rport;
        } else {
            if (!isToken(name)) {
                why = "invalid candidate extension name " + quote(name);
                return false;
            }
            c.extensions.emplace_back(std::string(name), std::string(val));
        }
    }
    out = std::move(c);
    return true;
}

}  // namespace detail

// ---- Attribute / AttributeList ------------------------------------------------------------------

std::string Attribute::toString() const {
    return value ? name + ':' + *value : name;
}

bool AttributeList::has(std::string_view name) const noexcept {
    return find(name) != nullptr;
}

const Attribute* AttributeList::find(std::string_view name) const noexcept {
    for (const auto& a : items_) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

std::optional<std::string> AttributeList::value(std::string_view name) const {
    const Attribute* a = find(name);
    if (a == nullptr) {
        return std::nullopt;
    }
    return a->value.value_or(std::string());
}

std::vector<std::string> AttributeList::values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& a : items_) {
        if (a.name == name) {
            out.push_back(a.value.value_or(std::string()));
        }
    }
    return out;
}

void AttributeList::add(std::string name, std::optional<std::string> value) {
    items_.push_back(Attribute{std::move(name), std::move(value)});
}

void AttributeList::set(std::string_view name, std::optional<std::string> value) {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [&](const Attribute& a) { return a.name == name; });
    if (it == items_.end()) {
        items_.push_back(Attribute{std::string(name), std::move(value)});
        return;
    }
    it->value = std::move(value);
    auto rest =
        std::remove_if(it + 1, items_.end(), [&](const Attribute& a) { return a.name == name; });
    items_.erase(rest, items_.end());
}

std::size_t AttributeList::remove(std::string_view name) {
    return removeIf([&](const Attribute& a) { return a.name == name; });
}

// ---- Direction ----------------------------------------------------------------------------------

std::string_view toString(Direction d) noexcept {
    return detail::kDirectionNames[static_cast<std::size_t>(d)];
}

std::optional<Direction> directionFromString(std::string_view name) noexcept {
    for (std::size_t i = 0; i < detail::kDirectionNames.size(); ++i) {
        if (detail::kDirectionNames[i] == name) {
            return static_cast<Direction>(i);
        }
    }
    return std::nullopt;
}

// ---- Typed attributes ---------------------------------------------------------------------------

std::optional<RtpMap> RtpMap::parse(std::string_view value) {
    RtpMap r;
    std::string why;
    return detail::parseRtpMap(value, r, why) ? std::optional<RtpMap>(std::move(r)) : std::nullopt;
}

std::string RtpMap::toString() const {
    std::string out =
        std::to_string(payloadType) + ' ' + encodingName + '/' + std::to_string(clockRate);
    if (encodingParameters) {
        out += '/';
        out += *encodingParameters;
    }
    return out;
}

std::optional<Fmtp> Fmtp::parse(std::string_view value) {
    Fmtp f;
    std::string why;
    return detail::parseFmtp(value, f, why) ? std::optional<Fmtp>(std::move(f)) : std::nullopt;
}

std::string Fmtp::toString() const {
    return parameters.empty() ? format : format + ' ' + parameters;
}

std::optional<Rtcp> Rtcp::parse(std::string_view value) {
    Rtcp r;
    std::string why;
    return detail::parseRtcp(value, r, why) ? std::optional<Rtcp>(std::move(r)) : std::nullopt;
}

std::string Rtcp::toString() const {
    std::string out = std::to_string(port);
    if (connection) {
        out += ' ';
        out += connection->toString();
    }
    return out;
}

std::string CryptoKeyParam::toString() const {
    std::string out = method + ':' + keySalt;
    if (lifetime) {
        out += '|';
        out += *lifetime;
    }
    if (mkiValue || mkiLength) {
        out += '|';
        out += mkiValue.value_or("0");
        out += ':';
        out += std::to_string(mkiLength.value_or(1));
    }
    return out;
}

std::optional<Crypto> Crypto::parse(std::string_view value) {
    Crypto c;
    std::string why;
    return detail::parseCrypto(value, c, why) ? std::optional<Crypto>(std::move(c)) : std::nullopt;
}

std::string Crypto::toString() const {
    std::string out = std::to_string(tag) + ' ' + suite + ' ';
    for (std::size_t i = 0; i < keyParams.size(); ++i) {
        if (i > 0) {
            out += ';';
        }
        out += keyParams[i].toString();
    }
    for (const auto& p : sessionParams) {
        out += ' ';
        out += p;
    }
    return out;
}

std::optional<IceCandidate> IceCandidate::parse(std::string_view value) {
    IceCandidate c;
    std::string why;
    return detail::parseCandidate(value, c, why) ? std::optional<IceCandidate>(std::move(c))
                                                 : std::nullopt;
}

std::string IceCandidate::toString() const {
    std::string out = foundation + ' ' + std::to_string(component) + ' ' + transport + ' ' +
                      std::to_string(priority) + ' ' + address + ' ' + std::to_string(port) +
                      " typ " + type;
    if (relatedAddress) {
        out += " raddr ";
        out += *relatedAddress;
    }
    if (relatedPort) {
        out += " rport ";
        out += std::to_string(*relatedPort);
    }
    for (const auto& [name, val] : extensions) {
        out += ' ';
        out += name;
        out += ' ';
        out += val;
    }
    return out;
}

bool isIceAttribute(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 9> kNames = {
        "ice-ufrag",  "ice-pwd",           "ice-options",       "ice-lite", "ice-mismatch",
        "ice-pacing", "remote-candidates", "end-of-candidates", "candidate"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

}  // namespace sbc::sdp
