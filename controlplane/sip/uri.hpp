#pragma once
// SIP, SIPS (RFC 3261 §19.1), tel (RFC 3966) and other absolute URIs, as views.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/sip/params.hpp"

namespace sbc::sip {

enum class Scheme : uint8_t { Sip, Sips, Tel, Other };

struct Uri {
    Scheme scheme = Scheme::Other;
    std::string_view schemeText;  // as written, e.g. "sip", "SIP", "soap.beep"
    bool hasUserInfo = false;
    std::string_view user;      // escaped form, as written (sip/sips: user part; tel: the number)
    std::string_view password;  // escaped form
    std::string_view host;      // hostname, IPv4 or "[IPv6]" (sip/sips only)
    uint16_t port = 0;          // 0: absent
    Params params;              // uri-parameters (sip/sips) or tel parameters
    std::string_view headers;   // after '?', raw, escaped (sip/sips only)
    std::string_view opaque;    // everything after "scheme:" (all schemes)
    std::string_view raw;       // the whole URI

    bool isSip() const noexcept { return scheme == Scheme::Sip || scheme == Scheme::Sips; }
    const Param* param(std::string_view name) const noexcept { return findParam(params, name); }
    // The user part with %HH escapes decoded (RFC 3261 §19.1.4: compare unescaped).
    std::string userUnescaped() const { return unescape(user); }
    std::string passwordUnescaped() const { return unescape(password); }
    // Host without the brackets of an IPv6 reference.
    std::string_view hostAddress() const noexcept;

    static std::string unescape(std::string_view s);
};

// Parses a URI. Strict per the RFC 3261 §25.1 grammar for sip/sips (user, password, host, port,
// parameters, headers); tel URIs per RFC 3966 (number and parameters); any other scheme as
// `scheme ":" opaque` with no whitespace or control characters. Returns false on a syntax error.
bool parseUri(std::string_view text, Uri& out) noexcept;

}  // namespace sbc::sip
