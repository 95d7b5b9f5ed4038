#include "controlplane/sip/params.hpp"

#include <string>

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

const Param* findParam(const Params& params, std::string_view name) noexcept {
    for (const auto& p : params) {
        if (chars::iequals(p.name, name)) {
            return &p;
        }
    }
    return nullptr;
}

bool scanQuotedString(std::string_view text, size_t& pos) noexcept {
    // quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE  (RFC 3261 §25.1)
    // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
    if (pos >= text.size() || text[pos] != '"') {
        return false;
    }
    for (size_t i = pos + 1; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\\') {
            if (i + 1 >= text.size()) {
                return false;
            }
            unsigned char n = static_cast<unsigned char>(text[i + 1]);
            if (n == 0x0A || n == 0x0D || n > 0x7F) {
                return false;
            }
            ++i;
        } else if (c == '"') {
            pos = i + 1;
            return true;
        } else if (c == '\r' || c == '\n') {
            return false;
        }
    }
    return false;
}

std::string unquote(std::string_view quoted) {
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') {
        return std::string(quoted);
    }
    std::string out;
    out.reserve(quoted.size());
    for (size_t i = 1; i + 1 < quoted.size(); ++i) {
        if (quoted[i] == '\\' && i + 2 < quoted.size()) {
            ++i;
        }
        out.push_back(quoted[i]);
    }
    return out;
}

namespace {

void skipWsp(std::string_view s, size_t& i) {
    while (i < s.size() && chars::isWsp(s[i])) {
        ++i;
    }
}

// gen-value = token / host / quoted-string
bool scanGenValue(std::string_view s, size_t& i) {
    if (i >= s.size()) {
        return false;
    }
    if (s[i] == '"') {
        return scanQuotedString(s, i);
    }
    if (s[i] == '[') {  // IPv6reference
        size_t close = s.find(']', i);
        if (close == std::string_view::npos) {
            return false;
        }
        for (size_t k = i + 1; k < close; ++k) {
            if (!chars::isHex(s[k]) && s[k] != ':' && s[k] != '.') {
                return false;
            }
        }
        i = close + 1;
        return true;
    }
    size_t start = i;
    while (i < s.size() && (chars::is(s[i], chars::kToken) || s[i] == ':')) {
        ++i;
    }
    return i > start;
}

}  // namespace

bool parseHeaderParams(std::string_view s, Params& out) noexcept {
    size_t i = 0;
    for (;;) {
        skipWsp(s, i);
        if (i >= s.size()) {
            return true;
        }
        if (s[i] != ';') {
            return false;
        }
        ++i;
        skipWsp(s, i);
        size_t nameStart = i;
        while (i < s.size() && chars::is(s[i], chars::kToken)) {
            ++i;
        }
        if (i == nameStart) {
            return false;  // empty parameter, e.g. ";;"
        }
        Param p;
        p.name = s.substr(nameStart, i - nameStart);
        size_t save = i;
        skipWsp(s, i);
        if (i < s.size() && s[i] == '=') {
            ++i;
            skipWsp(s, i);
            size_t valueStart = i;
            if (!scanGenValue(s, i)) {
                return false;
            }
            p.value = s.substr(valueStart, i - valueStart);
            p.hasValue = true;
        } else {
            i = save;
        }
        if (out.size() >= 64) {
            return false;  // bounded: no header needs more
        }
        out.push_back(p);
    }
}

}  // namespace sbc::sip
