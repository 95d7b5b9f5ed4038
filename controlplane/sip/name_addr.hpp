#pragma once
// name-addr / addr-spec with header parameters: From, To, Contact, Route, Record-Route,
// Reply-To, Refer-To (RFC 3261 §20, §25.1).
#include <string>
#include <string_view>

#include "controlplane/sip/params.hpp"
#include "controlplane/sip/uri.hpp"

namespace sbc::sip {

struct NameAddr {
    std::string_view displayName;  // as written: quoted-string with quotes, or *(token LWS)
    bool angleBrackets = false;    // name-addr form (<...>) rather than addr-spec
    Uri uri;
    Params params;  // header parameters (tag, expires, q, ...)
    std::string_view raw;

    const Param* param(std::string_view name) const noexcept { return findParam(params, name); }
    std::string_view tag() const noexcept {
        const Param* p = param("tag");
        return p != nullptr ? p->value : std::string_view{};
    }
    std::string displayNameText() const { return unquote(displayName); }
};

// Parses one value. In addr-spec form (no <>) the URI must not contain ',', ';' or '?'
// (RFC 3261 §20: such URIs must be enclosed in angle brackets); everything after the URI is
// header parameters. Returns false on any syntax error.
bool parseNameAddr(std::string_view text, NameAddr& out) noexcept;

}  // namespace sbc::sip
