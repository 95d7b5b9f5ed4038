#include "controlplane/b2bua/call_media.hpp"

#include <utility>

#include "controlplane/sdp/sdp.hpp"

namespace sbc::b2bua {

namespace {

media::StreamEnd& endOf(media::Stream& s, LegId leg) {
    return leg == LegId::A ? s.a : s.b;
}

bool isUnspecified(const sdp::Connection* c) {
    return c != nullptr && (c->address == "0.0.0.0" || c->address == "::");
}

// Attributes that carry addresses of the peer (RFC 8839 §5.1, §5.2): never relayed, whatever
// the trunk's ICE setting, since the relay does not answer connectivity checks for them.
bool carriesAddress(const sdp::Attribute& a) {
    return a.name == "candidate" || a.name == "remote-candidates";
}

}  // namespace

CallMedia::CallMedia(media::MediaService& media, LegMediaPolicy a, LegMediaPolicy b,
                     std::uint64_t sessionSeed)
    : media_(media), policy_{std::move(a), std::move(b)} {
    // RFC 8866 §5.2: sess-id is a numeric string; one per leg, unrelated to the peer's.
    origin_[0].sessionId = std::to_string((sessionSeed & 0x7fffffffffffULL) + 1);
    origin_[1].sessionId = std::to_string(((sessionSeed >> 17) & 0x7fffffffffffULL) + 1);
    origin_[0].version = 1;
    origin_[1].version = 1;
}

CallMedia::CallMedia(media::MediaService& media, CallMediaState restored)
    : media_(media),
      policy_{std::move(restored.policy[0]), std::move(restored.policy[1])},
      origin_{std::move(restored.origin[0]), std::move(restored.origin[1])},
      session_(restored.session),
      streams_(std::move(restored.streams)) {}

CallMediaState CallMedia::state() const {
    CallMediaState s;
    s.policy[0] = policy_[0];
    s.policy[1] = policy_[1];
    s.origin[0] = origin_[0];
    s.origin[1] = origin_[1];
    s.session = released_ ? std::nullopt : session_;
    s.streams = streams_;
    return s;
}

CallMedia::Result CallMedia::relay(std::string_view body, LegId from) {
    Result out;
    sdp::ParseResult parsed = sdp::parse(body);
    if (!parsed) {
        out.error = SdpError{488, "Bad SDP"};
        return out;
    }
    sdp::SessionDescription sd = std::move(parsed).value();
    // RFC 3264 §8: m-lines are never removed in a later offer; an answer has exactly as many as
    // the offer (§6).
    if (sd.media.empty() || sd.media.size() < streams_.size()) {
        out.error = SdpError{488, "Media Lines Missing"};
        return out;
    }
    LegId to = other(from);
    if (sd.media.size() > streams_.size()) {
        std::vector<media::Stream> added(sd.media.size() - streams_.size());
        for (media::Stream& s : added) {
            s.a.side = policy_[0].side;
            s.b.side = policy_[1].side;
            s.a.latch = policy_[0].latch ? media::LatchMode::AnySource : media::LatchMode::Off;
            s.b.latch = policy_[1].latch ? media::LatchMode::AnySource : media::LatchMode::Off;
        }
        if (!session_) {
            session_ = media_.allocate(added);
            if (!session_) {
                out.error = SdpError{503, "No Media Ports"};
                return out;
            }
        } else if (!media_.addStreams(*session_, added)) {
            out.error = SdpError{503, "No Media Ports"};
            return out;
        }
        for (media::Stream& s : added) {
            streams_.push_back(std::move(s));
        }
    }

    // The remotes of the sending leg, from its SDP (RFC 8866 §5.7, §5.14; RFC 3605; RFC 5761).
    std::vector<bool> hold(sd.media.size(), false);  // RFC 2543 hold: c=0.0.0.0 (kept)
    for (size_t i = 0; i < sd.media.size(); ++i) {
        const sdp::MediaDescription& m = sd.media[i];
        const sdp::Connection* c = sd.effectiveConnection(m);
        hold[i] = isUnspecified(c);
        media::StreamEnd& e = endOf(streams_[i], from);
        e.rtcpMux = m.hasRtcpMux();
        if (m.isRejected() || c == nullptr) {
            e.remote = {};
            e.remoteRtcpPort = 0;
            continue;
        }
        e.remote.ip = c->address;
        e.remote.port = m.port;
        if (e.rtcpMux) {
            e.remoteRtcpPort = 0;
        } else if (auto rtcp = m.rtcp()) {
            e.remoteRtcpPort = rtcp->port;
        } else {
            e.remoteRtcpPort = m.port == 65535 ? 0 : static_cast<std::uint16_t>(m.port + 1);
        }
    }
    if (!media_.update(*session_, streams_)) {
        out.error = SdpError{500, "Media Update Failed"};
        return out;
    }

    // The copy for the other leg: only that leg's relay addresses.
    const LegMediaPolicy& toPolicy = policy_[static_cast<int>(to)];
    std::string localIp;
    for (media::Stream& s : streams_) {
        if (!endOf(s, to).local.ip.empty()) {
            localIp = endOf(s, to).local.ip;
            break;
        }
    }
    if (localIp.empty() || !sd.setConnectionAddress(localIp)) {
        out.error = SdpError{500, "No Media Address"};
        return out;
    }
    for (size_t i = 0; i < sd.media.size(); ++i) {
        sdp::MediaDescription& m = sd.media[i];
        const media::StreamEnd& e = endOf(streams_[i], to);
        if (m.isRejected()) {
            m.reject();  // RFC 3264 §6: a rejected stream stays rejected, port 0
        } else {
            m.setPort(e.local.port);
            if (e.local.ip != localIp && !m.setConnectionAddress(e.local.ip)) {
                out.error = SdpError{500, "No Media Address"};
                return out;
            }
            if (hold[i]) {
                m.setConnectionAddress("0.0.0.0");  // RFC 2543 hold kept as hold
            }
        }
        if (m.attributes.has("rtcp")) {
            sdp::Rtcp rtcp;
            rtcp.port = m.isRejected() ? 0 : static_cast<std::uint16_t>(e.local.port + 1);
            if (auto c = sdp::Connection::fromAddress(e.local.ip); c && !m.isRejected()) {
                rtcp.connection = *c;
            }
            m.setRtcp(rtcp);
        }
        if (toPolicy.stripIce) {
            m.removeIceAttributes();
        } else {
            m.attributes.removeIf(carriesAddress);
        }
    }
    if (toPolicy.stripIce) {
        sd.removeIceAttributes();
    } else {
        sd.attributes.removeIf(carriesAddress);
    }

    // o= and the free-text fields belong to sbc on each leg (RFC 3264 §5, §8).
    SdpOrigin& origin = origin_[static_cast<int>(to)];
    if (origin.sent && sd.origin.sessionVersion != origin.lastPeerVersion) {
        ++origin.version;
    }
    origin.sent = true;
    origin.lastPeerVersion = sd.origin.sessionVersion;
    sd.origin.username = "-";
    sd.origin.sessionId = origin.sessionId;
    sd.origin.sessionVersion = std::to_string(origin.version);
    sd.origin.setAddress(localIp);
    sd.sessionName = "-";
    sd.information.reset();
    sd.uri.reset();
    sd.emails.clear();
    sd.phones.clear();
    out.body = sdp::serialize(sd);
    return out;
}

std::vector<media::MediaStats> CallMedia::release() {
    if (!session_ || released_) {
        return {};
    }
    released_ = true;
    return media_.release(*session_);
}

void CallMedia::release(media::MediaService::StatsHandler done) {
    if (!session_ || released_) {
        done({});
        return;
    }
    released_ = true;
    media_.release(*session_, std::move(done));
}

}  // namespace sbc::b2bua
