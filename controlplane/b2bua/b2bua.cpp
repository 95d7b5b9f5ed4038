// The B2BUA: call set-up (initial INVITE, responses, failover, CANCEL, timer C) and teardown.
// In-dialog requests are in in_dialog.cpp, message building in messages.cpp.
#include "controlplane/b2bua/b2bua.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

#include "controlplane/b2bua/destinations.hpp"
#include "controlplane/b2bua/digest.hpp"
#include "controlplane/b2bua/header_filter.hpp"
#include "controlplane/b2bua/messages.hpp"
#include "controlplane/b2bua/session_timer.hpp"
#include "controlplane/sip/chars.hpp"

namespace sbc::b2bua {

namespace {

using transaction::ServerResult;

// Reliable provisionals relayed per call (RFC 3262); beyond it they are PRACKed by sbc itself
// and relayed unreliably, so a peer cannot grow the RSeq map without bound.
constexpr size_t kMaxReliableProvisionals = 16;

std::string dialogKey(std::string_view callId, std::string_view localTag) {
    std::string key;
    key.reserve(callId.size() + localTag.size() + 1);
    key.append(callId).push_back('\n');
    key.append(localTag);
    return key;
}

bool isSdp(std::string_view contentType) {
    return sip::chars::iequals(contentType, "application/sdp");
}

// Route set of a UAC from a 2xx/1xx (§12.1.2): Record-Route in reverse order.
std::vector<std::string> reversedRecordRoute(const sip::Message& r) {
    std::vector<std::string> out;
    for (auto it = r.recordRoutes().rbegin(); it != r.recordRoutes().rend(); ++it) {
        out.emplace_back(it->raw);
    }
    return out;
}

}  // namespace

B2bua::B2bua(transaction::TransactionLayer& transactions, transaction::TimerService& timers,
             SendFn send, media::MediaService& media, PolicyFn policy, CdrWriter* cdr,
             B2buaConfig config)
    : transactions_(transactions),
      timers_(timers),
      send_(std::move(send)),
      media_(media),
      policy_(std::move(policy)),
      cdr_(cdr),
      config_(std::move(config)) {}

B2bua::~B2bua() {
    for (auto& [id, call] : calls_) {
        timers_.cancel(call->timerC);
        timers_.cancel(call->failoverTimer);
        timers_.cancel(call->durationTimer);
        timers_.cancel(call->sessionTimer);
        timers_.cancel(call->reliableTimer);
        if (call->pendingAck) {
            timers_.cancel(call->pendingAck->timer);
        }
        call->media->release();
    }
}

bool B2bua::claims(const sip::Message& request) noexcept {
    switch (request.method()) {
        case sip::Method::Invite:
        case sip::Method::Cancel:
        case sip::Method::Ack:
            return true;
        default:
            return !request.to().tag().empty();
    }
}

void B2bua::onRequest(const sip::Message& req, const transaction::ServerResult& result,
                      const transaction::Target& source) {
    if (req.method() == sip::Method::Ack) {
        if (result.kind == ServerResult::Kind::AckForUnknown) {
            onAck(req);
        }
        return;
    }
    if (result.kind != ServerResult::Kind::New) {
        return;  // retransmissions were absorbed by the transaction layer
    }
    if (req.method() == sip::Method::Cancel) {
        onCancel(req, result.id, source);
    } else if (!req.to().tag().empty()) {
        onInDialog(req, result.id, source);
    } else if (req.method() == sip::Method::Invite) {
        onInitialInvite(req, result.id, source);
    } else {
        reject(req, result.id, source, 481);
    }
}

std::uint32_t B2bua::trunkCalls(const std::string& trunkName) const noexcept {
    auto it = trunkCalls_.find(trunkName);
    return it != trunkCalls_.end() ? it->second : 0;
}

void B2bua::noteFinalResponse(const transaction::Target& caller, int code) {
    if (!finalResponse_ || code < 300) {
        return;
    }
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(caller.address, ec);
    if (!ec) {
        finalResponse_(address, code);
    }
}

Call* B2bua::find(std::uint64_t callId) {
    auto it = calls_.find(callId);
    return it != calls_.end() ? it->second.get() : nullptr;
}

Call* B2bua::findDialog(std::string_view callId, std::string_view localTag, LegId& leg) {
    auto it = dialogs_.find(dialogKey(callId, localTag));
    if (it == dialogs_.end()) {
        return nullptr;
    }
    leg = it->second.second;
    return find(it->second.first);
}

void B2bua::indexDialog(const Call& call, LegId leg) {
    const Leg& l = call.leg(leg);
    dialogs_[dialogKey(l.callId, l.localTag)] = {call.id, leg};
}

// ---- initial INVITE ---------------------------------------------------------------------------

void B2bua::onInitialInvite(const sip::Message& req, ServerId txn, const transaction::Target& src) {
    ++stats_.callsAttempted;
    const SideListener* in = listenerById(src.listenerId);
    policy::PolicyPtr pol = policy_ ? policy_() : nullptr;
    if (in == nullptr || pol == nullptr) {
        reject(req, txn, src, 503);
        return;
    }
    // §16.3 step 3 (a B2BUA forwarding a request keeps loops bounded the same way).
    if (req.maxForwards() == 0) {
        ++stats_.rejectedLoop;
        reject(req, txn, src, 483);
        return;
    }
    if (calls_.size() >= config_.maxCalls) {
        ++stats_.rejectedOverload;
        reject(req, txn, src, 503, {}, {{"Retry-After", "5"}});
        return;
    }
    boost::system::error_code ec;
    auto sourceAddress = boost::asio::ip::make_address(src.address, ec);
    const policy::Trunk* inTrunk =
        ec ? nullptr : pol->inboundTrunk(sourceAddress, src.port, in->transport);
    if (inTrunk == nullptr) {
        ++stats_.rejectedNoTrunk;
        reject(req, txn, src, 403);
        return;
    }
    std::string callee = req.requestUri().userUnescaped();
    const policy::Route* route = pol->route(*inTrunk, callee);
    const policy::Trunk* outTrunk = route != nullptr ? pol->trunk(route->targetTrunk) : nullptr;
    if (outTrunk == nullptr) {
        ++stats_.rejectedNoRoute;
        reject(req, txn, src, 404);
        return;
    }
    // Trunk limits (policy): concurrent calls counted on both the inbound and the target trunk.
    auto full = [this](const policy::Trunk& t) {
        return t.maxConcurrentCalls != 0 && trunkCalls(t.name) >= t.maxConcurrentCalls;
    };
    if (full(*inTrunk) || full(*outTrunk)) {
        ++stats_.rejectedTrunkLimit;
        reject(req, txn, src, 503, "Trunk Busy", {{"Retry-After", "5"}});
        return;
    }
    std::vector<const policy::Destination*> order =
        orderDestinations(*outTrunk, ids_.number(), health_);
    if (order.empty()) {
        ++stats_.rejectedNoRoute;
        reject(req, txn, src, 503, "No Destination Available");
        return;
    }
    if (!req.body().empty() && !isSdp(req.contentType())) {
        reject(req, txn, src, 415, {}, {{"Accept", "application/sdp"}});
        return;
    }
    // RFC 4028 §8.1.1: an interval below ours is refused when the caller can do better.
    std::optional<SessionExpires> se = sessionExpiresOf(req);
    if (se && se->interval < config_.minSessionExpires &&
        listsOption(req, sip::HeaderId::Supported, "timer")) {
        ++stats_.rejectedIntervalTooSmall;
        reject(req, txn, src, 422, {},
               {{"Min-SE", std::to_string(config_.minSessionExpires.count())}});
        return;
    }

    auto owned = std::make_unique<Call>();
    Call& call = *owned;
    call.id = nextCall_++;
    call.policy = pol;
    call.inTrunk = inTrunk;
    call.outTrunk = outTrunk;
    call.destinations = std::move(order);

    // §12.1.1: the UAS side of the inbound dialog.
    Leg& a = call.a;
    a.callId = std::string(req.callId());
    a.remoteTag = std::string(req.from().tag());
    a.localTag = ids_.tag();
    a.remoteUri = withoutTag(req.from());
    a.localUri = withoutTag(req.to());
    a.remoteCseq = req.cseq().number;
    a.remoteCseqSet = true;
    a.remoteTarget =
        std::string(req.contacts().empty() ? req.from().uri.raw : req.contacts().front().uri.raw);
    for (const sip::NameAddr& rr : req.recordRoutes()) {
        a.routeSet.emplace_back(rr.raw);
    }
    a.target = src;  // NAT fixup: the observed source, not the Contact
    a.listener = in;
    a.trunk = inTrunk;
    a.supports100rel = listsOption(req, sip::HeaderId::Supported, "100rel") ||
                       listsOption(req, sip::HeaderId::Require, "100rel");
    call.aInvite = txn;
    call.aInviteBase = responseBaseOf(req, src);
    call.aInviteBytes = std::string(req.raw().substr(0, req.raw().size()));

    // §12.1.2: the UAC side of the outbound dialog, all identifiers fresh.
    Leg& b = call.b;
    b.callId = ids_.callId();
    b.localTag = ids_.tag();
    b.trunk = outTrunk;

    call.media = std::make_unique<CallMedia>(
        media_, LegMediaPolicy{inTrunk->side, inTrunk->stripIce, inTrunk->latchMedia},
        LegMediaPolicy{outTrunk->side, outTrunk->stripIce, outTrunk->latchMedia}, ids_.number());
    if (!req.body().empty()) {
        call.offerInInvite = true;
        CallMedia::Result res = call.media->relay(req.body(), LegId::A);
        if (!res.body) {
            ++stats_.rejectedMedia;
            call.media->release();
            reject(req, txn, src, res.error->status, res.error->reason);
            return;
        }
        call.bOffer = std::move(*res.body);
    }

    call.cdr.id = call.id;
    call.cdr.aCallId = a.callId;
    call.cdr.bCallId = b.callId;
    call.cdr.fromTrunk = inTrunk->name;
    call.cdr.toTrunk = outTrunk->name;
    call.cdr.caller = req.from().uri.userUnescaped();
    call.cdr.callee = callee;
    call.cdr.start = clock_();

    std::uint64_t id = call.id;
    ++trunkCalls_[inTrunk->name];
    if (outTrunk != inTrunk) {
        ++trunkCalls_[outTrunk->name];
    }
    calls_.emplace(id, std::move(owned));
    invites_[static_cast<std::uint64_t>(txn)] = id;
    indexDialog(call, LegId::A);
    indexDialog(call, LegId::B);
    stats_.callsActive = calls_.size();
    call.timerC = timers_.schedule(config_.timerC, [this, id] { onTimerC(id); });
    startAttempt(call);
}

void B2bua::startAttempt(Call& call) {
    sip::Message aInvite = sip::Message::parse(call.aInviteBytes);
    const sip::Uri& callerUri = aInvite.from().uri;
    std::string callee = call.redirectUser.empty() ? call.cdr.callee : call.redirectUser;
    while (call.destIndex < call.destinations.size()) {
        const policy::Destination& dest = *call.destinations[call.destIndex];
        bool ipv6 = dest.host.find(':') != std::string::npos;
        const SideListener* listener = listenerFor(call.outTrunk->side, dest.transport, ipv6);
        if (listener == nullptr) {
            ++call.destIndex;
            continue;
        }
        Leg& b = call.b;
        b.listener = listener;
        b.target = transaction::Target{listener->id, 0, dest.host, dest.port,
                                       dest.transport != policy::Transport::Udp};
        std::string hp = hostPort(dest.host, dest.port);
        b.remoteTarget = "sip:" + callee + "@" + hp;
        if (dest.transport != policy::Transport::Udp) {
            b.remoteTarget +=
                dest.transport == policy::Transport::Tcp ? ";transport=tcp" : ";transport=tls";
        }
        b.remoteUri = "<sip:" + callee + "@" + hp + ">";
        std::string callerUser = std::string(callerUri.user);
        b.localUri = std::string(aInvite.from().displayName);
        if (!b.localUri.empty()) {
            b.localUri += " ";
        }
        b.localUri += "<sip:" + (callerUser.empty() ? std::string("anonymous") : callerUser) + "@" +
                      hostPort(listener->address, listener->port) + ">";
        b.remoteTag.clear();
        b.routeSet.clear();
        call.bInviteCseq = ++b.localCseq;
        ++call.attempt;
        call.bProvisional = false;
        call.bAnyResponse = false;

        Extra extra;
        std::string supported;
        if (call.a.supports100rel) {
            supported = "100rel";
        }
        if (listsOption(aInvite, sip::HeaderId::Supported, "timer")) {
            supported += supported.empty() ? "timer" : ", timer";
        }
        if (!supported.empty()) {
            extra.emplace_back("Supported", supported);
        }
        // RFC 4028 §8: the interval and Min-SE travel on (raised to ours when below it).
        if (std::optional<SessionExpires> se = sessionExpiresOf(aInvite)) {
            se->interval = std::max(se->interval, config_.minSessionExpires);
            extra.emplace_back("Session-Expires", toHeaderValue(*se));
        }
        if (std::optional<std::chrono::seconds> minSe = minSeOf(aInvite)) {
            extra.emplace_back("Min-SE",
                               std::to_string(std::max(*minSe, config_.minSessionExpires).count()));
        }
        if (listsOption(aInvite, sip::HeaderId::Require, "100rel")) {
            extra.emplace_back("Require", "100rel");
        }
        extra.emplace_back("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK, INFO");
        if (call.authDestIndex != call.destIndex) {
            call.authTried = false;
            call.authHeader.clear();
            call.authValue.clear();
        }
        if (!call.authHeader.empty()) {
            extra.emplace_back(call.authHeader, call.authValue);
        }
        int maxForwards = aInvite.maxForwards() < 0 ? 70 : aInvite.maxForwards() - 1;
        std::string bytes = buildRequest(b, "INVITE", call.bInviteCseq, ids_.branch(), &aInvite,
                                         Body{call.bOffer}, extra, maxForwards);
        call.bInviteBytes = bytes;
        call.cdr.destination = hp;

        std::uint64_t id = call.id;
        std::uint32_t attempt = call.attempt;
        transaction::ClientCallbacks cb;
        cb.onResponse = [this, id, attempt](const sip::Message& r) {
            onOutboundResponse(id, attempt, r);
        };
        cb.onTimeout = [this, id, attempt] { onOutboundFailure(id, attempt, 408); };
        cb.onTransportError = [this, id, attempt] { onOutboundFailure(id, attempt, 503); };
        transaction::StartResult started =
            transactions_.sendRequest(std::move(bytes), b.target, std::move(cb));
        if (!started.ok()) {
            ++stats_.sendFailures;
            ++call.destIndex;
            continue;
        }
        call.bInvite = started.id;
        if (call.destIndex + 1 < call.destinations.size()) {
            call.failoverTimer =
                timers_.schedule(call.outTrunk->failoverTimeout,
                                 [this, id, attempt] { onFailoverTimer(id, attempt); });
        }
        return;
    }
    onFinalFailure(call, call.lastFailure != 0 ? call.lastFailure : 503, call.lastFailureReason,
                   nullptr);
}

void B2bua::onFailoverTimer(std::uint64_t callId, std::uint32_t attempt) {
    Call* call = find(callId);
    if (call == nullptr || call->attempt != attempt) {
        return;
    }
    call->failoverTimer = transaction::kNoTimer;
    if (call->bAnyResponse || call->cancelled) {
        return;
    }
    // The destination stayed silent for the trunk's failover time: give it up (no CANCEL
    // without a provisional, §9.1) and try the next one.
    ++stats_.failovers;
    ClientId old = call->bInvite;
    call->bInvite = ClientId::None;
    transactions_.terminate(old);
    ++call->destIndex;
    call->lastFailure = 408;
    call->lastFailureReason.clear();
    startAttempt(*call);
}

void B2bua::onOutboundResponse(std::uint64_t callId, std::uint32_t attempt, const sip::Message& r) {
    Call* call = find(callId);
    if (call == nullptr || call->attempt != attempt) {
        return;
    }
    call->bAnyResponse = true;
    timers_.cancel(call->failoverTimer);
    call->failoverTimer = transaction::kNoTimer;
    int code = r.statusCode();
    if (code < 200) {
        onProvisional(*call, r);
        return;
    }
    if (code < 300) {
        onAnswer(*call, r);
        return;
    }
    call->bInvite = ClientId::None;
    if (call->state != CallState::Calling) {
        return;
    }
    if (call->cancelled) {
        endCall(callId, 487, "cancelled");
        return;
    }
    const policy::Trunk& trunk = *call->outTrunk;
    if ((code == 401 || code == 407) && answerChallenge(*call, r)) {
        return;
    }
    if (code >= 300 && code < 400 && trunk.redirects == policy::RedirectMode::Follow &&
        followRedirect(*call, r)) {
        return;
    }
    bool failover = code < 600 && std::find(trunk.failoverCodes.begin(), trunk.failoverCodes.end(),
                                            code) != trunk.failoverCodes.end();
    if (failover && call->destIndex + 1 < call->destinations.size()) {
        ++stats_.failovers;
        ++call->destIndex;
        call->lastFailure = code;
        call->lastFailureReason = std::string(r.reasonPhrase());
        startAttempt(*call);
        return;
    }
    onFinalFailure(*call, code, r.reasonPhrase(), &r);
}

bool B2bua::followRedirect(Call& call, const sip::Message& r) {
    // RFC 3261 §8.1.3.4: the Contacts of a 3xx are new targets, tried before what was left.
    // Only IP-literal SIP URIs are followed (no DNS here), at most maxRedirects times a call.
    if (call.redirects >= config_.maxRedirects) {
        return false;
    }
    std::vector<const policy::Destination*> added;
    std::string user;
    for (const sip::NameAddr& c : r.contacts()) {
        const sip::Uri& u = c.uri;
        boost::system::error_code ec;
        std::string host(u.hostAddress());
        boost::asio::ip::make_address(host, ec);
        if (!u.isSip() || ec || added.size() >= 4) {
            continue;
        }
        policy::Destination d;
        d.host = host;
        d.port = u.port != 0 ? u.port : 5060;
        d.transport = policy::Transport::Udp;
        if (const sip::Param* t = u.param("transport")) {
            if (sip::chars::iequals(t->value, "tcp")) {
                d.transport = policy::Transport::Tcp;
            } else if (sip::chars::iequals(t->value, "tls")) {
                d.transport = policy::Transport::Tls;
            }
        }
        if (u.scheme == sip::Scheme::Sips) {
            d.transport = policy::Transport::Tls;
        }
        call.redirectTargets.push_back(std::move(d));
        added.push_back(&call.redirectTargets.back());
        if (user.empty()) {
            user = u.userUnescaped();
        }
    }
    if (added.empty()) {
        return false;
    }
    ++call.redirects;
    ++stats_.redirectsFollowed;
    if (!user.empty()) {
        call.redirectUser = user;
    }
    auto at = call.destinations.begin() + static_cast<long>(call.destIndex + 1);
    call.destinations.insert(at, added.begin(), added.end());
    ++call.destIndex;
    startAttempt(call);
    return true;
}

bool B2bua::answerChallenge(Call& call, const sip::Message& r) {
    // RFC 3261 §22.2: the request again with credentials, same Call-ID and From tag, CSeq + 1.
    // Only once per destination: a second challenge means the credentials are wrong.
    const policy::Trunk& trunk = *call.outTrunk;
    auto creds = config_.credentials.find(trunk.credentials);
    if (trunk.credentials.empty() || creds == config_.credentials.end() ||
        (call.authTried && call.authDestIndex == call.destIndex)) {
        ++stats_.authFailed;
        return false;
    }
    sip::HeaderId challengeId =
        r.statusCode() == 401 ? sip::HeaderId::WwwAuthenticate : sip::HeaderId::ProxyAuthenticate;
    std::vector<std::string_view> challenges;
    for (const sip::Header& h : r.headers()) {
        if (h.id == challengeId) {
            challenges.push_back(h.value);
        }
    }
    std::optional<DigestChallenge> challenge = chooseChallenge(challenges);
    if (!challenge) {
        ++stats_.authFailed;
        return false;
    }
    sip::Message invite = sip::Message::parse(call.bInviteBytes);
    call.authHeader = r.statusCode() == 401 ? "Authorization" : "Proxy-Authorization";
    call.authValue = digestAuthorization(*challenge, creds->second, "INVITE",
                                         invite.requestUriText(), ids_.tag());
    call.authTried = true;
    call.authDestIndex = call.destIndex;
    ++stats_.authAnswered;
    startAttempt(call);
    return true;
}

void B2bua::onOutboundFailure(std::uint64_t callId, std::uint32_t attempt, int code) {
    Call* call = find(callId);
    if (call == nullptr || call->attempt != attempt) {
        return;
    }
    call->bInvite = ClientId::None;
    timers_.cancel(call->failoverTimer);
    call->failoverTimer = transaction::kNoTimer;
    if (call->state != CallState::Calling) {
        return;
    }
    if (call->cancelled) {
        endCall(callId, 487, "cancelled");
        return;
    }
    if (call->destIndex + 1 < call->destinations.size()) {
        ++stats_.failovers;
        ++call->destIndex;
        call->lastFailure = code;
        call->lastFailureReason.clear();
        startAttempt(*call);
        return;
    }
    onFinalFailure(*call, code, {}, nullptr);
}

void B2bua::onFinalFailure(Call& call, int code, std::string_view reason, const sip::Message* r) {
    // A trunk's challenge is not the caller's to answer: credentials for it are sbc's.
    if (code == 401 || code == 407) {
        code = 403;
        reason = {};
    }
    Extra extra;
    if (r != nullptr && code == 422) {
        if (std::optional<std::chrono::seconds> minSe = minSeOf(*r)) {
            extra.emplace_back("Min-SE", std::to_string(minSe->count()));
        }
    }
    if (r != nullptr && code >= 300 && code < 400) {
        // 3xx relayed by policy (RedirectMode::Relay): the targets are the point of it.
        for (const sip::NameAddr& c : r->contacts()) {
            extra.emplace_back("Contact", std::string(c.raw));
        }
    }
    std::string bytes = buildResponse(call.a, *call.aInviteBase, code, reason, r, Body{}, extra);
    transactions_.respond(call.aInvite, code, std::move(bytes));
    noteFinalResponse(call.a.target, code);
    ++stats_.callsFailed;
    endCall(call.id, code, "failed");
}

void B2bua::onProvisional(Call& call, const sip::Message& r) {
    int code = r.statusCode();
    if (code == 100) {
        return;  // hop by hop: A got the server transaction's own 100
    }
    call.bProvisional = true;
    std::uint64_t id = call.id;
    // §16.6 item 11: timer C restarts with every provisional.
    timers_.cancel(call.timerC);
    call.timerC = timers_.schedule(config_.timerC, [this, id] { onTimerC(id); });
    if (call.cancelled) {
        if (!call.cancelSent) {
            sendCancel(call);
        }
        return;
    }
    Leg& b = call.b;
    if (!r.to().tag().empty() && b.remoteTag.empty()) {
        // §12.1.2: an early dialog with the first tag seen.
        b.remoteTag = std::string(r.to().tag());
        if (!r.contacts().empty()) {
            b.remoteTarget = std::string(r.contacts().front().uri.raw);
        }
        b.routeSet = reversedRecordRoute(r);
    }
    std::string sdp;
    if (!r.body().empty() && isSdp(r.contentType())) {
        CallMedia::Result res = call.media->relay(r.body(), LegId::B);
        if (res.body) {
            sdp = std::move(*res.body);
        }
    }
    bool reliable =
        r.find(sip::HeaderId::RSeq) != nullptr && listsOption(r, sip::HeaderId::Require, "100rel");
    if (reliable && std::string_view(r.to().tag()) == b.remoteTag) {
        std::uint32_t rseqB = 0;
        std::string_view v = r.find(sip::HeaderId::RSeq)->value;
        for (char c : v) {
            if (c >= '0' && c <= '9') {
                rseqB = rseqB * 10 + static_cast<std::uint32_t>(c - '0');
            }
        }
        if (call.a.supports100rel && call.rseqMap.size() < kMaxReliableProvisionals) {
            // RFC 3262 §3: our own RSeq space on A; A's PRACK is mapped back to B's RSeq.
            std::uint32_t rseqA = ++call.aRseq;
            call.rseqMap[rseqA] = rseqB;
            Extra extra{{"Require", "100rel"}, {"RSeq", std::to_string(rseqA)}};
            std::string bytes = buildResponse(call.a, *call.aInviteBase, code, r.reasonPhrase(), &r,
                                              Body{sdp}, extra);
            call.pendingReliable = bytes;
            call.pendingReliableRseq = rseqA;
            timers_.cancel(call.reliableTimer);
            call.reliableTimer = transaction::kNoTimer;
            if (!call.a.target.reliable) {
                call.reliableInterval = transactions_.config().t1;
                call.reliableTimer =
                    timers_.schedule(call.reliableInterval, [this, id] { onReliableTimer(id); });
            }
            transactions_.respond(call.aInvite, code, std::move(bytes));
            return;
        }
        // The caller does not do 100rel: sbc acknowledges B's reliable provisional itself.
        std::string rack =
            std::to_string(rseqB) + " " + std::to_string(call.bInviteCseq) + " INVITE";
        sendInDialog(call, LegId::B, "PRACK", Body{}, nullptr, Extra{{"RAck", rack}});
    }
    std::string bytes =
        buildResponse(call.a, *call.aInviteBase, code, r.reasonPhrase(), &r, Body{sdp});
    transactions_.respond(call.aInvite, code, std::move(bytes));
}

void B2bua::onReliableTimer(std::uint64_t callId) {
    Call* call = find(callId);
    if (call == nullptr) {
        return;
    }
    call->reliableTimer = transaction::kNoTimer;
    if (call->pendingReliable.empty() || call->state != CallState::Calling) {
        return;
    }
    // RFC 3262 §3: retransmitted with T1 doubling (no T2 cap) until PRACKed, for 64*T1.
    if (call->reliableInterval * 2 > transactions_.config().timeout64()) {
        call->pendingReliable.clear();
        return;
    }
    send_(call->a.target, call->pendingReliable);
    call->reliableInterval *= 2;
    call->reliableTimer =
        timers_.schedule(call->reliableInterval, [this, callId] { onReliableTimer(callId); });
}

void B2bua::onAnswer(Call& call, const sip::Message& r) {
    Leg& b = call.b;
    std::string_view tag = r.to().tag();
    if (b.confirmed) {
        if (tag == b.remoteTag) {
            // A retransmitted 2xx: our ACK was lost (§13.2.2.4), or A's ACK is still awaited.
            if (call.ackSentCseq[1] == r.cseq().number && !call.ackSent[1].empty()) {
                send_(b.target, call.ackSent[1]);
            }
            return;
        }
        // §13.2.2.4: a 2xx from another fork after the first: ACK it, then BYE it.
        ++stats_.forkedAnswersReleased;
        Leg fork = b;
        fork.remoteTag = std::string(tag);
        if (!r.contacts().empty()) {
            fork.remoteTarget = std::string(r.contacts().front().uri.raw);
        }
        fork.routeSet = reversedRecordRoute(r);
        std::string ack = buildAck(fork, r.cseq().number, {});
        send_(fork.target, ack);
        std::string bye =
            buildRequest(fork, "BYE", fork.localCseq + 1, ids_.branch(), nullptr, Body{});
        transactions_.sendRequest(std::move(bye), fork.target, {});
        return;
    }
    timers_.cancel(call.timerC);
    call.timerC = transaction::kNoTimer;
    timers_.cancel(call.reliableTimer);
    call.reliableTimer = transaction::kNoTimer;
    call.pendingReliable.clear();
    // §12.1.2: the dialog is confirmed with this response's tag, Contact and Record-Route.
    b.confirmed = true;
    b.remoteTag = std::string(tag);
    if (!r.contacts().empty()) {
        b.remoteTarget = std::string(r.contacts().front().uri.raw);
    }
    b.routeSet = reversedRecordRoute(r);
    std::uint32_t cseq = r.cseq().number;

    if (call.cancelled) {
        // The CANCEL/200 race (§9.1: a 2xx may still arrive): the call is over for A, so the
        // answered leg is ACKed and released.
        sendAck(call, LegId::B, cseq, {});
        sendInDialog(call, LegId::B, "BYE", Body{}, nullptr);
        endCall(call.id, 487, "cancelled");
        return;
    }

    std::string sdp;
    std::optional<SdpError> sdpError;
    if (!r.body().empty() && isSdp(r.contentType())) {
        CallMedia::Result res = call.media->relay(r.body(), LegId::B);
        if (res.body) {
            sdp = std::move(*res.body);
        } else {
            sdpError = res.error;
        }
    } else if (!call.offerInInvite) {
        sdpError = SdpError{488, "No Offer In Answer"};  // RFC 3261 §13.2.1: offer in the 2xx
    }
    if (sdpError) {
        sendAck(call, LegId::B, cseq, {});
        sendInDialog(call, LegId::B, "BYE", Body{}, nullptr);
        ++stats_.rejectedMedia;
        respond(call, LegId::A, call.aInvite, *call.aInviteBase, sdpError->status,
                sdpError->reason);
        ++stats_.callsFailed;
        endCall(call.id, sdpError->status, "media");
        return;
    }
    if (call.offerInInvite) {
        sendAck(call, LegId::B, cseq, {});
    }
    Extra extra;
    if (std::optional<SessionExpires> se = sessionExpiresOf(r)) {
        extra.emplace_back("Session-Expires", toHeaderValue(*se));
        extra.emplace_back("Require", "timer");
    }
    std::string bytes = buildResponse(call.a, *call.aInviteBase, r.statusCode(), r.reasonPhrase(),
                                      &r, Body{sdp}, extra);
    transactions_.respond(call.aInvite, r.statusCode(), bytes);
    refreshSession(call, r);
    call.a.confirmed = true;  // §12.1.1: sending the 2xx confirms the UAS's dialog
    call.state = CallState::Answered;
    call.cdr.answer = clock_();
    ++stats_.callsAnswered;
    startAckWait(call, LegId::A, call.aInviteBase->cseqNumber, call.aInvite, std::move(bytes),
                 !call.offerInInvite, cseq, call.a.target);
    if (config_.maxCallDuration.count() > 0) {
        call.durationDeadline = *call.cdr.answer + config_.maxCallDuration;
        scheduleDuration(call, config_.maxCallDuration);
    }
}

void B2bua::scheduleDuration(Call& call, std::chrono::milliseconds after) {
    std::uint64_t id = call.id;
    call.durationTimer = timers_.schedule(after, [this, id] {
        Call* c = find(id);
        if (c != nullptr) {
            c->durationTimer = transaction::kNoTimer;
            ++stats_.maxDurationReached;
            byeBoth(*c, "max_duration");
        }
    });
}

// ---- CANCEL and timer C -------------------------------------------------------------------------

void B2bua::onCancel(const sip::Message& req, ServerId txn, const transaction::Target& src) {
    std::optional<ServerId> invite = transactions_.findInviteForCancel(req);
    Call* call = nullptr;
    if (invite) {
        auto it = invites_.find(static_cast<std::uint64_t>(*invite));
        if (it != invites_.end()) {
            call = find(it->second);
        }
    }
    if (call == nullptr) {
        // §9.2: no matching transaction: 481. A matching one with no call left (answered
        // already): 200, and the CANCEL has no effect.
        reject(req, txn, src, invite ? 200 : 481);
        return;
    }
    std::shared_ptr<ResponseBase> base = responseBaseOf(req, src);
    respond(*call, LegId::A, txn, *base, 200);
    if (call->state != CallState::Calling || call->cancelled) {
        return;  // §9.2: the final response was sent already: no effect
    }
    // §9.2: the INVITE is answered 487; the outbound leg is cancelled (§9.1, once it has sent a
    // provisional; otherwise when the first one arrives).
    call->cancelled = true;
    ++stats_.callsCancelled;
    respond(*call, LegId::A, call->aInvite, *call->aInviteBase, 487);
    call->cdr.result = 487;
    if (call->bInvite == ClientId::None) {
        endCall(call->id, 487, "cancelled");
        return;
    }
    if (call->bProvisional) {
        sendCancel(*call);
    }
}

void B2bua::sendCancel(Call& call) {
    sip::Message invite = sip::Message::parse(call.bInviteBytes);
    if (!invite.ok() || invite.vias().empty()) {
        return;
    }
    // §9.1: Request-URI, Call-ID, To, From, CSeq number and the top Via of the INVITE, its
    // Route headers; method CANCEL.
    sip::MessageWriter w(512);
    w.requestLine("CANCEL", invite.requestUriText());
    w.header(sip::HeaderId::Via, invite.vias().front().raw);
    w.header(sip::HeaderId::MaxForwards, "70");
    for (const sip::Header& h : invite.headers()) {
        if (h.id == sip::HeaderId::Route) {
            w.header(sip::HeaderId::Route, h.value);
        }
    }
    w.header(sip::HeaderId::From, invite.find(sip::HeaderId::From)->value);
    w.header(sip::HeaderId::To, invite.find(sip::HeaderId::To)->value);
    w.header(sip::HeaderId::CallId, invite.callId());
    w.header(sip::HeaderId::CSeq, std::to_string(invite.cseq().number) + " CANCEL");
    w.header(sip::HeaderId::UserAgent, config_.userAgent);
    call.cancelSent = true;
    transactions_.sendRequest(w.finish(), call.b.target, {});
    // §9.1: no final response 64*T1 after the CANCEL: the INVITE is given up.
    std::uint64_t id = call.id;
    timers_.cancel(call.timerC);
    call.timerC =
        timers_.schedule(transactions_.config().timeout64(), [this, id] { onTimerC(id); });
}

void B2bua::onTimerC(std::uint64_t callId) {
    Call* call = find(callId);
    if (call == nullptr) {
        return;
    }
    call->timerC = transaction::kNoTimer;
    if (call->state != CallState::Calling) {
        return;
    }
    if (call->cancelled) {
        // CANCEL sent and still no final: give the INVITE up (§9.1).
        transactions_.terminate(call->bInvite);
        call->bInvite = ClientId::None;
        endCall(callId, 487, "cancelled");
        return;
    }
    // §16.6 item 11: timer C: the caller gets 408 and the outbound INVITE is cancelled.
    ++stats_.timerCFired;
    call->cancelled = true;
    respond(*call, LegId::A, call->aInvite, *call->aInviteBase, 408);
    call->cdr.result = 408;
    if (call->bProvisional && !call->cancelSent) {
        sendCancel(*call);  // re-arms the 64*T1 give-up
        return;
    }
    transactions_.terminate(call->bInvite);
    call->bInvite = ClientId::None;
    ++stats_.callsFailed;
    endCall(callId, 408, "timer_c");
}

// ---- session timers and media inactivity ----------------------------------------------------

void B2bua::refreshSession(Call& call, const sip::Message& ok) {
    std::optional<SessionExpires> se = sessionExpiresOf(ok);
    if (!se) {
        return;  // no session timer negotiated (or none in this refresh): nothing to watch
    }
    // RFC 4028 §10: refreshes travel end to end through sbc; if none arrives in time, the
    // session is over and sbc frees it like the non-refresher would (BYE).
    std::chrono::milliseconds after = expiryDeadline(se->interval);
    call.sessionInterval = se->interval;
    call.sessionRefresher = se->refresher;
    call.sessionExpires = clock_() + after;
    scheduleSessionExpiry(call, after);
}

void B2bua::scheduleSessionExpiry(Call& call, std::chrono::milliseconds after) {
    timers_.cancel(call.sessionTimer);
    std::uint64_t id = call.id;
    call.sessionTimer = timers_.schedule(after, [this, id] {
        Call* c = find(id);
        if (c != nullptr) {
            c->sessionTimer = transaction::kNoTimer;
            ++stats_.sessionExpired;
            byeBoth(*c, "session_expired");
        }
    });
}

void B2bua::onMediaIdle(media::SessionId session) {
    for (auto& [id, call] : calls_) {
        if (call->media->session() == session) {
            ++stats_.mediaTimeouts;
            if (call->state == CallState::Calling) {
                return;  // no media before the answer is normal
            }
            byeBoth(*call, "media_timeout");
            return;
        }
    }
}

// ---- teardown -----------------------------------------------------------------------------------

void B2bua::byeBoth(Call& call, std::string_view reason) {
    if (call.a.confirmed) {
        sendInDialog(call, LegId::A, "BYE", Body{}, nullptr);
    }
    if (call.b.confirmed) {
        sendInDialog(call, LegId::B, "BYE", Body{}, nullptr);
    }
    endCall(call.id, call.cdr.answer ? 200 : 408, reason);
}

void B2bua::endCall(std::uint64_t callId, int result, std::string_view reason) {
    auto it = calls_.find(callId);
    if (it == calls_.end()) {
        return;
    }
    Call& call = *it->second;
    call.state = CallState::Ended;
    timers_.cancel(call.timerC);
    timers_.cancel(call.failoverTimer);
    timers_.cancel(call.durationTimer);
    timers_.cancel(call.sessionTimer);
    timers_.cancel(call.reliableTimer);
    if (call.pendingAck) {
        timers_.cancel(call.pendingAck->timer);
    }
    if (call.bInvite != ClientId::None) {
        ClientId pending = call.bInvite;
        call.bInvite = ClientId::None;
        transactions_.terminate(pending);
    }
    call.cdr.end = clock_();
    call.cdr.result = result;
    call.cdr.reason = std::string(reason);
    // The CDR is written once the data plane has given its final counters.
    call.media->release([writer = cdr_, record = std::move(call.cdr)](
                            std::vector<media::MediaStats> stats) mutable {
        record.media = std::move(stats);
        if (writer != nullptr) {
            writer->write(record);
        }
    });
    for (const policy::Trunk* t :
         {call.inTrunk, call.outTrunk == call.inTrunk ? nullptr : call.outTrunk}) {
        if (t == nullptr) {
            continue;
        }
        if (auto tc = trunkCalls_.find(t->name); tc != trunkCalls_.end() && --tc->second == 0) {
            trunkCalls_.erase(tc);
        }
    }
    if (call.persisted && store_ != nullptr) {
        store_->erase(call.id);
    }
    dialogs_.erase(dialogKey(call.a.callId, call.a.localTag));
    dialogs_.erase(dialogKey(call.b.callId, call.b.localTag));
    invites_.erase(static_cast<std::uint64_t>(call.aInvite));
    calls_.erase(it);
    ++stats_.callsEnded;
    stats_.callsActive = calls_.size();
}

}  // namespace sbc::b2bua
