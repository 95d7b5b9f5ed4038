#pragma once
// Generic parameters (RFC 3261 §25.1 generic-param, uri-parameter) as views into a message.
#include <boost/container/small_vector.hpp>
#include <optional>
#include <string_view>

namespace sbc::sip {

struct Param {
    std::string_view name;
    std::string_view value;  // raw: quoted-string values keep their quotes
    bool hasValue = false;
};

// Most headers carry a handful of parameters; stay off the heap for those.
using Params = boost::container::small_vector<Param, 4>;

// Case-insensitive lookup (parameter names are case-insensitive, RFC 3261 §7.3.1 / §19.1.4).
const Param* findParam(const Params& params, std::string_view name) noexcept;

// Parses `*( SWS ";" SWS generic-param )` (header parameters, with LWS allowed around ";" and "=").
// Stops at the end of `text`; returns false on an empty parameter (";;"), a bad name or value, or
// trailing garbage. `text` must start at the first ';' (or be empty / whitespace).
bool parseHeaderParams(std::string_view text, Params& out) noexcept;

// Splits a header value on top-level commas (outside quoted strings and <...>); calls fn(element)
// for each trimmed element. Returns false on an empty element or an unterminated quote/bracket.
template <typename Fn>
bool splitList(std::string_view value, Fn&& fn) {
    size_t start = 0;
    bool inQuote = false;
    bool inAngle = false;
    for (size_t i = 0; i <= value.size(); ++i) {
        if (i < value.size()) {
            char c = value[i];
            if (inQuote) {
                if (c == '\\') {
                    if (i + 1 >= value.size()) {
                        return false;  // a quoted-pair cut off by the end: unterminated
                    }
                    ++i;  // quoted-pair
                } else if (c == '"') {
                    inQuote = false;
                }
                continue;
            }
            if (c == '"') {
                inQuote = true;
                continue;
            }
            if (c == '<') {
                inAngle = true;
                continue;
            }
            if (c == '>') {
                inAngle = false;
                continue;
            }
            if (c != ',' || inAngle) {
                continue;
            }
        }
        if (inQuote || inAngle) {
            return false;
        }
        std::string_view elem = value.substr(start, i - start);
        // trim SP/HTAB
        while (!elem.empty() && (elem.front() == ' ' || elem.front() == '\t')) {
            elem.remove_prefix(1);
        }
        while (!elem.empty() && (elem.back() == ' ' || elem.back() == '\t')) {
            elem.remove_suffix(1);
        }
        if (elem.empty()) {
            return false;
        }
        if (!fn(elem)) {
            return false;
        }
        start = i + 1;
    }
    return true;
}

// Scans a quoted-string starting at text[pos] == '"'. On success sets pos one past the closing
// quote.
bool scanQuotedString(std::string_view text, size_t& pos) noexcept;

// Removes the quotes and quoted-pair escapes of a quoted-string (or returns a plain value as is).
std::string unquote(std::string_view quoted);

}  // namespace sbc::sip
