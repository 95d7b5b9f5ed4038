#include "controlplane/sip/name_addr.hpp"

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

using namespace chars;

bool parseNameAddr(std::string_view text, NameAddr& out) noexcept {
    out = NameAddr{};
    out.raw = text;
    std::string_view s = trim(text);
    if (s.empty()) {
        return false;
    }
    size_t i = 0;
    size_t laquot = std::string_view::npos;
    if (s[0] == '"') {
        // display-name = quoted-string; then LAQUOT (SWS "<")
        if (!scanQuotedString(s, i)) {
            return false;
        }
        out.displayName = s.substr(0, i);
        while (i < s.size() && isWsp(s[i])) {
            ++i;
        }
        if (i >= s.size() || s[i] != '<') {
            return false;
        }
        laquot = i;
    } else {
        // Either *(token LWS) "<" or an addr-spec. Look for '<' before any ';' or '?'.
        size_t lt = s.find('<');
        if (lt != std::string_view::npos) {
            std::string_view dn = trim(s.substr(0, lt));
            // *(token LWS): tokens separated by whitespace
            for (char c : dn) {
                if (!is(c, kToken) && !isWsp(c)) {
                    return false;
                }
            }
            out.displayName = dn;
            laquot = lt;
        }
    }
    std::string_view rest;
    if (laquot != std::string_view::npos) {
        size_t gt = s.find('>', laquot + 1);
        if (gt == std::string_view::npos) {
            return false;
        }
        out.angleBrackets = true;
        std::string_view uri = s.substr(laquot + 1, gt - laquot - 1);
        // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no whitespace inside the brackets.
        if (uri.empty() || isWsp(uri.front()) || isWsp(uri.back())) {
            return false;
        }
        if (!parseUri(uri, out.uri)) {
            return false;
        }
        rest = s.substr(gt + 1);
    } else {
        size_t end = 0;
        while (end < s.size() && s[end] != ';' && !isWsp(s[end])) {
            ++end;
        }
        std::string_view uri = s.substr(0, end);
        if (uri.find_first_of(",?") != std::string_view::npos) {
            return false;
        }
        if (!parseUri(uri, out.uri)) {
            return false;
        }
        rest = s.substr(end);
    }
    return parseHeaderParams(rest, out.params);
}

}  // namespace sbc::sip
