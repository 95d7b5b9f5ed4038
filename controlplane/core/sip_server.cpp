#include "controlplane/core/sip_server.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <random>
#include <string_view>

#include "controlplane/sip/serializer.hpp"

namespace sbc::core {

namespace {

// FNV-1a, enough to spread a per-process secret over request identifiers for To tags.
uint64_t mix(uint64_t h, std::string_view s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string hex(uint64_t v) {
    char buf[17];
    auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
    return std::string(buf, r.ptr);
}

}  // namespace

transaction::Target targetFor(const transport::InboundMessage& in, const sip::Message& req,
                              bool forceRport) {
    transaction::Target t;
    t.listenerId = in.listener;
    t.connectionId = in.connection;
    t.reliable = in.protocol != transport::Protocol::Udp;
    t.address = in.remote.address.to_string();
    t.port = in.remote.port;
    if (!t.reliable && !forceRport && !req.vias().empty() && !req.vias().front().hasRport()) {
        // RFC 3261 §18.2.2: the received address, the sent-by port (default 5060). maddr is not
        // honoured: sending where an untrusted request says would make sbc a reflector.
        const sip::Via& via = req.vias().front();
        t.port = via.port != 0 ? via.port : 5060;
    }
    return t;
}

transport::OutboundTarget outboundFor(const transaction::Target& t) {
    if (t.connectionId != 0) {
        return transport::OutboundTarget::onConnection(t.connectionId);
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(t.address, ec);
    return transport::OutboundTarget::to(t.listenerId, transport::Endpoint{addr, t.port});
}

SipServer::SipServer(transport::TransportLayer& transport,
                     transaction::TransactionLayer& transactions, SipServerConfig config)
    : transport_(transport), transactions_(transactions), config_(std::move(config)) {
    std::random_device rd;
    tagSecret_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

void SipServer::countSent(int code) {
    int cls = code / 100;
    if (cls >= 1 && cls <= 6) {
        ++stats_.responsesSent[static_cast<size_t>(cls)];
    }
}

std::string SipServer::toTagFor(const sip::Message& req) const {
    // Stable for retransmissions of the same request (a stateless answer must not change its tag),
    // unpredictable across requests.
    uint64_t h = mix(14695981039346656037ULL ^ tagSecret_, req.callId());
    h = mix(h, req.from().tag());
    if (!req.vias().empty()) {
        h = mix(h, req.vias().front().branch());
    }
    if (const sip::Header* cseq = req.find(sip::HeaderId::CSeq)) {
        h = mix(h, cseq->value);
    }
    return hex(h);
}

std::string SipServer::buildReply(const sip::Message& req, const transport::InboundMessage& in,
                                  const Reply& reply) {
    std::string topVia;
    if (!req.vias().empty()) {
        std::string addr = in.remote.address.to_string();
        const sip::Via& via = req.vias().front();
        topVia = sip::viaWithReceived(via, addr, in.remote.port);
        if (config_.forceRport && !via.hasRport()) {
            topVia += ";rport=" + std::to_string(in.remote.port);
            if (topVia.find(";received=") == std::string::npos) {
                topVia += ";received=" + addr;
            }
        }
    }
    std::vector<std::pair<std::string_view, std::string_view>> extra;
    extra.reserve(reply.headers.size() + 1);
    for (const auto& [name, value] : reply.headers) {
        extra.emplace_back(name, value);
    }
    extra.emplace_back("Server", config_.serverHeader);
    std::string tag = toTagFor(req);
    sip::ResponseSpec spec;
    spec.code = reply.code;
    spec.reason = reply.reason;
    spec.toTag = tag;
    spec.topVia = topVia;
    spec.extra = extra;
    auto bytes = sip::buildResponse(req, spec);
    return bytes ? std::move(*bytes) : std::string{};
}

void SipServer::sendStateless(const sip::Message& req, const transport::InboundMessage& in,
                              const Reply& reply) {
    std::string bytes = buildReply(req, in, reply);
    if (bytes.empty()) {
        ++stats_.malformedDropped;
        return;
    }
    transaction::Target t = targetFor(in, req, config_.forceRport);
    auto res = transport_.send(outboundFor(t), bytes);
    if (!res.ok()) {
        ++stats_.sendFailures;
        return;
    }
    countSent(reply.code);
}

// --- policy gate (controlplane/policy) --------------------------------------------------------
bool SipServer::applyGateVerdict(const GateVerdict& v, const sip::Message& req,
                                 const transport::InboundMessage& in) {
    switch (v.kind) {
        case GateVerdict::Kind::Continue:
            return false;
        case GateVerdict::Kind::Drop:
            return true;
        case GateVerdict::Kind::Reject:
            break;
    }
    if (req.method() == sip::Method::Ack) {
        return true;  // never answer an ACK (RFC 3261 §17.1.1.3)
    }
    Reply reply{v.code, "", {}};
    if (v.retryAfter > 0) {
        reply.headers.emplace_back("Retry-After", std::to_string(v.retryAfter));
    }
    sendStateless(req, in, reply);
    return true;
}

void SipServer::onMessage(const transport::InboundMessage& in) {
    GateVerdict pre;
    if (gate_ != nullptr) {
        pre = gate_->beforeParse(in);
        if (pre.kind == GateVerdict::Kind::Drop) {
            return;
        }
    }
    // --- end policy gate ---
    sip::Framing framing =
        in.protocol == transport::Protocol::Udp ? sip::Framing::Datagram : sip::Framing::Stream;
    sip::Message msg = sip::Message::parse(in.bytes, config_.limits, framing);
    if (!msg.ok() && pre.kind == GateVerdict::Kind::Reject) {
        return;  // refused by policy: no answer to a malformed message either
    }
    if (!msg.ok()) {
        ++stats_.parseErrors[static_cast<size_t>(msg.error())];
        onMalformed(msg, in);
        return;
    }
    if (msg.isRequest()) {
        ++stats_.requestsReceived;
        if (gate_ != nullptr &&
            applyGateVerdict(
                pre.kind == GateVerdict::Kind::Reject ? pre : gate_->afterParse(msg, in), msg,
                in)) {
            return;
        }
        onRequest(msg, in);
        return;
    }
    if (pre.kind == GateVerdict::Kind::Reject) {
        return;  // a response from a refused source
    }
    ++stats_.responsesReceived;
    if (!transactions_.onResponse(msg)) {
        ++stats_.strayResponses;  // §18.1.2: no matching client transaction; drop
    }
}

void SipServer::onMalformed(const sip::Message& msg, const transport::InboundMessage& in) {
    // Never answer a response or an ACK (§17.1.1.3); a request only when From, To, Call-ID, CSeq
    // and Via were split (buildResponse returns nothing otherwise).
    if (!msg.isRequest() || msg.methodText() == "ACK") {
        ++stats_.malformedDropped;
        return;
    }
    Reply reply = replyToMalformed(msg);
    std::string bytes = buildReply(msg, in, reply);
    if (bytes.empty()) {
        ++stats_.malformedDropped;
        return;
    }
    // Stateless: the same malformed retransmission gets the same answer again.
    auto target = in.connection != 0 ? transport::OutboundTarget::onConnection(in.connection)
                                     : transport::OutboundTarget::to(in.listener, in.remote);
    auto res = transport_.send(target, bytes);
    if (!res.ok()) {
        ++stats_.sendFailures;
        return;
    }
    ++stats_.malformedAnswered;
    countSent(reply.code);
}

void SipServer::onRequest(const sip::Message& req, const transport::InboundMessage& in) {
    transaction::Target source = targetFor(in, req, config_.forceRport);
    if (dialogs_.claims && dialogs_.claims(req)) {
        auto r = transactions_.onRequest(req, source);
        switch (r.kind) {
            case transaction::ServerResult::Kind::Retransmission:
            case transaction::ServerResult::Kind::AckAbsorbed:
                ++stats_.retransmissionsAbsorbed;
                return;
            case transaction::ServerResult::Kind::Overloaded:
                if (req.method() != sip::Method::Ack) {
                    ++stats_.overloadRejected;
                    sendStateless(req, in, Reply{503, "", {{"Retry-After", "5"}}});
                }
                return;
            case transaction::ServerResult::Kind::New:
            case transaction::ServerResult::Kind::AckForUnknown:
                break;
        }
        dialogs_.onRequest(req, r, source);
        return;
    }
    if (req.method() == sip::Method::Cancel) {
        // §9.2: a CANCEL matching a server transaction whose final response was sent has no
        // effect but still gets 200; today every INVITE is answered at once, so that is all.
        bool matches = transactions_.findInviteForCancel(req).has_value();
        auto r = transactions_.onRequest(req, source);
        if (r.kind != transaction::ServerResult::Kind::New) {
            if (r.kind == transaction::ServerResult::Kind::Retransmission) {
                ++stats_.retransmissionsAbsorbed;
            }
            return;
        }
        Reply reply{matches ? 200 : 481, "", {}};
        transactions_.respond(r.id, reply.code, buildReply(req, in, reply));
        countSent(reply.code);
        return;
    }
    auto r = transactions_.onRequest(req, source);
    switch (r.kind) {
        case transaction::ServerResult::Kind::Retransmission:
        case transaction::ServerResult::Kind::AckAbsorbed:
            ++stats_.retransmissionsAbsorbed;
            return;
        case transaction::ServerResult::Kind::AckForUnknown:
            return;  // an ACK for a 2xx sbc never sent: nothing to do (§13.3.2.4 is the UAC's)
        case transaction::ServerResult::Kind::Overloaded:
            ++stats_.overloadRejected;
            sendStateless(req, in, Reply{503, "", {{"Retry-After", "5"}}});
            return;
        case transaction::ServerResult::Kind::New:
            break;
    }
    std::optional<Reply> reply = answerOutOfDialog(req);
    if (!reply) {
        return;
    }
    if (req.method() == sip::Method::Options && reply->code == 200) {
        ++stats_.optionsAnswered;
    }
    transactions_.respond(r.id, reply->code, buildReply(req, in, *reply));
    countSent(reply->code);
    if (gate_ != nullptr) {
        gate_->responseSent(in, reply->code);  // 404/401/407 count towards bans
    }
}

}  // namespace sbc::core
