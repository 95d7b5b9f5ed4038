#pragma once
// Character classes of the RFC 3261 §25.1 grammar, as constexpr tables (no locale, no branches
// per class on the hot path).
#include <array>
#include <cstdint>
#include <string_view>

namespace sbc::sip::chars {

enum : uint16_t {
    kAlnum = 1 << 0,
    kToken = 1 << 1,  // token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
    kUnreserved = 1 << 2,       // alphanum / mark
    kUserUnreserved = 1 << 3,   // "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
    kPasswordExtra = 1 << 4,    // "&" / "=" / "+" / "$" / ","
    kParamUnreserved = 1 << 5,  // "[" / "]" / "/" / ":" / "&" / "+" / "$"
    kHnvUnreserved = 1 << 6,    // "[" / "]" / "/" / "?" / ":" / "+" / "$"
    kWord = 1 << 7,             // word (Call-ID): token chars plus ( ) < > : \ " / [ ] ? { }
    kHostname = 1 << 8,         // alphanum / "-" / "."
    kSchemeRest = 1 << 9,       // ALPHA / DIGIT / "+" / "-" / "."
    kWsp = 1 << 10,             // SP / HTAB
};

constexpr std::array<uint16_t, 256> makeTable() {
    std::array<uint16_t, 256> t{};
    auto add = [&t](std::string_view s, uint16_t bit) {
        for (char c : s) {
            t[static_cast<unsigned char>(c)] |= bit;
        }
    };
    for (int c = 0; c < 256; ++c) {
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum) {
            t[c] |= kAlnum | kToken | kUnreserved | kWord | kHostname | kSchemeRest;
        }
    }
    add("-.!%*_+`'~", kToken | kWord);
    add("-_.!~*'()", kUnreserved);
    add("&=+$,;?/", kUserUnreserved);
    add("&=+$,", kPasswordExtra);
    add("[]/:&+$", kParamUnreserved);
    add("[]/?:+$", kHnvUnreserved);
    add("()<>:\\\"/[]?{}", kWord);
    add("-.", kHostname);
    add("+-.", kSchemeRest);
    add(" \t", kWsp);
    return t;
}

inline constexpr std::array<uint16_t, 256> kTable = makeTable();

constexpr bool is(char c, uint16_t cls) {
    return (kTable[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool isHex(char c) {
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool isWsp(char c) {
    return c == ' ' || c == '\t';
}

constexpr bool allOf(std::string_view s, uint16_t cls) {
    for (char c : s) {
        if (!is(c, cls)) {
            return false;
        }
    }
    return true;
}

constexpr bool isToken(std::string_view s) {
    return !s.empty() && allOf(s, kToken);
}

constexpr std::string_view trim(std::string_view s) {
    while (!s.empty() && (isWsp(s.front()) || s.front() == '\r' || s.front() == '\n')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (isWsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
        s.remove_suffix(1);
    }
    return s;
}

constexpr char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Parses 1*DIGIT into value; false on empty, non-digit or a value above max.
constexpr bool parseUint(std::string_view s, uint64_t max, uint64_t& value) {
    if (s.empty() || s.size() > 20) {
        return false;
    }
    uint64_t v = 0;
    for (char c : s) {
        if (!isDigit(c)) {
            return false;
        }
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    value = v;
    return true;
}

}  // namespace sbc::sip::chars
