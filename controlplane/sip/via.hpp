#pragma once
// Via header field values (RFC 3261 §20.42, §25.1; rport from RFC 3581).
#include <cstdint>
#include <string_view>

#include "controlplane/sip/params.hpp"

namespace sbc::sip {

// RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this magic cookie.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

struct Via {
    std::string_view protocolName;     // "SIP"
    std::string_view protocolVersion;  // "2.0"
    std::string_view transport;        // UDP, TCP, TLS, SCTP, WS, ... (any token)
    std::string_view host;             // sent-by host (hostname, IPv4 or [IPv6])
    uint16_t port = 0;                 // 0: absent
    Params params;
    std::string_view raw;

    const Param* param(std::string_view name) const noexcept { return findParam(params, name); }
    std::string_view branch() const noexcept {
        const Param* p = param("branch");
        return p != nullptr ? p->value : std::string_view{};
    }
    // True when the branch carries the RFC 3261 magic cookie (transaction id = branch).
    bool rfc3261Branch() const noexcept { return branch().starts_with(kMagicCookie); }
    bool hasRport() const noexcept { return param("rport") != nullptr; }
    // sent-by host without the brackets of an IPv6 reference.
    std::string_view hostAddress() const noexcept {
        if (host.size() >= 2 && host.front() == '[') {
            return host.substr(1, host.size() - 2);
        }
        return host;
    }
};

// Parses one Via value: sent-protocol LWS sent-by *( SEMI via-params ), with LWS allowed around
// "/" and ":" (SLASH / COLON are SWS-delimited). Checks ttl (0-255), maddr/received (host),
// rport (port or empty) and a non-empty branch. Returns false on any syntax error.
bool parseVia(std::string_view text, Via& out) noexcept;

}  // namespace sbc::sip
