#include "controlplane/b2bua/session_timer.hpp"

#include <algorithm>
#include <charconv>

#include "controlplane/sip/chars.hpp"
#include "controlplane/sip/params.hpp"

namespace sbc::b2bua {

namespace {

std::optional<std::uint32_t> deltaSeconds(std::string_view v) {
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size() || v.empty()) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

std::optional<SessionExpires> sessionExpiresOf(const sip::Message& m) {
    const sip::Header* h = m.find(sip::HeaderId::SessionExpires);
    if (h == nullptr) {
        return std::nullopt;
    }
    std::string_view v = h->value;
    size_t semi = v.find(';');
    std::optional<std::uint32_t> secs = deltaSeconds(v.substr(0, semi));
    if (!secs || *secs == 0) {
        return std::nullopt;
    }
    SessionExpires se;
    se.interval = std::chrono::seconds(*secs);
    if (semi != std::string_view::npos) {
        sip::Params params;
        if (!sip::parseHeaderParams(v.substr(semi), params)) {
            return std::nullopt;
        }
        if (const sip::Param* r = sip::findParam(params, "refresher")) {
            if (sip::chars::iequals(r->value, "uac")) {
                se.refresher = "uac";
            } else if (sip::chars::iequals(r->value, "uas")) {
                se.refresher = "uas";
            }
        }
    }
    return se;
}

std::optional<std::chrono::seconds> minSeOf(const sip::Message& m) {
    const sip::Header* h = m.find(sip::HeaderId::MinSE);
    if (h == nullptr) {
        return std::nullopt;
    }
    std::string_view v = h->value;
    std::optional<std::uint32_t> secs = deltaSeconds(v.substr(0, v.find(';')));
    if (!secs) {
        return std::nullopt;
    }
    return std::chrono::seconds(*secs);
}

std::string toHeaderValue(const SessionExpires& se) {
    std::string out = std::to_string(se.interval.count());
    if (!se.refresher.empty()) {
        out += ";refresher=" + se.refresher;
    }
    return out;
}

std::chrono::milliseconds expiryDeadline(std::chrono::seconds interval) {
    std::chrono::seconds margin = std::min(std::chrono::seconds(32), interval / 3);
    return interval - margin;
}

}  // namespace sbc::b2bua
