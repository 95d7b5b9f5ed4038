// The B2BUA inside established (or early) dialogs: ACK, BYE, re-INVITE, UPDATE, PRACK, INFO,
// OPTIONS and any other method, relayed from one leg's dialog to the other's.
#include <charconv>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/header_filter.hpp"
#include "controlplane/b2bua/messages.hpp"
#include "controlplane/b2bua/session_timer.hpp"
#include "controlplane/sip/chars.hpp"

namespace sbc::b2bua {

namespace {

bool isSdp(std::string_view contentType) {
    return sip::chars::iequals(contentType, "application/sdp");
}

// Methods whose bodies are session descriptions (RFC 3264, RFC 3311, RFC 3262).
bool carriesSession(sip::Method m) {
    return m == sip::Method::Invite || m == sip::Method::Update || m == sip::Method::Prack ||
           m == sip::Method::Ack;
}

// RAck: response-num CSeq-num Method (RFC 3262 §7.2).
bool parseRack(std::string_view v, std::uint32_t& rseq) {
    while (!v.empty() && v.front() == ' ') {
        v.remove_prefix(1);
    }
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), rseq);
    return ec == std::errc{} && p != v.data();
}

}  // namespace

void B2bua::onInDialog(const sip::Message& req, ServerId txn, const transaction::Target& src) {
    LegId from = LegId::A;
    Call* call = findDialog(req.callId(), req.to().tag(), from);
    if (call == nullptr || call->state == CallState::Ended) {
        // §12.2.2: a request that matches no dialog.
        ++stats_.unknownDialog;
        reject(req, txn, src, 481, "Call/Transaction Does Not Exist");
        return;
    }
    Leg& l = call->leg(from);
    // §12.2.2: the dialog is Call-ID + both tags; a request with our tag but another remote tag
    // is not from this dialog (and must not, say, end the call).
    if (!l.remoteTag.empty() && req.from().tag() != l.remoteTag) {
        ++stats_.unknownDialog;
        reject(req, txn, src, 481, "Call/Transaction Does Not Exist");
        return;
    }
    // §12.2.2: a lower CSeq than the last one is out of order.
    if (l.remoteCseqSet && req.cseq().number <= l.remoteCseq) {
        reject(req, txn, src, 500, "CSeq Out of Order");
        return;
    }
    l.remoteCseq = req.cseq().number;
    l.remoteCseqSet = true;
    if (l.remoteTag.empty()) {
        l.remoteTag = std::string(req.from().tag());
    }

    switch (req.method()) {
        case sip::Method::Bye:
            onBye(*call, from, req, txn, src);
            return;
        case sip::Method::Prack:
            if (from == LegId::A) {
                onPrack(*call, req, txn, src);
            } else {
                reject(req, txn, src, 481);  // sbc sends no reliable provisionals to B
            }
            return;
        case sip::Method::Invite:
            // §14.1: an INVITE while one is in progress on the call (either way): 491.
            if (call->state != CallState::Established || call->inviteInProgress ||
                call->pendingAck) {
                ++stats_.glare;
                reject(req, txn, src, 491);
                return;
            }
            break;
        case sip::Method::Update:
            // RFC 3311 §5.2: an offer while one is outstanding: 491.
            if (!req.body().empty() && (call->offerPending || call->inviteInProgress)) {
                ++stats_.glare;
                reject(req, txn, src, 491);
                return;
            }
            break;
        default:
            break;
    }
    if (req.method() == sip::Method::Invite || req.method() == sip::Method::Update) {
        // §12.2.2: target refresh.
        if (!req.contacts().empty()) {
            l.remoteTarget = std::string(req.contacts().front().uri.raw);
        }
    }
    std::uint64_t id = call->id;
    relayInDialog(*call, from, req, txn, src);
    // The remote CSeq of this leg, the local CSeq of the other (and a target refresh) changed.
    if (Call* c = find(id); c != nullptr && c->state == CallState::Established) {
        persist(*c);
    }
}

void B2bua::relayInDialog(Call& call, LegId from, const sip::Message& req, ServerId txn,
                          const transaction::Target& src, const Extra& extraIn) {
    Extra extra = extraIn;
    if (std::optional<SessionExpires> se = sessionExpiresOf(req)) {
        extra.emplace_back("Session-Expires", toHeaderValue(*se));  // RFC 4028 §7.4 refresh
    }
    if (std::optional<std::chrono::seconds> minSe = minSeOf(req)) {
        extra.emplace_back("Min-SE", std::to_string(minSe->count()));
    }
    if (listsOption(req, sip::HeaderId::Supported, "timer")) {
        extra.emplace_back("Supported", "timer");
    }
    LegId to = other(from);
    Leg& target = call.leg(to);
    std::shared_ptr<ResponseBase> base = responseBaseOf(req, src);
    if (target.remoteTag.empty()) {
        // No dialog on the other leg yet (no tagged response): nothing to send it in.
        respond(call, from, txn, *base, 500, "No Dialog Yet", {{"Retry-After", "1"}});
        return;
    }
    std::string body;
    std::string_view type = "application/sdp";
    bool offer = false;
    if (!req.body().empty()) {
        if (isSdp(req.contentType())) {
            CallMedia::Result res = call.media->relay(req.body(), from);
            if (!res.body) {
                respond(call, from, txn, *base, res.error->status, res.error->reason);
                return;
            }
            body = std::move(*res.body);
            offer = true;
        } else if (carriesSession(req.method())) {
            // Only SDP is rewritten: any other body of a session request (multipart with SDP
            // inside, say) could carry the far side's addresses, so it is refused.
            ++stats_.rejectedMedia;
            respond(call, from, txn, *base, 415, {}, {{"Accept", "application/sdp"}});
            return;
        } else {
            body = std::string(req.body());  // INFO payloads and the like: no addresses
            type = req.contentType();
        }
    }
    if (req.method() == sip::Method::Invite) {
        call.inviteInProgress = true;
    } else if (req.method() == sip::Method::Update && offer) {
        call.offerPending = true;
    }
    ++stats_.inDialogRelayed;
    std::uint64_t id = call.id;
    bool invite = req.method() == sip::Method::Invite;
    bool update = req.method() == sip::Method::Update;
    transaction::Target source = src;
    sendInDialog(
        call, to, req.methodText(), Body{body, type},
        [this, id, from, txn, base, offer, source](const sip::Message& r) {
            onRelayedResponse(id, from, txn, base, offer, source, r);
        },
        extra, &req,
        [this, id, from, txn, base, invite, update](int code) {
            Call* c = find(id);
            if (c == nullptr) {
                return;
            }
            if (invite) {
                c->inviteInProgress = false;
            }
            if (update) {
                c->offerPending = false;
            }
            respond(*c, from, txn, *base, code);
        });
}

void B2bua::onRelayedResponse(std::uint64_t callId, LegId from, ServerId txn,
                              const std::shared_ptr<ResponseBase>& base, bool offerSent,
                              const transaction::Target& src, const sip::Message& r) {
    Call* call = find(callId);
    int code = r.statusCode();
    if (call == nullptr || code == 100) {
        return;
    }
    LegId to = other(from);
    Leg& peer = call->leg(to);
    sip::Method method = r.cseq().methodId;
    if (method == sip::Method::Invite && code >= 200) {
        call->inviteInProgress = false;
    }
    if (method == sip::Method::Update && code >= 200) {
        call->offerPending = false;
    }
    if (method == sip::Method::Invite && code >= 200 && code < 300) {
        int toIndex = static_cast<int>(to);
        if (call->ackSentCseq[toIndex] == r.cseq().number && !call->ackSent[toIndex].empty()) {
            send_(peer.target, call->ackSent[toIndex]);  // retransmitted 2xx: ACK again
            return;
        }
        if (call->pendingAck && call->pendingAck->forwardAck &&
            call->pendingAck->forwardCseq == r.cseq().number) {
            return;  // retransmitted 2xx while the answer (the other leg's ACK) is awaited
        }
        if (!r.contacts().empty()) {
            peer.remoteTarget = std::string(r.contacts().front().uri.raw);  // §12.2.1.2
        }
    }
    std::string body;
    std::string_view type = "application/sdp";
    if (!r.body().empty()) {
        if (isSdp(r.contentType())) {
            CallMedia::Result res = call->media->relay(r.body(), to);
            if (res.body) {
                body = std::move(*res.body);
            }
        } else if (!carriesSession(method)) {
            body = std::string(r.body());  // not SDP, not a session method: relayed as is
            type = r.contentType();
        }
    }
    Extra extra;
    if (code >= 200 && code < 300 &&
        (method == sip::Method::Invite || method == sip::Method::Update)) {
        if (std::optional<SessionExpires> se = sessionExpiresOf(r)) {
            extra.emplace_back("Session-Expires", toHeaderValue(*se));
            extra.emplace_back("Require", "timer");
        }
        refreshSession(*call, r);  // RFC 4028 §10: a refresh restarts the session timer
    } else if (code == 422) {
        if (std::optional<std::chrono::seconds> minSe = minSeOf(r)) {
            extra.emplace_back("Min-SE", std::to_string(minSe->count()));
        }
    }
    std::string bytes =
        buildResponse(call->leg(from), *base, code, r.reasonPhrase(), &r, Body{body, type}, extra);
    if (method == sip::Method::Invite && code >= 200 && code < 300) {
        // §13.2.2.4: ACK now when our re-INVITE carried the offer; otherwise the ACK carries
        // the answer and waits for the ACK of the leg that sent the re-INVITE.
        if (offerSent) {
            sendAck(*call, to, r.cseq().number, {});
        }
        transactions_.respond(txn, code, bytes);
        startAckWait(*call, from, base->cseqNumber, txn, std::move(bytes), !offerSent,
                     r.cseq().number, src);
        return;
    }
    transactions_.respond(txn, code, std::move(bytes));
    if (code >= 200 && code < 300 && method == sip::Method::Update &&
        call->state == CallState::Established) {
        persist(*call);  // RFC 3311: the answer changed the media and refreshed the target
    }
}

void B2bua::onBye(Call& call, LegId from, const sip::Message& req, ServerId txn,
                  const transaction::Target& src) {
    std::shared_ptr<ResponseBase> base = responseBaseOf(req, src);
    respond(call, from, txn, *base, 200);
    LegId to = other(from);
    if (call.leg(to).confirmed) {
        sendInDialog(call, to, "BYE", Body{}, nullptr, {}, &req);
    } else if (to == LegId::B && call.bInvite != ClientId::None) {
        call.cancelled = true;
        if (call.bProvisional) {
            sendCancel(call);
        }
    }
    if (call.state == CallState::Calling && from == LegId::B) {
        // The callee ended its early dialog: the caller's INVITE fails.
        respond(call, LegId::A, call.aInvite, *call.aInviteBase, 480);
        ++stats_.callsFailed;
        endCall(call.id, 480, "callee_bye");
        return;
    }
    endCall(call.id, call.cdr.answer ? 200 : 487, from == LegId::A ? "caller_bye" : "callee_bye");
}

void B2bua::onPrack(Call& call, const sip::Message& req, ServerId txn,
                    const transaction::Target& src) {
    // RFC 3262 §3, §7.2: RAck names our RSeq on A; B is PRACKed with its own RSeq.
    std::uint32_t rseqA = 0;
    const sip::Header* rack = req.find(sip::HeaderId::RAck);
    auto it = call.rseqMap.end();
    if (rack != nullptr && parseRack(rack->value, rseqA)) {
        it = call.rseqMap.find(rseqA);
    }
    if (it == call.rseqMap.end()) {
        std::shared_ptr<ResponseBase> base = responseBaseOf(req, src);
        respond(call, LegId::A, txn, *base, 481);
        return;
    }
    if (rseqA == call.pendingReliableRseq) {
        timers_.cancel(call.reliableTimer);
        call.reliableTimer = transaction::kNoTimer;
        call.pendingReliable.clear();
    }
    std::string rackB =
        std::to_string(it->second) + " " + std::to_string(call.bInviteCseq) + " INVITE";
    relayInDialog(call, LegId::A, req, txn, src, Extra{{"RAck", rackB}});
}

void B2bua::onAck(const sip::Message& ack) {
    LegId from = LegId::A;
    Call* call = findDialog(ack.callId(), ack.to().tag(), from);
    if (call == nullptr || !call->pendingAck || call->pendingAck->uasLeg != from ||
        call->pendingAck->cseq != ack.cseq().number) {
        return;  // a retransmitted ACK, or one for nothing we wait for
    }
    PendingAck pending = std::move(*call->pendingAck);
    call->pendingAck.reset();
    timers_.cancel(pending.timer);
    if (pending.forwardAck) {
        // The 2xx carried the offer: this ACK carries the answer (RFC 3264 §5), which the
        // other leg's ACK carries on.
        std::string body;
        if (!ack.body().empty() && isSdp(ack.contentType())) {
            CallMedia::Result res = call->media->relay(ack.body(), from);
            if (res.body) {
                body = std::move(*res.body);
            }
        }
        sendAck(*call, other(from), pending.forwardCseq, body);
    }
    if (call->state == CallState::Answered) {
        call->state = CallState::Established;
    }
    // Established (the first ACK), or a re-INVITE completed (media, target, session timer).
    if (call->state == CallState::Established) {
        persist(*call);
    }
}

void B2bua::startAckWait(Call& call, LegId uasLeg, std::uint32_t cseq, ServerId txn,
                         std::string response, bool forwardAck, std::uint32_t forwardCseq,
                         const transaction::Target& responseTarget) {
    if (call.pendingAck) {
        timers_.cancel(call.pendingAck->timer);
    }
    PendingAck& p = call.pendingAck.emplace();
    p.uasLeg = uasLeg;
    p.cseq = cseq;
    p.txn = txn;
    p.response = std::move(response);
    p.forwardAck = forwardAck;
    p.forwardCseq = forwardCseq;
    p.responseTarget = responseTarget;
    // §13.3.1.4: retransmit from T1 doubling up to T2 (unreliable transports); give up after
    // 64*T1 in any case.
    p.interval =
        responseTarget.reliable ? transactions_.config().timeout64() : transactions_.config().t1;
    std::uint64_t id = call.id;
    p.timer = timers_.schedule(p.interval, [this, id] { onAckTimer(id); });
}

void B2bua::onAckTimer(std::uint64_t callId) {
    Call* call = find(callId);
    if (call == nullptr || !call->pendingAck) {
        return;
    }
    PendingAck& p = *call->pendingAck;
    p.timer = transaction::kNoTimer;
    p.elapsed += p.interval;
    if (p.elapsed >= transactions_.config().timeout64()) {
        // §13.3.1.4: no ACK: the dialog is confirmed but must be ended with BYE.
        ++stats_.ackTimeouts;
        call->pendingAck.reset();
        byeBoth(*call, "ack_timeout");
        return;
    }
    send_(p.responseTarget, p.response);
    p.interval = std::min(2 * p.interval, transactions_.config().t2);
    p.timer = timers_.schedule(p.interval, [this, callId] { onAckTimer(callId); });
}

void B2bua::sendInDialog(Call& call, LegId leg, std::string_view method, const Body& body,
                         std::function<void(const sip::Message&)> onResponse, const Extra& extra,
                         const sip::Message* relayed, std::function<void(int)> onFailure) {
    Leg& l = call.leg(leg);
    std::uint32_t cseq = ++l.localCseq;
    std::string bytes = buildRequest(l, method, cseq, ids_.branch(), relayed, body, extra);
    transaction::ClientCallbacks cb;
    if (onResponse) {
        cb.onResponse = std::move(onResponse);
    }
    if (onFailure) {
        cb.onTimeout = [onFailure] { onFailure(408); };
        cb.onTransportError = [onFailure] { onFailure(503); };
    }
    transaction::StartResult res = transactions_.sendRequest(std::move(bytes), l.target, cb);
    if (!res.ok()) {
        ++stats_.sendFailures;
        if (cb.onTransportError) {
            cb.onTransportError();
        }
    }
}

}  // namespace sbc::b2bua
