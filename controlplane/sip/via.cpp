#include "controlplane/sip/via.hpp"

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

using namespace chars;

namespace {

void skipWsp(std::string_view s, size_t& i) {
    while (i < s.size() && isWsp(s[i])) {
        ++i;
    }
}

bool scanToken(std::string_view s, size_t& i, std::string_view& out) {
    size_t start = i;
    while (i < s.size() && is(s[i], kToken)) {
        ++i;
    }
    out = s.substr(start, i - start);
    return i > start;
}

bool expect(std::string_view s, size_t& i, char c) {
    skipWsp(s, i);
    if (i >= s.size() || s[i] != c) {
        return false;
    }
    ++i;
    skipWsp(s, i);
    return true;
}

bool validHostLoose(std::string_view h) {
    if (h.empty()) {
        return false;
    }
    if (h.front() == '[') {
        if (h.back() != ']' || h.size() < 4) {
            return false;
        }
        for (char c : h.substr(1, h.size() - 2)) {
            if (!isHex(c) && c != ':' && c != '.') {
                return false;
            }
        }
        return true;
    }
    return allOf(h, kAlnum | kHostname);
}

// IPv6address without brackets, loosely: hex digits, ':' and '.' (IPv4 tail), two colons or more.
bool validIpv6Bare(std::string_view h) {
    size_t colons = 0;
    for (char c : h) {
        if (c == ':') {
            ++colons;
        } else if (!isHex(c) && c != '.') {
            return false;
        }
    }
    return colons >= 2;
}

}  // namespace

bool parseVia(std::string_view text, Via& v) noexcept {
    v = Via{};
    v.raw = text;
    std::string_view s = trim(text);
    size_t i = 0;
    if (!scanToken(s, i, v.protocolName) || !expect(s, i, '/') ||
        !scanToken(s, i, v.protocolVersion) || !expect(s, i, '/') ||
        !scanToken(s, i, v.transport)) {
        return false;
    }
    // LWS between sent-protocol and sent-by is mandatory.
    if (i >= s.size() || !isWsp(s[i])) {
        return false;
    }
    skipWsp(s, i);
    size_t hostStart = i;
    if (i < s.size() && s[i] == '[') {
        size_t close = s.find(']', i);
        if (close == std::string_view::npos) {
            return false;
        }
        i = close + 1;
    } else {
        while (i < s.size() && is(s[i], kAlnum | kHostname)) {
            ++i;
        }
    }
    v.host = s.substr(hostStart, i - hostStart);
    if (!validHostLoose(v.host)) {
        return false;
    }
    size_t save = i;
    skipWsp(s, i);
    if (i < s.size() && s[i] == ':') {
        ++i;
        skipWsp(s, i);
        size_t portStart = i;
        while (i < s.size() && isDigit(s[i])) {
            ++i;
        }
        uint64_t port = 0;
        if (!parseUint(s.substr(portStart, i - portStart), 65535, port) || port == 0) {
            return false;
        }
        v.port = static_cast<uint16_t>(port);
    } else {
        i = save;
    }
    if (!parseHeaderParams(s.substr(i), v.params)) {
        return false;
    }
    for (const auto& p : v.params) {
        uint64_t n = 0;
        if (iequals(p.name, "ttl")) {
            if (!p.hasValue || !parseUint(p.value, 255, n)) {
                return false;
            }
        } else if (iequals(p.name, "maddr")) {
            if (!p.hasValue || !validHostLoose(p.value)) {
                return false;
            }
        } else if (iequals(p.name, "received")) {
            // via-received = "received" EQUAL (IPv4address / IPv6address): IPv6 comes without
            // brackets (§25.1, as viaWithReceived writes it); bracketed is accepted too (RFC 5118
            // §4.5 reports both in use).
            if (!p.hasValue || !(validHostLoose(p.value) || validIpv6Bare(p.value))) {
                return false;
            }
        } else if (iequals(p.name, "branch")) {
            // A branch that is only the magic cookie identifies no transaction (RFC 4475 §3.2.1).
            if (!p.hasValue || p.value.empty() || p.value == kMagicCookie) {
                return false;
            }
        } else if (iequals(p.name, "rport")) {
            if (p.hasValue && (!parseUint(p.value, 65535, n))) {
                return false;
            }
        }
    }
    return true;
}

}  // namespace sbc::sip
