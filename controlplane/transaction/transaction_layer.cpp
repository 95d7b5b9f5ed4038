#include "controlplane/transaction/transaction_layer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <utility>

#include "controlplane/sip/chars.hpp"
#include "controlplane/sip/serializer.hpp"

namespace sbc::transaction {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view kInvite = "INVITE";

// Keys are byte strings of length-prefixed fields, so that no field content can make two
// different tuples collide.
void appendField(std::string& key, std::string_view field) {
    auto n = static_cast<std::uint32_t>(field.size());
    char len[sizeof n];
    std::memcpy(len, &n, sizeof n);
    key.append(len, sizeof n);
    key.append(field);
}

// Tokens (branch, host) compare case-insensitively (RFC 3261 §7.3.1, §19.1.4).
void appendLowerField(std::string& key, std::string_view field) {
    appendField(key, field);
    for (size_t i = key.size() - field.size(); i < key.size(); ++i) {
        key[i] = sip::chars::lower(key[i]);
    }
}

void appendNumber(std::string& key, std::uint32_t v) {
    char buf[sizeof v];
    std::memcpy(buf, &v, sizeof v);
    key.append(buf, sizeof v);
}

// RFC 3261 §17.2.3, magic cookie present: branch + sent-by (host, port) + method, where the
// method of an ACK is INVITE (the caller passes "INVITE" for ACK and for the CANCEL lookup).
std::string serverKey3261(const sip::Via& top, std::string_view method) {
    std::string key;
    key.reserve(top.branch().size() + top.host.size() + method.size() + 20);
    key.push_back('3');
    appendLowerField(key, top.branch());
    appendLowerField(key, top.host);
    appendNumber(key, top.port);
    appendField(key, method);
    return key;
}

// RFC 3261 §17.2.3, RFC 2543 fallback (no magic cookie): Request-URI, To tag, From tag, Call-ID,
// CSeq (number and method) and top Via. The ACK is looked up with method INVITE and the To tag of
// the INVITE (absent for an initial INVITE); its own To tag is then compared with the tag of the
// response the transaction sent.
std::string serverKey2543(const sip::Message& m, std::string_view method, std::string_view toTag) {
    std::string key;
    key.reserve(m.requestUriText().size() + m.callId().size() + m.vias().front().raw.size() + 96);
    key.push_back('2');
    appendField(key, m.requestUriText());
    appendField(key, toTag);
    appendField(key, m.from().tag());
    appendField(key, m.callId());
    appendNumber(key, m.cseq().number);
    appendField(key, m.vias().front().raw);
    appendField(key, method);
    return key;
}

// RFC 3261 §17.1.3: top Via branch + CSeq method (CANCEL and INVITE share a branch).
std::string clientKey(std::string_view branch, std::string_view cseqMethod) {
    std::string key;
    key.reserve(branch.size() + cseqMethod.size() + 8);
    appendLowerField(key, branch);
    appendField(key, cseqMethod);
    return key;
}

// Limits for parsing what the layer itself sends or was given by the TU: not peer input, so only
// sanity limits (a TCP request may legitimately exceed the datagram limit).
sip::ParseLimits ownLimits(size_t size) {
    sip::ParseLimits limits;
    limits.maxMessageBytes = std::max(limits.maxMessageBytes, size);
    limits.maxHeaders = 1000;
    limits.maxHeaderBytes = std::max(limits.maxHeaderBytes, size);
    return limits;
}

}  // namespace

std::optional<std::string> buildAckForNon2xx(const sip::Message& invite,
                                             const sip::Message& response) {
    const sip::Header* from = invite.find(sip::HeaderId::From);
    const sip::Header* callId = invite.find(sip::HeaderId::CallId);
    const sip::Header* to = response.find(sip::HeaderId::To);
    if (from == nullptr || callId == nullptr || to == nullptr || invite.vias().empty() ||
        invite.requestUriText().empty()) {
        return std::nullopt;
    }
    sip::MessageWriter w(512);
    // §17.1.1.3: Request-URI, Call-ID, From and CSeq number equal to the request's; To equal to
    // the response's; one Via, equal to the request's top Via; the request's Route headers.
    w.requestLine("ACK", invite.requestUriText());
    w.header(sip::HeaderId::Via, invite.vias().front().raw);
    for (const sip::Header& h : invite.headers()) {
        if (h.id == sip::HeaderId::Route) {
            w.header(sip::HeaderId::Route, h.value);
        }
    }
    w.header(sip::HeaderId::From, from->value);
    w.header(sip::HeaderId::To, to->value);
    w.header(sip::HeaderId::CallId, callId->value);
    std::string cseq = std::to_string(invite.cseq().number);
    cseq.append(" ACK");
    w.header(sip::HeaderId::CSeq, cseq);
    w.header(sip::HeaderId::MaxForwards, "70");
    return w.finish();
}

TransactionLayer::TransactionLayer(TimerService& timers, const TimerConfig& config, SendFn send,
                                   ServerCallbacks serverCallbacks)
    : timers_(timers),
      config_(config),
      send_(std::move(send)),
      serverCallbacks_(std::move(serverCallbacks)) {}

TransactionLayer::~TransactionLayer() {
    // Timer callbacks capture `this`: none may outlive the layer.
    for (auto& [id, txn] : servers_) {
        timers_.cancel(txn.retransmitTimer);
        timers_.cancel(txn.stateTimer);
        timers_.cancel(txn.tryingTimer);
    }
    for (auto& [id, txn] : clients_) {
        timers_.cancel(txn.retransmitTimer);
        timers_.cancel(txn.stateTimer);
    }
}

// ---- server transactions ----------------------------------------------------------------------

TransactionLayer::ServerTxn* TransactionLayer::findServer(ServerTransactionId id) {
    auto it = servers_.find(id);
    return it != servers_.end() ? &it->second : nullptr;
}

const TransactionLayer::ServerTxn* TransactionLayer::findServer(ServerTransactionId id) const {
    auto it = servers_.find(id);
    return it != servers_.end() ? &it->second : nullptr;
}

TransactionLayer::ServerTxn* TransactionLayer::findServerByKey(const std::string& key) {
    auto it = serverIndex_.find(key);
    return it != serverIndex_.end() ? findServer(it->second) : nullptr;
}

const TransactionLayer::ServerTxn* TransactionLayer::findServerByKey(const std::string& key) const {
    auto it = serverIndex_.find(key);
    return it != serverIndex_.end() ? findServer(it->second) : nullptr;
}

TimerId TransactionLayer::scheduleServer(ServerTransactionId id, ServerTimer which,
                                         milliseconds d) {
    return timers_.schedule(d, [this, id, which] { onServerTimer(id, which); });
}

ServerResult TransactionLayer::onRequest(const sip::Message& request, const Target& source) {
    if (!request.ok() || !request.isRequest() || request.vias().empty()) {
        ++stats_.invalidRequests;  // a caller bug: nothing to match, nothing created
        return {ServerResult::Kind::Retransmission, ServerTransactionId::None};
    }
    if (request.method() == sip::Method::Ack) {
        return onAck(request);
    }
    const sip::Via& top = request.vias().front();
    bool rfc3261 = top.rfc3261Branch();
    std::string key = rfc3261 ? serverKey3261(top, request.methodText())
                              : serverKey2543(request, request.methodText(), request.to().tag());

    if (auto idx = serverIndex_.find(key); idx != serverIndex_.end()) {
        ServerTransactionId id = idx->second;
        ServerTxn* txn = findServer(id);
        ++stats_.retransmissionsAbsorbed;
        bool resend = false;
        switch (txn->state) {
            case ServerState::Trying:
                break;  // §17.2.2: discarded
            case ServerState::Proceeding:
                // §17.2.1, §17.2.2: the most recent provisional response is re-sent.
                resend = !txn->lastResponse.empty();
                break;
            case ServerState::Completed:
                resend = true;  // §17.2.1, §17.2.2: the final response is re-sent
                break;
            case ServerState::Confirmed:
                break;  // §17.2.1: absorbed
            case ServerState::Accepted:
                break;  // RFC 6026: absorbed, not passed to the TU; the UAS core resends the 2xx
        }
        if (resend) {
            ++stats_.responsesRetransmitted;
            send_(txn->source, txn->lastResponse);
        }
        return {ServerResult::Kind::Retransmission, id};
    }

    if (servers_.size() >= config_.maxTransactions) {
        ++stats_.overloadRejections;
        return {ServerResult::Kind::Overloaded, ServerTransactionId::None};
    }

    ServerTransactionId id{nextServerId_++};
    ServerTxn& txn = servers_[id];
    txn.id = id;
    txn.invite = request.method() == sip::Method::Invite;
    txn.state = txn.invite ? ServerState::Proceeding : ServerState::Trying;
    txn.source = source;
    txn.key = key;
    txn.rfc2543 = !rfc3261;
    serverIndex_.emplace(std::move(key), id);
    ++stats_.serverCreated;
    stats_.serverActive = servers_.size();

    if (txn.invite && config_.autoTrying) {
        // §17.2.1: 100 (Trying) unless the TU responds within 200 ms. §8.2.6.1: no To tag, the
        // Timestamp is copied. The top Via gets received/rport like any response (§18.2.1,
        // RFC 3581 §4).
        std::array<std::pair<std::string_view, std::string_view>, 1> extra;
        sip::ResponseSpec spec;
        spec.code = 100;
        if (const sip::Header* ts = request.find(sip::HeaderId::Timestamp); ts != nullptr) {
            extra[0] = {sip::canonicalName(sip::HeaderId::Timestamp), ts->value};
            spec.extra = extra;
        }
        std::string topVia;
        if (!source.address.empty()) {
            topVia = sip::viaWithReceived(top, source.address, source.port);
            spec.topVia = topVia;
        }
        if (std::optional<std::string> trying = sip::buildResponse(request, spec)) {
            txn.trying = std::move(*trying);
            txn.tryingTimer = scheduleServer(id, ServerTimer::Trying, config_.tryingDelay);
        }
    }
    return {ServerResult::Kind::New, id};
}

ServerResult TransactionLayer::onAck(const sip::Message& ack) {
    const sip::Via& top = ack.vias().front();
    ServerTxn* txn = nullptr;
    if (top.rfc3261Branch()) {
        // §17.2.3: the ACK matches the INVITE transaction with the same branch and sent-by.
        txn = findServerByKey(serverKey3261(top, kInvite));
    } else {
        // §17.2.3 (RFC 2543): as the INVITE, and the ACK's To tag equals the To tag of the
        // response the transaction sent. The INVITE's To tag was empty (initial INVITE) or equal
        // to the ACK's (re-INVITE).
        std::string_view ackTag = ack.to().tag();
        if (!ackTag.empty()) {
            for (std::string_view inviteTag : {std::string_view{}, ackTag}) {
                ServerTxn* t = findServerByKey(serverKey2543(ack, kInvite, inviteTag));
                if (t != nullptr && t->responseToTag == ackTag) {
                    txn = t;
                    break;
                }
            }
        }
    }
    if (txn == nullptr || !txn->invite) {
        // An ACK for a 2xx is its own transaction (§17): the TU (dialog) handles it.
        return {ServerResult::Kind::AckForUnknown, ServerTransactionId::None};
    }
    ServerTransactionId id = txn->id;
    switch (txn->state) {
        case ServerState::Completed:
            enterConfirmed(*txn);
            return {ServerResult::Kind::AckAbsorbed, id};
        case ServerState::Confirmed:
            ++stats_.retransmissionsAbsorbed;  // §17.2.1: ACK retransmissions absorbed
            return {ServerResult::Kind::AckAbsorbed, id};
        case ServerState::Accepted:
            // RFC 6026: an ACK (for the 2xx) matching an Accepted transaction goes to the TU.
            return {ServerResult::Kind::AckForUnknown, id};
        case ServerState::Trying:
        case ServerState::Proceeding:
            break;  // no final response sent yet: nothing to acknowledge, dropped
    }
    return {ServerResult::Kind::AckAbsorbed, id};
}

void TransactionLayer::enterConfirmed(ServerTxn& txn) {
    // §17.2.1: ACK in Completed -> Confirmed; timer G stops (H too); timer I = T4 unreliable,
    // 0 reliable.
    timers_.cancel(txn.retransmitTimer);
    timers_.cancel(txn.stateTimer);
    txn.retransmitTimer = kNoTimer;
    txn.stateTimer = kNoTimer;
    txn.state = ServerState::Confirmed;
    txn.lastResponse.clear();
    txn.lastResponse.shrink_to_fit();
    if (txn.source.reliable) {
        eraseServer(txn.id);
        return;
    }
    txn.stateTimer = scheduleServer(txn.id, ServerTimer::I, config_.t4);
}

bool TransactionLayer::respond(ServerTransactionId id, int statusCode, std::string bytes) {
    ServerTxn* txn = findServer(id);
    if (txn == nullptr || statusCode < 100 || statusCode > 699) {
        return false;
    }
    bool provisional = statusCode < 200;
    bool terminateNow = false;
    if (txn->invite) {
        switch (txn->state) {
            case ServerState::Proceeding:
                timers_.cancel(txn->tryingTimer);  // the TU responded (§17.2.1)
                txn->tryingTimer = kNoTimer;
                txn->trying.clear();
                txn->trying.shrink_to_fit();
                if (provisional) {
                    txn->lastResponse = std::move(bytes);
                } else if (statusCode < 300) {
                    // RFC 6026: 2xx -> Accepted; timer L = 64*T1 (all transports). INVITE
                    // retransmissions are absorbed from now on; the 2xx is not kept.
                    txn->state = ServerState::Accepted;
                    txn->lastResponse.clear();
                    txn->lastResponse.shrink_to_fit();
                    txn->stateTimer = scheduleServer(id, ServerTimer::L, config_.timeout64());
                    send_(txn->source, bytes);
                    return true;
                } else {
                    // §17.2.1: 300-699 -> Completed; timer G (unreliable only) from T1, timer H
                    // = 64*T1 (all transports).
                    txn->state = ServerState::Completed;
                    if (txn->rfc2543) {
                        sip::Message parsed = sip::Message::parse(bytes, ownLimits(bytes.size()));
                        txn->responseToTag = std::string(parsed.to().tag());
                    }
                    txn->lastResponse = std::move(bytes);
                    // H before G: should both fall due together, the timeout wins.
                    txn->stateTimer = scheduleServer(id, ServerTimer::H, config_.timeout64());
                    if (!txn->source.reliable) {
                        txn->interval = config_.t1;
                        txn->retransmitTimer = scheduleServer(id, ServerTimer::G, txn->interval);
                    }
                }
                break;
            case ServerState::Accepted:
                // RFC 6026: 2xx retransmissions from the TU (§13.3.1.4) are sent; nothing else.
                if (statusCode < 200 || statusCode >= 300) {
                    return false;
                }
                send_(txn->source, bytes);
                return true;
            case ServerState::Trying:
            case ServerState::Completed:
            case ServerState::Confirmed:
                return false;
        }
    } else {
        switch (txn->state) {
            case ServerState::Trying:
            case ServerState::Proceeding:
                // §17.2.2: 1xx -> Proceeding; final -> Completed, timer J = 64*T1 unreliable,
                // 0 reliable.
                txn->lastResponse = std::move(bytes);
                if (provisional) {
                    txn->state = ServerState::Proceeding;
                } else {
                    txn->state = ServerState::Completed;
                    if (txn->source.reliable) {
                        terminateNow = true;
                    } else {
                        txn->stateTimer = scheduleServer(id, ServerTimer::J, config_.timeout64());
                    }
                }
                break;
            case ServerState::Completed:
            case ServerState::Confirmed:
            case ServerState::Accepted:
                return false;  // §17.2.2: other finals in Completed are discarded
        }
    }
    send_(txn->source, txn->lastResponse);
    if (terminateNow) {
        eraseServer(id);
    }
    return true;
}

std::optional<ServerTransactionId> TransactionLayer::findInviteForCancel(
    const sip::Message& cancel) const {
    if (!cancel.ok() || !cancel.isRequest() || cancel.method() != sip::Method::Cancel ||
        cancel.vias().empty()) {
        return std::nullopt;
    }
    // §9.2: the CANCEL matches the INVITE transaction by the §17.2.3 rules with method INVITE.
    // Its Request-URI, Call-ID, From, To (tags included), CSeq number and top Via equal the
    // INVITE's (§9.1), so the RFC 2543 key is the INVITE's too.
    const sip::Via& top = cancel.vias().front();
    std::string key = top.rfc3261Branch() ? serverKey3261(top, kInvite)
                                          : serverKey2543(cancel, kInvite, cancel.to().tag());
    const ServerTxn* txn = findServerByKey(key);
    if (txn == nullptr || !txn->invite) {
        return std::nullopt;
    }
    return txn->id;
}

std::optional<ServerState> TransactionLayer::state(ServerTransactionId id) const {
    const ServerTxn* txn = findServer(id);
    if (txn == nullptr) {
        return std::nullopt;
    }
    return txn->state;
}

bool TransactionLayer::terminate(ServerTransactionId id) {
    if (findServer(id) == nullptr) {
        return false;
    }
    eraseServer(id);
    return true;
}

void TransactionLayer::onServerTimer(ServerTransactionId id, ServerTimer which) {
    ServerTxn* txn = findServer(id);
    if (txn == nullptr) {
        return;
    }
    switch (which) {
        case ServerTimer::G:
            // §17.2.1: re-send the final, double the interval up to T2.
            txn->retransmitTimer = kNoTimer;
            if (txn->state != ServerState::Completed) {
                return;
            }
            txn->interval = std::min(2 * txn->interval, config_.t2);
            txn->retransmitTimer = scheduleServer(id, ServerTimer::G, txn->interval);
            ++stats_.responsesRetransmitted;
            send_(txn->source, txn->lastResponse);
            return;
        case ServerTimer::H:
            // §17.2.1: no ACK within 64*T1 -> Terminated, the TU is informed.
            txn->stateTimer = kNoTimer;
            ++stats_.timeoutsH;
            eraseServer(id, true);
            return;
        case ServerTimer::I:  // §17.2.1: Confirmed -> Terminated
        case ServerTimer::J:  // §17.2.2: Completed -> Terminated
        case ServerTimer::L:  // RFC 6026: Accepted -> Terminated
            txn->stateTimer = kNoTimer;
            eraseServer(id);
            return;
        case ServerTimer::Trying:
            txn->tryingTimer = kNoTimer;
            if (txn->state == ServerState::Proceeding && txn->lastResponse.empty() &&
                !txn->trying.empty()) {
                txn->lastResponse = std::move(txn->trying);
                ++stats_.tryingSent;
                send_(txn->source, txn->lastResponse);
            }
            txn->trying.clear();
            txn->trying.shrink_to_fit();
            return;
    }
}

void TransactionLayer::eraseServer(ServerTransactionId id, bool timedOut) {
    auto it = servers_.find(id);
    if (it == servers_.end()) {
        return;
    }
    ServerTxn& txn = it->second;
    timers_.cancel(txn.retransmitTimer);
    timers_.cancel(txn.stateTimer);
    timers_.cancel(txn.tryingTimer);
    if (auto idx = serverIndex_.find(txn.key); idx != serverIndex_.end() && idx->second == id) {
        serverIndex_.erase(idx);
    }
    servers_.erase(it);
    ++stats_.serverTerminated;
    stats_.serverActive = servers_.size();
    // The layer is consistent again: the TU may call anything from here on.
    if (timedOut && serverCallbacks_.onTimeout) {
        serverCallbacks_.onTimeout(id);
    }
    if (serverCallbacks_.onTerminated) {
        serverCallbacks_.onTerminated(id);
    }
}

// ---- client transactions ----------------------------------------------------------------------

TransactionLayer::ClientTxn* TransactionLayer::findClient(ClientTransactionId id) {
    auto it = clients_.find(id);
    return it != clients_.end() ? &it->second : nullptr;
}

std::optional<ClientState> TransactionLayer::state(ClientTransactionId id) const {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
        return std::nullopt;
    }
    return it->second.state;
}

TimerId TransactionLayer::scheduleClient(ClientTransactionId id, ClientTimer which,
                                         milliseconds d) {
    return timers_.schedule(d, [this, id, which] { onClientTimer(id, which); });
}

StartResult TransactionLayer::sendRequest(std::string bytes, const Target& target,
                                          ClientCallbacks callbacks) {
    sip::Message parsed = sip::Message::parse(bytes, ownLimits(bytes.size()));
    return sendRequest(parsed, std::move(bytes), target, std::move(callbacks));
}

StartResult TransactionLayer::sendRequest(const sip::Message& parsed, std::string bytes,
                                          const Target& target, ClientCallbacks callbacks) {
    if (!parsed.ok() || !parsed.isRequest() || parsed.vias().empty()) {
        return {ClientTransactionId::None, StartError::BadRequest};
    }
    if (parsed.method() == sip::Method::Ack) {
        return {ClientTransactionId::None, StartError::AckRequest};
    }
    const sip::Via& top = parsed.vias().front();
    if (!top.rfc3261Branch()) {
        return {ClientTransactionId::None, StartError::NoRfc3261Branch};
    }
    std::string key = clientKey(top.branch(), parsed.methodText());
    if (clientIndex_.contains(key)) {
        return {ClientTransactionId::None, StartError::DuplicateBranch};
    }
    if (clients_.size() >= config_.maxTransactions) {
        ++stats_.overloadRejections;
        return {ClientTransactionId::None, StartError::Overloaded};
    }

    ClientTransactionId id{nextClientId_++};
    ClientTxn& txn = clients_[id];
    txn.id = id;
    txn.invite = parsed.method() == sip::Method::Invite;
    txn.state = txn.invite ? ClientState::Calling : ClientState::Trying;
    txn.target = target;
    txn.key = key;
    txn.callbacks = std::make_shared<const ClientCallbacks>(std::move(callbacks));
    clientIndex_.emplace(std::move(key), id);
    ++stats_.clientCreated;
    stats_.clientActive = clients_.size();

    // §17.1.1.2 / §17.1.2.2: the timeout timer (B / F = 64*T1) is scheduled before the
    // retransmission timer so that, should both fall due together, the timeout wins.
    txn.stateTimer =
        scheduleClient(id, txn.invite ? ClientTimer::B : ClientTimer::F, config_.timeout64());
    if (!target.reliable) {
        // Timer A / E start at T1 (unreliable transports only).
        txn.interval = config_.t1;
        txn.retransmitTimer =
            scheduleClient(id, txn.invite ? ClientTimer::A : ClientTimer::E, txn.interval);
    }
    if (!target.reliable || txn.invite) {
        txn.request = std::move(bytes);
        send_(txn.target, txn.request);
    } else {
        send_(txn.target, bytes);  // reliable non-INVITE: never re-sent, not kept
    }
    return {id, StartError::None};
}

bool TransactionLayer::onResponse(const sip::Message& response) {
    if (!response.ok() || !response.isResponse() || response.vias().empty()) {
        ++stats_.strayResponses;
        return false;
    }
    auto idx =
        clientIndex_.find(clientKey(response.vias().front().branch(), response.cseq().method));
    if (idx == clientIndex_.end()) {
        // RFC 3261 §18.1.2 hands it to the core; a stateful element does not forward it
        // (RFC 6026 update of §16.7): the caller drops it.
        ++stats_.strayResponses;
        return false;
    }
    ClientTransactionId id = idx->second;
    ClientTxn* txn = findClient(id);
    int code = response.statusCode();

    if (txn->invite) {
        switch (txn->state) {
            case ClientState::Calling:
            case ClientState::Proceeding:
            case ClientState::Trying:
                if (code < 200) {
                    // §17.1.1.2: Calling -> Proceeding, retransmissions stop; timer B applies
                    // to Calling only.
                    timers_.cancel(txn->retransmitTimer);
                    timers_.cancel(txn->stateTimer);
                    txn->retransmitTimer = kNoTimer;
                    txn->stateTimer = kNoTimer;
                    txn->state = ClientState::Proceeding;
                    deliver(id, response);
                    return true;
                }
                timers_.cancel(txn->retransmitTimer);
                timers_.cancel(txn->stateTimer);
                txn->retransmitTimer = kNoTimer;
                txn->stateTimer = kNoTimer;
                if (code < 300) {
                    // RFC 6026: 2xx -> Accepted, timer M = 64*T1 (all transports) to pass
                    // further 2xx (retransmissions, forks) to the TU.
                    txn->state = ClientState::Accepted;
                    txn->request.clear();
                    txn->request.shrink_to_fit();
                    txn->stateTimer = scheduleClient(id, ClientTimer::M, config_.timeout64());
                    deliver(id, response);
                    return true;
                }
                {
                    // §17.1.1.2: 300-699 -> Completed; the ACK is sent and the response passed
                    // up; timer D (unreliable) or straight to Terminated (reliable).
                    txn->state = ClientState::Completed;
                    sip::Message invite =
                        sip::Message::parse(txn->request, ownLimits(txn->request.size()));
                    if (std::optional<std::string> ack = buildAckForNon2xx(invite, response)) {
                        txn->ack = std::move(*ack);
                    }
                    txn->request.clear();
                    txn->request.shrink_to_fit();
                    bool reliable = txn->target.reliable;
                    if (!reliable) {
                        txn->stateTimer = scheduleClient(id, ClientTimer::D, config_.timerD);
                    }
                    if (!txn->ack.empty()) {
                        ++stats_.acksSent;
                        send_(txn->target, txn->ack);
                    }
                    deliver(id, response);
                    if (reliable) {
                        finishClient(id, Outcome::Normal);
                    }
                }
                return true;
            case ClientState::Accepted:
                if (code >= 200 && code < 300) {
                    deliver(id, response);  // RFC 6026: every 2xx goes to the TU
                } else {
                    ++stats_.responsesAbsorbed;
                }
                return true;
            case ClientState::Completed:
                ++stats_.responsesAbsorbed;
                if (code >= 300 && !txn->ack.empty()) {
                    // §17.1.1.2: a retransmitted final is ACKed again, not passed up.
                    ++stats_.acksSent;
                    send_(txn->target, txn->ack);
                }
                return true;
        }
        return true;
    }

    switch (txn->state) {
        case ClientState::Trying:
        case ClientState::Calling:
        case ClientState::Proceeding:
            if (code < 200) {
                // §17.1.2.2: Trying -> Proceeding; every 1xx goes to the TU.
                txn->state = ClientState::Proceeding;
                deliver(id, response);
                return true;
            }
            {
                // §17.1.2.2: final -> Completed; timer K = T4 unreliable, 0 reliable.
                timers_.cancel(txn->retransmitTimer);
                timers_.cancel(txn->stateTimer);
                txn->retransmitTimer = kNoTimer;
                txn->stateTimer = kNoTimer;
                txn->state = ClientState::Completed;
                txn->request.clear();
                txn->request.shrink_to_fit();
                bool reliable = txn->target.reliable;
                if (!reliable) {
                    txn->stateTimer = scheduleClient(id, ClientTimer::K, config_.t4);
                }
                deliver(id, response);
                if (reliable) {
                    finishClient(id, Outcome::Normal);
                }
            }
            return true;
        case ClientState::Completed:
        case ClientState::Accepted:
            ++stats_.responsesAbsorbed;  // §17.1.2.2: retransmitted finals are absorbed
            return true;
    }
    return true;
}

void TransactionLayer::deliver(ClientTransactionId id, const sip::Message& response) {
    ClientTxn* txn = findClient(id);
    if (txn == nullptr) {
        return;
    }
    // Hold the callbacks: the TU may terminate this transaction from inside onResponse.
    std::shared_ptr<const ClientCallbacks> callbacks = txn->callbacks;
    if (callbacks->onResponse) {
        callbacks->onResponse(response);
    }
}

void TransactionLayer::onTransportError(ClientTransactionId id) {
    ClientTxn* txn = findClient(id);
    if (txn == nullptr) {
        return;
    }
    ++stats_.transportErrors;
    // §17.1.1.2, §17.1.2.2, §17.1.4: inform the TU (unless it already has its final response)
    // and go to Terminated.
    bool awaitingFinal = txn->state == ClientState::Calling || txn->state == ClientState::Trying ||
                         txn->state == ClientState::Proceeding;
    finishClient(id, awaitingFinal ? Outcome::TransportError : Outcome::Normal);
}

bool TransactionLayer::terminate(ClientTransactionId id) {
    if (findClient(id) == nullptr) {
        return false;
    }
    finishClient(id, Outcome::Normal);
    return true;
}

void TransactionLayer::onClientTimer(ClientTransactionId id, ClientTimer which) {
    ClientTxn* txn = findClient(id);
    if (txn == nullptr) {
        return;
    }
    switch (which) {
        case ClientTimer::A:
            // §17.1.1.2: retransmit, double the interval (no cap for INVITE).
            txn->retransmitTimer = kNoTimer;
            if (txn->state != ClientState::Calling) {
                return;
            }
            txn->interval = 2 * txn->interval;
            break;
        case ClientTimer::E:
            // §17.1.2.2: retransmit; Trying: double up to T2; Proceeding: T2.
            txn->retransmitTimer = kNoTimer;
            if (txn->state == ClientState::Trying) {
                txn->interval = std::min(2 * txn->interval, config_.t2);
            } else if (txn->state == ClientState::Proceeding) {
                txn->interval = config_.t2;
            } else {
                return;
            }
            break;
        case ClientTimer::B:
            txn->stateTimer = kNoTimer;
            ++stats_.timeoutsB;
            finishClient(id, Outcome::Timeout);
            return;
        case ClientTimer::F:
            txn->stateTimer = kNoTimer;
            ++stats_.timeoutsF;
            finishClient(id, Outcome::Timeout);
            return;
        case ClientTimer::D:  // §17.1.1.2: Completed -> Terminated
        case ClientTimer::K:  // §17.1.2.2: Completed -> Terminated
        case ClientTimer::M:  // RFC 6026: Accepted -> Terminated
            txn->stateTimer = kNoTimer;
            finishClient(id, Outcome::Normal);
            return;
    }
    // Timer A or E: schedule the next one, then re-send.
    txn->retransmitTimer = scheduleClient(id, which, txn->interval);
    ++stats_.requestsRetransmitted;
    send_(txn->target, txn->request);
}

std::shared_ptr<const ClientCallbacks> TransactionLayer::eraseClient(ClientTransactionId id) {
    auto it = clients_.find(id);
    if (it == clients_.end()) {
        return nullptr;
    }
    ClientTxn& txn = it->second;
    timers_.cancel(txn.retransmitTimer);
    timers_.cancel(txn.stateTimer);
    if (auto idx = clientIndex_.find(txn.key); idx != clientIndex_.end() && idx->second == id) {
        clientIndex_.erase(idx);
    }
    std::shared_ptr<const ClientCallbacks> callbacks = std::move(txn.callbacks);
    clients_.erase(it);
    ++stats_.clientTerminated;
    stats_.clientActive = clients_.size();
    return callbacks;
}

void TransactionLayer::finishClient(ClientTransactionId id, Outcome outcome) {
    std::shared_ptr<const ClientCallbacks> callbacks = eraseClient(id);
    if (callbacks == nullptr) {
        return;
    }
    // The layer is consistent again: the TU may call anything from here on.
    switch (outcome) {
        case Outcome::Normal:
            break;
        case Outcome::Timeout:
            if (callbacks->onTimeout) {
                callbacks->onTimeout();
            }
            break;
        case Outcome::TransportError:
            if (callbacks->onTransportError) {
                callbacks->onTransportError();
            } else if (callbacks->onTimeout) {
                callbacks->onTimeout();
            }
            break;
    }
    if (callbacks->onTerminated) {
        callbacks->onTerminated();
    }
}

}  // namespace sbc::transaction
