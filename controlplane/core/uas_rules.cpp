#include "controlplane/core/uas_rules.hpp"

#include "controlplane/sip/chars.hpp"
#include "controlplane/sip/params.hpp"

namespace sbc::core {

namespace {

using sip::HeaderId;
using sip::Method;

bool allowed(Method m) {
    switch (m) {
        case Method::Invite:
        case Method::Ack:
        case Method::Bye:
        case Method::Cancel:
        case Method::Options:
        case Method::Update:
        case Method::Prack:
        case Method::Info:
            return true;
        default:
            return false;
    }
}

// Methods that only make sense inside a dialog (or, for CANCEL, a transaction).
bool needsDialog(Method m) {
    return m == Method::Bye || m == Method::Update || m == Method::Prack || m == Method::Info ||
           m == Method::Cancel;
}

// The option tags of every Require header that sbc does not support (§8.2.2.3).
std::string unsupportedRequires(const sip::Message& req) {
    std::string out;
    for (const auto& h : req.headers()) {
        if (h.id != HeaderId::Require) {
            continue;
        }
        sip::splitList(h.value, [&](std::string_view tag) {
            // kSupported is empty today: every tag is unsupported.
            if (!out.empty()) {
                out.append(", ");
            }
            out.append(tag);
            return true;
        });
    }
    return out;
}

// Does any Accept header allow application/sdp (or a wildcard)? No Accept means SDP (§20.1).
bool acceptsSdp(const sip::Message& req) {
    bool sawAccept = false;
    bool ok = false;
    for (const auto& h : req.headers()) {
        if (h.id != HeaderId::Accept) {
            continue;
        }
        sawAccept = true;
        if (h.value.empty()) {
            continue;  // an empty Accept means no body is acceptable
        }
        sip::splitList(h.value, [&](std::string_view range) {
            std::string_view type = sip::chars::trim(range.substr(0, range.find(';')));
            if (sip::chars::iequals(type, "application/sdp") || type == "*/*" ||
                sip::chars::iequals(type, "application/*")) {
                ok = true;
            }
            return true;
        });
    }
    return !sawAccept || ok;
}

}  // namespace

std::optional<Reply> answerOutOfDialog(const sip::Message& req) {
    Method m = req.method();
    if (m == Method::Ack) {
        return std::nullopt;
    }
    // §8.2.1: method inspection.
    if (m == Method::Unknown) {
        return Reply{501, "", {{"Allow", std::string(kAllow)}}};
    }
    if (!allowed(m)) {
        return Reply{405, "", {{"Allow", std::string(kAllow)}}};
    }
    // §8.2.2.1: a Request-URI scheme we do not handle.
    if (!req.requestUri().isSip() && req.requestUri().scheme != sip::Scheme::Tel) {
        return Reply{416, "", {}};
    }
    // §16.3 item 2 / §8.2: hop limit, except for OPTIONS, which sbc answers itself.
    if (req.maxForwards() == 0 && m != Method::Options) {
        return Reply{483, "", {}};
    }
    // §8.2.2.3: Require with option tags we do not support. Not for CANCEL/ACK.
    if (m != Method::Cancel) {
        std::string unsupported = unsupportedRequires(req);
        if (!unsupported.empty()) {
            return Reply{420, "", {{"Unsupported", unsupported}}};
        }
    }
    // §8.2.3: a body sbc cannot process.
    if (!req.body().empty() && !req.contentType().empty() &&
        !sip::chars::iequals(req.contentType(), "application/sdp") &&
        !sip::chars::iequals(req.contentType().substr(0, 10), "multipart/")) {
        return Reply{415, "", {{"Accept", std::string(kAccept)}}};
    }
    if (needsDialog(m) || (!req.to().tag().empty() && m != Method::Options)) {
        // §12.2.2: a request in a dialog sbc does not have; §9.2 a CANCEL matching nothing.
        return Reply{481, "", {}};
    }
    if (m == Method::Options) {
        // §11.2: the capabilities; Accept-Encoding and Accept-Language as a UA would.
        return Reply{200,
                     "",
                     {{"Allow", std::string(kAllow)},
                      {"Accept", std::string(kAccept)},
                      {"Accept-Encoding", "identity"},
                      {"Accept-Language", "en"}}};
    }
    // INVITE: an answer would carry SDP; refuse when the UAC accepts none (§21.4.7).
    if (!acceptsSdp(req)) {
        return Reply{406, "", {{"Accept", std::string(kAccept)}}};
    }
    // No route to a trunk: uniform for every user, so it reveals nothing about who exists.
    return Reply{404, "", {}};
}

Reply replyToMalformed(const sip::Message& req) {
    switch (req.error()) {
        case sip::ParseError::UnsupportedVersion:
            return Reply{505, "", {}};
        case sip::ParseError::TooLarge:
            return Reply{513, "", {}};
        default:
            break;
    }
    return Reply{400, "Bad Request (" + req.errorText() + ")", {}};
}

}  // namespace sbc::core
