// o=, c= and b= grammars (RFC 8866 §5.2, §5.7, §5.8) and their helpers.
#include <string>

#include "controlplane/sdp/grammar.hpp"
#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp {
namespace detail {
namespace {

// nettype and addrtype of o= and c=: only "IN" with "IP4"/"IP6" is defined (RFC 8866 §8.2.6,
// §8.2.7); both are compared case-insensitively (ABNF literals) and kept verbatim.
bool checkNetAndAddrType(std::string_view netType, std::string_view addrType, std::string& why) {
    if (!iequals(netType, kNetTypeIn)) {
        why = "unsupported network type " + quote(netType) + " (expected IN)";
        return false;
    }
    if (!iequals(addrType, kAddrTypeIp4) && !iequals(addrType, kAddrTypeIp6)) {
        why = "unsupported address type " + quote(addrType) + " (expected IP4 or IP6)";
        return false;
    }
    return true;
}

}  // namespace

bool parseOrigin(std::string_view value, Origin& out, std::string& why) {
    auto f = splitSpaces(value);
    if (f.size() != 6) {
        why = "o= needs 6 fields (username sess-id sess-version nettype addrtype address), got " +
              std::to_string(f.size());
        return false;
    }
    if (!isVisibleString(f[0])) {
        why = "invalid username " + quote(f[0]);
        return false;
    }
    if (!isDigits(f[1])) {
        why = "sess-id " + quote(f[1]) + " is not a number";
        return false;
    }
    if (!isDigits(f[2])) {
        why = "sess-version " + quote(f[2]) + " is not a number";
        return false;
    }
    if (!checkNetAndAddrType(f[3], f[4], why)) {
        return false;
    }
    if (!isAddressForType(f[4], f[5])) {
        why = "invalid " + std::string(f[4]) + " unicast address " + quote(f[5]);
        return false;
    }
    out.username = f[0];
    out.sessionId = f[1];
    out.sessionVersion = f[2];
    out.netType = f[3];
    out.addrType = f[4];
    out.address = f[5];
    return true;
}

bool parseConnection(std::string_view value, Connection& out, std::string& why) {
    auto f = splitSpaces(value);
    if (f.size() != 3) {
        why = "c= needs 3 fields (nettype addrtype connection-address), got " +
              std::to_string(f.size());
        return false;
    }
    if (!checkNetAndAddrType(f[0], f[1], why)) {
        return false;
    }
    // RFC 8866 §5.7: IP4 "<base>/<ttl>[/<count>]", IP6 "<base>[/<count>]".
    auto parts = split(f[2], '/');
    bool ip4 = iequals(f[1], kAddrTypeIp4);
    std::size_t maxParts = ip4 ? 3 : 2;
    if (parts.size() > maxParts) {
        why = "too many '/' suffixes in connection address " + quote(f[2]);
        return false;
    }
    if (!isAddressForType(f[1], parts[0])) {
        why = "invalid " + std::string(f[1]) + " connection address " + quote(parts[0]);
        return false;
    }
    Connection c;
    c.netType = f[0];
    c.addrType = f[1];
    c.address = parts[0];
    std::size_t next = 1;
    if (ip4 && parts.size() > next) {
        auto ttl = parseUnsigned<unsigned>(parts[next], 255);
        if (!ttl) {
            why = "invalid TTL " + quote(parts[next]) + " (expected 0..255)";
            return false;
        }
        c.ttl = *ttl;
        ++next;
    }
    if (parts.size() > next) {
        auto count = parseUnsigned<std::uint32_t>(parts[next]);
        if (!count || *count == 0) {
            why = "invalid address count " + quote(parts[next]);
            return false;
        }
        c.count = *count;
    }
    out = std::move(c);
    return true;
}

bool parseBandwidth(std::string_view value, Bandwidth& out, std::string& why) {
    auto colon = value.find(':');
    if (colon == std::string_view::npos) {
        why = "b= needs <bwtype>:<bandwidth>";
        return false;
    }
    auto type = value.substr(0, colon);
    auto number = value.substr(colon + 1);
    if (!isToken(type)) {
        why = "invalid bandwidth type " + quote(type);
        return false;
    }
    auto v = parseUnsigned<std::uint64_t>(number);
    if (!v) {
        why = "invalid bandwidth value " + quote(number);
        return false;
    }
    out.type = type;
    out.value = *v;
    return true;
}

}  // namespace detail

// ---- Connection ---------------------------------------------------------------------------------

std::optional<Connection> Connection::parse(std::string_view value) {
    Connection c;
    std::string why;
    if (!detail::parseConnection(value, c, why)) {
        return std::nullopt;
    }
    return c;
}

std::optional<Connection> Connection::fromAddress(std::string_view ip) {
    Connection c;
    if (detail::isIp4Literal(ip)) {
        c.addrType = kAddrTypeIp4;
    } else if (detail::isIp6Literal(ip)) {
        c.addrType = kAddrTypeIp6;
    } else {
        return std::nullopt;
    }
    c.address = ip;
    return c;
}

bool Connection::isIp6() const noexcept {
    return detail::iequals(addrType, kAddrTypeIp6);
}

std::string Connection::toString() const {
    std::string out;
    out.reserve(netType.size() + addrType.size() + address.size() + 16);
    out += netType;
    out += ' ';
    out += addrType;
    out += ' ';
    out += address;
    if (ttl) {
        out += '/';
        out += std::to_string(*ttl);
    }
    if (count) {
        out += '/';
        out += std::to_string(*count);
    }
    return out;
}

// ---- Origin -------------------------------------------------------------------------------------

std::optional<Origin> Origin::parse(std::string_view value) {
    Origin o;
    std::string why;
    if (!detail::parseOrigin(value, o, why)) {
        return std::nullopt;
    }
    return o;
}

std::string Origin::toString() const {
    std::string out;
    out.reserve(username.size() + sessionId.size() + sessionVersion.size() + netType.size() +
                addrType.size() + address.size() + 5);
    out += username;
    out += ' ';
    out += sessionId;
    out += ' ';
    out += sessionVersion;
    out += ' ';
    out += netType;
    out += ' ';
    out += addrType;
    out += ' ';
    out += address;
    return out;
}

bool Origin::setAddress(std::string_view ip) {
    auto c = Connection::fromAddress(ip);
    if (!c) {
        return false;
    }
    netType = c->netType;
    addrType = c->addrType;
    address = c->address;
    return true;
}

bool Origin::incrementVersion() {
    if (!detail::isDigits(sessionVersion)) {
        return false;
    }
    for (auto it = sessionVersion.rbegin(); it != sessionVersion.rend(); ++it) {
        if (*it != '9') {
            ++*it;
            return true;
        }
        *it = '0';
    }
    sessionVersion.insert(sessionVersion.begin(), '1');
    return true;
}

// ---- Bandwidth ----------------------------------------------------------------------------------

std::string Bandwidth::toString() const {
    return type + ':' + std::to_string(value);
}

}  // namespace sbc::sdp
