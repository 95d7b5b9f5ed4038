// Building the messages sbc sends on each leg: responses from a kept ResponseBase, requests
// inside a leg's dialog (RFC 3261 §12.2.1.1), ACKs for 2xx (§13.2.2.4) and stateless rejects.
#include "controlplane/b2bua/messages.hpp"

#include <algorithm>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_filter.hpp"
#include "controlplane/sip/serializer.hpp"

namespace sbc::b2bua {

std::string_view viaTransport(policy::Transport t) noexcept {
    switch (t) {
        case policy::Transport::Udp:
            return "UDP";
        case policy::Transport::Tcp:
            return "TCP";
        case policy::Transport::Tls:
            return "TLS";
    }
    return "UDP";
}

std::string hostPort(std::string_view address, std::uint16_t port) {
    std::string out;
    if (address.find(':') != std::string_view::npos) {
        out.append("[").append(address).append("]");
    } else {
        out.append(address);
    }
    out.append(":").append(std::to_string(port));
    return out;
}

std::string contactOf(const SideListener& l) {
    std::string out = "<sip:" + hostPort(l.address, l.port);
    if (l.transport != policy::Transport::Udp) {
        out.append(";transport=").append(l.transport == policy::Transport::Tcp ? "tcp" : "tls");
    }
    out.append(">");
    return out;
}

std::shared_ptr<ResponseBase> responseBaseOf(const sip::Message& req,
                                             const transaction::Target& source) {
    auto base = std::make_shared<ResponseBase>();
    bool first = true;
    for (const sip::Via& v : req.vias()) {
        if (first) {
            // RFC 3581 §4 / §18.2.1: received and rport of the observed source, always (the
            // SIP core's forceRport: the NAT-friendly answer).
            std::string top = sip::viaWithReceived(v, source.address, source.port);
            if (!v.hasRport()) {
                top += ";rport=" + std::to_string(source.port);
                if (top.find(";received=") == std::string::npos) {
                    top += ";received=" + source.address;
                }
            }
            base->vias.push_back(std::move(top));
            first = false;
        } else {
            base->vias.emplace_back(v.raw);
        }
    }
    if (const sip::Header* h = req.find(sip::HeaderId::From)) {
        base->from = std::string(h->value);
    }
    if (const sip::Header* h = req.find(sip::HeaderId::To)) {
        base->to = std::string(h->value);
    }
    base->callId = std::string(req.callId());
    if (const sip::Header* h = req.find(sip::HeaderId::CSeq)) {
        base->cseq = std::string(h->value);
    }
    base->cseqMethod = std::string(req.cseq().method);
    base->cseqNumber = req.cseq().number;
    return base;
}

namespace {

bool carriesContact(std::string_view method) {
    // Dialog-creating and target-refresh requests (§12.1, RFC 3311 §5.1, RFC 6665).
    return method == "INVITE" || method == "UPDATE" || method == "SUBSCRIBE" ||
           method == "NOTIFY" || method == "REFER";
}

const policy::HeaderRules& rulesOf(const Leg& l) {
    static const policy::HeaderRules kNone;
    return l.trunk != nullptr ? l.trunk->headers : kNone;
}

}  // namespace

std::string B2bua::buildResponse(const Leg& l, const ResponseBase& base, int code,
                                 std::string_view reason, const sip::Message* relayed,
                                 const Body& body, const Extra& extra) {
    sip::MessageWriter w(768 + body.text.size());
    w.statusLine(code, reason);
    for (const std::string& v : base.vias) {
        w.header(sip::HeaderId::Via, v);
    }
    w.header(sip::HeaderId::From, base.from);
    sip::NameAddr to;
    bool hasTag = sip::parseNameAddr(base.to, to) && !to.tag().empty();
    if (!hasTag && code > 100) {
        w.header(sip::HeaderId::To, base.to + ";tag=" + l.localTag);
    } else {
        w.header(sip::HeaderId::To, base.to);
    }
    w.header(sip::HeaderId::CallId, base.callId);
    w.header(sip::HeaderId::CSeq, base.cseq);
    if (code > 100 && code < 300 && carriesContact(base.cseqMethod) && l.listener != nullptr) {
        w.header(sip::HeaderId::Contact, contactOf(*l.listener));
    }
    w.header(sip::HeaderId::Server, config_.userAgent);
    if (relayed != nullptr) {
        copyAllowed(*relayed, rulesOf(l), w);
    }
    for (const auto& [name, value] : extra) {
        w.header(name, value);
    }
    return w.finish(body.text, body.type);
}

std::string B2bua::buildRequest(const Leg& l, std::string_view method, std::uint32_t cseq,
                                std::string_view branch, const sip::Message* relayed,
                                const Body& body, const Extra& extra, int maxForwards) {
    sip::MessageWriter w(768 + body.text.size());
    w.requestLine(method, l.remoteTarget);
    std::string via = "SIP/2.0/";
    via.append(viaTransport(l.listener->transport)).append(" ");
    via.append(hostPort(l.listener->address, l.listener->port));
    via.append(";branch=").append(branch).append(";rport");
    w.header(sip::HeaderId::Via, via);
    w.header(sip::HeaderId::MaxForwards, std::to_string(maxForwards));
    for (const std::string& r : l.routeSet) {
        w.header(sip::HeaderId::Route, r);
    }
    w.header(sip::HeaderId::From, l.localUri + ";tag=" + l.localTag);
    if (l.remoteTag.empty()) {
        w.header(sip::HeaderId::To, l.remoteUri);
    } else {
        w.header(sip::HeaderId::To, l.remoteUri + ";tag=" + l.remoteTag);
    }
    w.header(sip::HeaderId::CallId, l.callId);
    std::string cseqValue = std::to_string(cseq);
    cseqValue.append(" ").append(method);
    w.header(sip::HeaderId::CSeq, cseqValue);
    if (carriesContact(method)) {
        w.header(sip::HeaderId::Contact, contactOf(*l.listener));
    }
    w.header(sip::HeaderId::UserAgent, config_.userAgent);
    if (relayed != nullptr) {
        copyAllowed(*relayed, rulesOf(l), w);
    }
    for (const auto& [name, value] : extra) {
        w.header(name, value);
    }
    return w.finish(body.text, body.type);
}

std::string B2bua::buildAck(const Leg& l, std::uint32_t cseq, std::string_view body) {
    // §13.2.2.4: CSeq number of the INVITE, method ACK; a new branch (the ACK of a 2xx is its
    // own transaction); Route from the route set; the answer when the 2xx carried the offer.
    sip::MessageWriter w(512 + body.size());
    w.requestLine("ACK", l.remoteTarget);
    std::string via = "SIP/2.0/";
    via.append(viaTransport(l.listener->transport)).append(" ");
    via.append(hostPort(l.listener->address, l.listener->port));
    via.append(";branch=").append(ids_.branch()).append(";rport");
    w.header(sip::HeaderId::Via, via);
    w.header(sip::HeaderId::MaxForwards, "70");
    for (const std::string& r : l.routeSet) {
        w.header(sip::HeaderId::Route, r);
    }
    w.header(sip::HeaderId::From, l.localUri + ";tag=" + l.localTag);
    w.header(sip::HeaderId::To, l.remoteUri + ";tag=" + l.remoteTag);
    w.header(sip::HeaderId::CallId, l.callId);
    w.header(sip::HeaderId::CSeq, std::to_string(cseq) + " ACK");
    w.header(sip::HeaderId::UserAgent, config_.userAgent);
    return w.finish(body, "application/sdp");
}

void B2bua::sendAck(Call& call, LegId leg, std::uint32_t cseq, std::string_view body) {
    Leg& l = call.leg(leg);
    std::string ack = buildAck(l, cseq, body);
    send_(l.target, ack);
    call.ackSent[static_cast<int>(leg)] = std::move(ack);
    call.ackSentCseq[static_cast<int>(leg)] = cseq;
}

void B2bua::reject(const sip::Message& req, ServerId txn, const transaction::Target& src, int code,
                   std::string_view reason, const Extra& extra) {
    std::shared_ptr<ResponseBase> base = responseBaseOf(req, src);
    sip::MessageWriter w(512);
    w.statusLine(code, reason);
    for (const std::string& v : base->vias) {
        w.header(sip::HeaderId::Via, v);
    }
    w.header(sip::HeaderId::From, base->from);
    if (req.to().tag().empty()) {
        w.header(sip::HeaderId::To, base->to + ";tag=" + ids_.tag());
    } else {
        w.header(sip::HeaderId::To, base->to);
    }
    w.header(sip::HeaderId::CallId, base->callId);
    w.header(sip::HeaderId::CSeq, base->cseq);
    w.header(sip::HeaderId::Server, config_.userAgent);
    for (const auto& [name, value] : extra) {
        w.header(name, value);
    }
    transactions_.respond(txn, code, w.finish());
    if (req.method() == sip::Method::Invite && req.to().tag().empty()) {
        noteFinalResponse(src, code);  // a refused call attempt (bans, policy/gate.hpp)
    }
}

void B2bua::respond(Call& call, LegId leg, ServerId txn, const ResponseBase& base, int code,
                    std::string_view reason, const Extra& extra) {
    transactions_.respond(txn, code,
                          buildResponse(call.leg(leg), base, code, reason, nullptr, Body{}, extra));
}

const SideListener* B2bua::listenerFor(std::string_view side, policy::Transport t,
                                       bool ipv6) const {
    for (const SideListener& l : config_.listeners) {
        bool v6 = l.address.find(':') != std::string::npos;
        if (l.side == side && l.transport == t && v6 == ipv6) {
            return &l;
        }
    }
    return nullptr;
}

const SideListener* B2bua::listenerById(std::uint32_t id) const {
    auto it = std::find_if(config_.listeners.begin(), config_.listeners.end(),
                           [id](const SideListener& l) { return l.id == id; });
    return it != config_.listeners.end() ? &*it : nullptr;
}

}  // namespace sbc::b2bua
