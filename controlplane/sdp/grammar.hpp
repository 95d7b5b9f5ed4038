// Internal: lexical helpers and field grammars shared by the parser, the typed attribute views and
// the model helpers. Not part of the public API.
#pragma once

#include <charconv>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp::detail {

constexpr bool isDigit(char c) noexcept {
    return c >= '0' && c <= '9';
}
constexpr bool isAlpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool isAlnum(char c) noexcept {
    return isDigit(c) || isAlpha(c);
}

// RFC 8866 §9: token-char.
constexpr bool isTokenChar(char c) noexcept {
    if (isAlnum(c)) {
        return true;
    }
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '{':
        case '|':
        case '}':
        case '~':
            return true;
        default:
            return false;
    }
}

// RFC 8866 §9: non-ws-string = 1*(VCHAR/%x80-FF), i.e. neither control characters nor space.
constexpr bool isVisible(char c) noexcept {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
}

bool isToken(std::string_view s) noexcept;          // 1*token-char
bool isDigits(std::string_view s) noexcept;         // 1*DIGIT
bool isVisibleString(std::string_view s) noexcept;  // non-ws-string

// 1*DIGIT that fits in T and is <= max. No sign, no whitespace.
template <typename T>
std::optional<T> parseUnsigned(std::string_view s, T max = std::numeric_limits<T>::max()) noexcept {
    if (!isDigits(s)) {
        return std::nullopt;
    }
    T v{};
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || v > max) {
        return std::nullopt;
    }
    return v;
}

// Splits on runs of spaces, dropping empty fields (tolerates doubled and trailing spaces).
std::vector<std::string_view> splitSpaces(std::string_view s);
// Splits on every `sep`, keeping empty fields.
std::vector<std::string_view> split(std::string_view s, char sep);
bool iequals(std::string_view a, std::string_view b) noexcept;
// Quoted, truncated, with non-printable bytes escaped: safe to put in an error message / a log.
std::string quote(std::string_view s);

bool isIp4Literal(std::string_view s) noexcept;  // dotted quad
bool isIp6Literal(std::string_view s) noexcept;
bool isFqdn(std::string_view s) noexcept;  // letters, digits, '-', '_', '.'; not all digits/dots
// Address valid for the addrtype: an IP literal of that family or an FQDN (RFC 8866 §9).
bool isAddressForType(std::string_view addrType, std::string_view address) noexcept;
// ICE connection-address (RFC 8839 §5.1): IPv4, IPv6 or FQDN.
bool isAnyAddress(std::string_view address) noexcept;

// Field grammars: true on success; on failure `why` says what is wrong (no line number).
bool parseOrigin(std::string_view value, Origin& out, std::string& why);
bool parseConnection(std::string_view value, Connection& out, std::string& why);
bool parseBandwidth(std::string_view value, Bandwidth& out, std::string& why);
bool parseRtpMap(std::string_view value, RtpMap& out, std::string& why);
bool parseFmtp(std::string_view value, Fmtp& out, std::string& why);
bool parseRtcp(std::string_view value, Rtcp& out, std::string& why);
bool parseCrypto(std::string_view value, Crypto& out, std::string& why);
bool parseCandidate(std::string_view value, IceCandidate& out, std::string& why);

}  // namespace sbc::sdp::detail
