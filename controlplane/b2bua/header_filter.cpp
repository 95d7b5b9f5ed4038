#include "controlplane/b2bua/header_filter.hpp"

#include <algorithm>

#include "controlplane/sip/chars.hpp"

namespace sbc::b2bua {

namespace {

bool inList(std::string_view name, const std::vector<std::string>& list) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& n) { return sip::chars::iequals(n, name); });
}

}  // namespace

bool isOwnHeader(const sip::Header& h) noexcept {
    using sip::HeaderId;
    switch (h.id) {
        case HeaderId::Via:
        case HeaderId::From:
        case HeaderId::To:
        case HeaderId::CallId:
        case HeaderId::CSeq:
        case HeaderId::Contact:
        case HeaderId::Route:
        case HeaderId::RecordRoute:
        case HeaderId::MaxForwards:
        case HeaderId::ContentLength:
        case HeaderId::ContentType:
        case HeaderId::ContentEncoding:
        case HeaderId::ContentDisposition:
        case HeaderId::MimeVersion:
        case HeaderId::Server:
        case HeaderId::UserAgent:
        case HeaderId::RSeq:
        case HeaderId::RAck:
        case HeaderId::Require:
        case HeaderId::ProxyRequire:
        case HeaderId::Supported:
        case HeaderId::Unsupported:
        case HeaderId::SessionExpires:
        case HeaderId::MinSE:
        case HeaderId::Authorization:
        case HeaderId::ProxyAuthorization:
        case HeaderId::WwwAuthenticate:
        case HeaderId::ProxyAuthenticate:
        case HeaderId::Allow:
            return true;
        default:
            return false;
    }
}

bool mayCross(const sip::Header& h, const policy::HeaderRules& rules) noexcept {
    if (isOwnHeader(h)) {
        return false;
    }
    // Compact and full names are one header: compare the canonical name when there is one.
    std::string_view name = h.id != sip::HeaderId::Unknown ? sip::canonicalName(h.id) : h.name;
    return inList(name, rules.allow) && !inList(name, rules.strip);
}

void copyAllowed(const sip::Message& from, const policy::HeaderRules& rules,
                 sip::MessageWriter& out) {
    if (rules.allow.empty()) {
        return;
    }
    for (const sip::Header& h : from.headers()) {
        if (mayCross(h, rules)) {
            out.header(h.id != sip::HeaderId::Unknown ? sip::canonicalName(h.id) : h.name, h.value);
        }
    }
}

std::string withoutTag(const sip::NameAddr& na) {
    std::string out;
    if (!na.displayName.empty()) {
        out.append(na.displayName).append(" ");
    }
    out.append("<").append(na.uri.raw).append(">");
    for (const sip::Param& p : na.params) {
        if (sip::chars::iequals(p.name, "tag")) {
            continue;
        }
        out.append(";").append(p.name);
        if (p.hasValue) {
            out.append("=").append(p.value);
        }
    }
    return out;
}

bool listsOption(const sip::Message& m, sip::HeaderId id, std::string_view option) {
    for (const sip::Header& h : m.headers()) {
        if (h.id != id) {
            continue;
        }
        bool found = false;
        sip::splitList(h.value, [&](std::string_view v) {
            if (sip::chars::iequals(v, option)) {
                found = true;
            }
            return true;
        });
        if (found) {
            return true;
        }
    }
    return false;
}

}  // namespace sbc::b2bua
