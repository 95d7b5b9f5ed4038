#include "controlplane/sip/uri.hpp"

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

namespace {

using namespace chars;

// escaped = "%" HEXDIG HEXDIG
bool validEscaped(std::string_view s, uint16_t allowed) {
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
                return false;
            }
            i += 2;
            continue;
        }
        if (!is(c, kUnreserved | allowed)) {
            return false;
        }
    }
    return true;
}

bool validIpv4(std::string_view s) {
    int parts = 0;
    size_t i = 0;
    while (i <= s.size()) {
        size_t start = i;
        while (i < s.size() && isDigit(s[i])) {
            ++i;
        }
        uint64_t v = 0;
        if (i == start || i - start > 3 || !parseUint(s.substr(start, i - start), 255, v)) {
            return false;
        }
        ++parts;
        if (i == s.size()) {
            break;
        }
        if (s[i] != '.') {
            return false;
        }
        ++i;
    }
    return parts == 4;
}

bool validIpv6Ref(std::string_view s) {
    if (s.size() < 4 || s.front() != '[' || s.back() != ']') {
        return false;
    }
    std::string_view in = s.substr(1, s.size() - 2);
    int colons = 0;
    for (char c : in) {
        if (c == ':') {
            ++colons;
        } else if (!isHex(c) && c != '.') {
            return false;
        }
    }
    return colons >= 2 && colons <= 7;
}

// hostname = *( domainlabel "." ) toplabel [ "." ]
bool validHostname(std::string_view s) {
    if (s.empty() || s.size() > 255) {
        return false;
    }
    if (s.back() == '.') {
        s.remove_suffix(1);
    }
    size_t start = 0;
    std::string_view label;
    while (start <= s.size()) {
        size_t dot = s.find('.', start);
        label =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            !allOf(label, kAlnum | kHostname)) {
            return false;
        }
        if (dot == std::string_view::npos) {
            break;
        }
        start = dot + 1;
    }
    // toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
    return isAlpha(label.front()) || validIpv4(s);
}

bool validHost(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    if (s.front() == '[') {
        return validIpv6Ref(s);
    }
    if (isDigit(s.back()) && validIpv4(s)) {
        return true;
    }
    return validHostname(s);
}

// uri-parameter: pname [ "=" pvalue ], paramchar = param-unreserved / unreserved / escaped
bool parseUriParams(std::string_view s, Params& out) {
    // s starts after the first ';'
    size_t start = 0;
    while (start <= s.size()) {
        size_t semi = s.find(';', start);
        std::string_view p =
            s.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
        if (p.empty()) {
            return false;
        }
        size_t eq = p.find('=');
        Param param;
        param.name = p.substr(0, eq);
        if (param.name.empty() || !validEscaped(param.name, kParamUnreserved)) {
            return false;
        }
        if (eq != std::string_view::npos) {
            param.value = p.substr(eq + 1);
            param.hasValue = true;
            if (!validEscaped(param.value, kParamUnreserved)) {
                return false;
            }
        }
        if (out.size() >= 64) {
            return false;
        }
        out.push_back(param);
        if (semi == std::string_view::npos) {
            break;
        }
        start = semi + 1;
    }
    return true;
}

// headers = "?" header *( "&" header ); header = hname "=" hvalue
bool validUriHeaders(std::string_view s) {
    size_t start = 0;
    while (start <= s.size()) {
        size_t amp = s.find('&', start);
        std::string_view h =
            s.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
        size_t eq = h.find('=');
        if (eq == 0 || eq == std::string_view::npos ||
            !validEscaped(h.substr(0, eq), kHnvUnreserved) ||
            !validEscaped(h.substr(eq + 1), kHnvUnreserved)) {
            return false;
        }
        if (amp == std::string_view::npos) {
            break;
        }
        start = amp + 1;
    }
    return true;
}

bool parseSip(std::string_view rest, Uri& u) {
    // userinfo ends at the first '@': neither params, headers nor host may contain a raw '@'.
    size_t at = rest.find('@');
    std::string_view hostpart = rest;
    if (at != std::string_view::npos) {
        std::string_view userinfo = rest.substr(0, at);
        hostpart = rest.substr(at + 1);
        size_t colon = userinfo.find(':');
        u.hasUserInfo = true;
        u.user = userinfo.substr(0, colon);
        if (colon != std::string_view::npos) {
            u.password = userinfo.substr(colon + 1);
            if (!validEscaped(u.password, kPasswordExtra)) {
                return false;
            }
        }
        if (u.user.empty() || !validEscaped(u.user, kUserUnreserved)) {
            return false;
        }
    }
    size_t q = hostpart.find('?');
    if (q != std::string_view::npos) {
        u.headers = hostpart.substr(q + 1);
        hostpart = hostpart.substr(0, q);
        if (!validUriHeaders(u.headers)) {
            return false;
        }
    }
    size_t semi = hostpart.find(';');
    std::string_view hostport = hostpart.substr(0, semi);
    if (semi != std::string_view::npos && !parseUriParams(hostpart.substr(semi + 1), u.params)) {
        return false;
    }
    size_t portColon = std::string_view::npos;
    if (!hostport.empty() && hostport.front() == '[') {
        size_t close = hostport.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        if (close + 1 < hostport.size()) {
            if (hostport[close + 1] != ':') {
                return false;
            }
            portColon = close + 1;
        }
    } else {
        portColon = hostport.find(':');
    }
    u.host = hostport.substr(0, portColon);
    if (!validHost(u.host)) {
        return false;
    }
    if (portColon != std::string_view::npos) {
        uint64_t port = 0;
        std::string_view p = hostport.substr(portColon + 1);
        if (p.size() > 5 || !parseUint(p, 65535, port) || port == 0) {
            return false;
        }
        u.port = static_cast<uint16_t>(port);
    }
    return true;
}

// RFC 3966: telephone-subscriber = global-number / local-number, then ;parameters.
bool parseTel(std::string_view rest, Uri& u) {
    size_t semi = rest.find(';');
    u.user = rest.substr(0, semi);
    u.hasUserInfo = true;
    if (u.user.empty()) {
        return false;
    }
    for (size_t i = 0; i < u.user.size(); ++i) {
        char c = u.user[i];
        bool ok = isHex(c) || c == '-' || c == '.' || c == '(' || c == ')' || c == '*' ||
                  c == '#' || (c == '+' && i == 0);
        if (!ok) {
            return false;
        }
    }
    if (semi != std::string_view::npos && !parseUriParams(rest.substr(semi + 1), u.params)) {
        return false;
    }
    return true;
}

}  // namespace

std::string_view Uri::hostAddress() const noexcept {
    if (host.size() >= 2 && host.front() == '[') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

std::string Uri::unescape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && isHex(s[i + 1]) && isHex(s[i + 2])) {
            auto hex = [](char c) { return isDigit(c) ? c - '0' : (lower(c) - 'a' + 10); };
            out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

bool parseUri(std::string_view text, Uri& u) noexcept {
    u = Uri{};
    u.raw = text;
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return false;
    }
    u.schemeText = text.substr(0, colon);
    if (!isAlpha(u.schemeText.front()) || !allOf(u.schemeText, kSchemeRest)) {
        return false;
    }
    u.opaque = text.substr(colon + 1);
    if (u.opaque.empty()) {
        return false;
    }
    for (char c : u.opaque) {
        unsigned char uc = static_cast<unsigned char>(c);
        if (uc <= 0x20 || uc >= 0x7F || c == '<' || c == '>' || c == '"') {
            return false;
        }
    }
    if (iequals(u.schemeText, "sip")) {
        u.scheme = Scheme::Sip;
        return parseSip(u.opaque, u);
    }
    if (iequals(u.schemeText, "sips")) {
        u.scheme = Scheme::Sips;
        return parseSip(u.opaque, u);
    }
    if (iequals(u.schemeText, "tel")) {
        u.scheme = Scheme::Tel;
        return parseTel(u.opaque, u);
    }
    u.scheme = Scheme::Other;
    return true;
}

}  // namespace sbc::sip
