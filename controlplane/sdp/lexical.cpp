// Lexical helpers and address syntax checks (RFC 8866 §9 ABNF).
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "controlplane/sdp/grammar.hpp"

namespace sbc::sdp::detail {

bool isToken(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

bool isDigits(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), isDigit);
}

bool isVisibleString(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), isVisible);
}

std::vector<std::string_view> splitSpaces(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') {
            ++i;
        }
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ') {
            ++i;
        }
        if (i > start) {
            out.push_back(s.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::string quote(std::string_view s) {
    constexpr std::size_t kMax = 40;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        if (u < 0x20 || u >= 0x7f || u == '\\' || u == '\'') {
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out += static_cast<char>(u);
        }
    }
    out += s.size() > kMax ? "'..." : "'";
    return out;
}

bool isIp4Literal(std::string_view s) noexcept {
    // dec-octet "." dec-octet "." dec-octet "." dec-octet; up to 3 digits each, value <= 255.
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        std::size_t start = i;
        unsigned v = 0;
        while (i < s.size() && isDigit(s[i]) && i - start < 3) {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
        }
        if (i == start || v > 255) {
            return false;
        }
        ++parts;
        if (parts < 4) {
            if (i >= s.size() || s[i] != '.') {
                return false;
            }
            ++i;
        }
    }
    return i == s.size();
}

bool isIp6Literal(std::string_view s) noexcept {
    char buf[64];
    if (s.empty() || s.size() >= sizeof(buf) || s.find(':') == std::string_view::npos) {
        return false;
    }
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = '\0';
    unsigned char addr[16];
    return inet_pton(AF_INET6, buf, addr) == 1;
}

bool isFqdn(std::string_view s) noexcept {
    if (s.empty() || s.size() > 255) {
        return false;
    }
    bool hasLetter = false;
    for (char c : s) {
        if (isAlpha(c) || c == '-' || c == '_') {
            hasLetter = true;
        } else if (!isDigit(c) && c != '.') {
            return false;
        }
    }
    return hasLetter;
}

bool isAddressForType(std::string_view addrType, std::string_view address) noexcept {
    if (iequals(addrType, kAddrTypeIp4)) {
        return isIp4Literal(address) || isFqdn(address);
    }
    if (iequals(addrType, kAddrTypeIp6)) {
        return isIp6Literal(address) || isFqdn(address);
    }
    return false;
}

bool isAnyAddress(std::string_view address) noexcept {
    return isIp4Literal(address) || isIp6Literal(address) || isFqdn(address);
}

}  // namespace sbc::sdp::detail
