#pragma once
// B2bua: each call is two dialogs (RFC 3261 §12), one per leg; sbc is the UAS of the inbound leg
// (A) and the UAC of the outbound leg (B). Topology hiding is structural: the outbound leg is
// built fresh (Call-ID, tags, Via, Contact, CSeq space), only headers the receiving trunk allows
// cross, and every SDP body is rewritten to sbc's relay addresses (CallMedia).
//
// What it does, by RFC:
//  * initial INVITE: inbound trunk, route by Request-URI user, destinations by priority/weight,
//    failover on the trunk's codes or silence, timer C (§16.6 item 11), Max-Forwards (§16.3
//    step 3: 483 at 0);
//  * responses: 100 is hop by hop (the server transaction's own); 1xx with our To tag and SDP
//    (early media); 2xx relayed, ACKed per leg (§13.2.2.4) and retransmitted to A until its ACK
//    (§13.3.1.4); 3xx-6xx relayed after failover; forked 2xx after the first: ACK + BYE;
//  * CANCEL (§9.2): 200, 487 to the INVITE, CANCEL to B (§9.1, after a provisional), and the
//    CANCEL/200 race (ACK + BYE the late 2xx);
//  * in dialog: BYE (either side), re-INVITE and UPDATE (RFC 3311) with SDP both ways, glare
//    (491, §14.1), PRACK (RFC 3262: RSeq/RAck mapped between legs, or terminated by sbc when
//    the caller does not support 100rel), INFO (RFC 6086), OPTIONS, other methods relayed;
//    unknown dialogs 481 (§12.2.2); CSeq out of order 500 (§12.2.2);
//  * NAT fixup: requests to the inbound leg go to where its INVITE came from (address, port,
//    connection), not to its Contact; responses to the observed source (rport, RFC 3581);
//  * a maximum call duration that frees the call, its timers and its media; CDRs.
//
// Threading: single-threaded, owned by the io_context thread that runs the transaction layer.
// Every callback (transaction, timer) re-finds its call by number; a call that ended is gone.
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/b2bua/call.hpp"
#include "controlplane/b2bua/call_store.hpp"
#include "controlplane/b2bua/cdr.hpp"
#include "controlplane/b2bua/identifiers.hpp"
#include "controlplane/b2bua/secrets.hpp"
#include "controlplane/media/media_service.hpp"
#include "controlplane/policy/model.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/transaction/transaction_layer.hpp"

namespace sbc::b2bua {

struct B2buaConfig {
    std::vector<SideListener> listeners;
    std::string userAgent = "sbc";  // Server / User-Agent of everything sbc sends
    // §16.6 item 11: more than 3 minutes; reset by every provisional.
    std::chrono::milliseconds timerC{std::chrono::minutes(3)};
    // A call is torn down (BYE both legs) after this long; 0: no limit.
    std::chrono::milliseconds maxCallDuration{std::chrono::hours(4)};
    std::size_t maxCalls = 100000;  // beyond it new INVITEs get 503
    int maxRedirects = 3;           // 3xx followed per call (RedirectMode::Follow)
    // RFC 4028: the smallest session interval sbc accepts (422 below it, §8.1.1).
    std::chrono::seconds minSessionExpires{90};
    // Digest credentials by name (the secrets file), for trunks that challenge (RFC 3261 §22.2).
    CredentialMap credentials;
};

// Monotonic counters except where marked gauge. Owned by the B2bua, read on its thread.
struct B2buaStats {
    std::uint64_t callsAttempted = 0;
    std::uint64_t callsAnswered = 0;
    std::uint64_t callsFailed = 0;  // ended without answer (any final >= 300 to A)
    std::uint64_t callsCancelled = 0;
    std::uint64_t callsEnded = 0;
    std::uint64_t callsActive = 0;  // gauge
    std::uint64_t rejectedNoTrunk = 0;
    std::uint64_t rejectedNoRoute = 0;
    std::uint64_t rejectedOverload = 0;
    std::uint64_t rejectedTrunkLimit = 0;  // a trunk's maxConcurrentCalls reached (503)
    std::uint64_t rejectedLoop = 0;        // 483
    std::uint64_t rejectedMedia = 0;
    std::uint64_t failovers = 0;
    std::uint64_t redirectsFollowed = 0;
    std::uint64_t authAnswered = 0;  // 401/407 from a trunk answered with credentials
    std::uint64_t authFailed = 0;    // challenged again, or no usable challenge/credentials
    std::uint64_t timerCFired = 0;
    std::uint64_t ackTimeouts = 0;  // no ACK for a 2xx within 64*T1
    std::uint64_t maxDurationReached = 0;
    std::uint64_t sessionExpired = 0;            // RFC 4028: no refresh within the session interval
    std::uint64_t mediaTimeouts = 0;             // the data plane reported the media idle
    std::uint64_t rejectedIntervalTooSmall = 0;  // 422
    std::uint64_t forkedAnswersReleased = 0;
    std::uint64_t unknownDialog = 0;  // 481
    std::uint64_t glare = 0;          // 491
    std::uint64_t inDialogRelayed = 0;
    std::uint64_t sendFailures = 0;
    std::uint64_t callsRestored = 0;       // established calls re-adopted from the CallStore
    std::uint64_t restoreFailures = 0;     // records dropped at restore (or calls ended: no media)
    std::uint64_t storeWriteFailures = 0;  // call records the CallStore could not write
};

// What B2bua::restore() did: one line per record it could not restore (for the log).
struct RestoreReport {
    std::size_t restored = 0;
    std::vector<std::string> problems;
};

// Extra header fields of a message sbc builds, in order.
using Extra = std::vector<std::pair<std::string, std::string>>;

// A message body and its Content-Type (empty text: no body).
struct Body {
    std::string_view text;
    std::string_view type = "application/sdp";
};

class B2bua {
  public:
    // Sends bytes outside any transaction: ACKs for 2xx and 2xx retransmissions (the same
    // function the transaction layer sends with).
    using SendFn = transaction::TransactionLayer::SendFn;
    using PolicyFn = std::function<policy::PolicyPtr()>;
    using ClockFn = std::function<WallClock::time_point()>;

    B2bua(transaction::TransactionLayer& transactions, transaction::TimerService& timers,
          SendFn send, media::MediaService& media, PolicyFn policy, CdrWriter* cdr,
          B2buaConfig config);
    ~B2bua();
    B2bua(const B2bua&) = delete;
    B2bua& operator=(const B2bua&) = delete;

    // Requests the B2BUA handles: INVITE, CANCEL, ACK, and anything with a To tag (in dialog).
    static bool claims(const sip::Message& request) noexcept;

    // A request after the transaction layer saw it: `result` is what onRequest() returned,
    // `source` where it came from (responses and, for the inbound leg, requests go there).
    void onRequest(const sip::Message& request, const transaction::ServerResult& result,
                   const transaction::Target& source);

    // The data plane saw no media on a stream of `session` for its idle time: the call is
    // ended (BYE both legs), freeing its timers and media.
    void onMediaIdle(media::SessionId session);

    // Whether a destination may be tried now (OPTIONS pinging); unset: all are.
    using HealthFn = std::function<bool(const policy::Trunk&, const policy::Destination&)>;
    void setDestinationHealth(HealthFn fn) { health_ = std::move(fn); }

    // Told of every final response (>= 300) sbc sends to a caller for an initial INVITE, its own
    // or one relayed from the other leg (401/407 already turned into 403): the policy counts
    // 403/404-like answers from the core towards the caller's ban (PolicyGate::noteFinalResponse).
    using FinalResponseFn = std::function<void(const boost::asio::ip::address& caller, int code)>;
    void setFinalResponseObserver(FinalResponseFn fn) { finalResponse_ = std::move(fn); }
    // Established calls are written to `store` (ACK received, in-dialog state changed) and
    // erased from it when they end. Null: no persistence.
    void setCallStore(CallStore* store) { store_ = store; }
    // Re-adopts the established calls of an earlier process from `store` (and keeps writing to
    // it): dialogs, trunk counts, the media session (MediaService::adopt), the duration and
    // session timers. Call before the MediaService starts (so that its first resync re-claims
    // the flows instead of removing them) and before requests are handled.
    //  * A record that cannot be decoded, or whose listener is gone, is dropped (removed from the
    //    store), logged by the caller from the report and counted in restoreFailures.
    //  * A trunk no longer in the policy does not stop the call: it is restored for signalling
    //    (headers cross as for a trunk that allows none; no trunk limit counts it), so BYE works.
    //  * Media the MediaService refuses to adopt (ports outside the pools, the session live):
    //    the call cannot carry media any more, so it is ended at once: BYE on both legs and a
    //    CDR with reason "media_lost" (counted in restoreFailures).
    RestoreReport restore(CallStore& store);

    void setWallClock(ClockFn clock) { clock_ = std::move(clock); }
    void setIdSeed(std::uint64_t seed) { ids_ = IdGenerator(seed); }

    // A copy: storeWriteFailures adds the writes the CallStore failed after accepting them.
    B2buaStats stats() const noexcept {
        B2buaStats s = stats_;
        if (store_ != nullptr) {
            s.storeWriteFailures += store_->failedWrites();
        }
        return s;
    }
    std::size_t activeCalls() const noexcept { return calls_.size(); }
    // The live-calls gauge itself, for a reader on the same thread that keeps the address (the
    // policy gate's overload.max_calls).
    const std::uint64_t* activeCallsGauge() const noexcept { return &stats_.callsActive; }
    // Live calls in or out of a trunk (what Trunk::maxConcurrentCalls is checked against). This
    // is the one count of concurrent calls per trunk; the policy gate keeps only calls/second.
    std::uint32_t trunkCalls(const std::string& trunkName) const noexcept;

  private:
    using ServerId = transaction::ServerTransactionId;
    using ClientId = transaction::ClientTransactionId;

    // initial INVITE (b2bua.cpp)
    void onInitialInvite(const sip::Message& req, ServerId txn, const transaction::Target& src);
    void startAttempt(Call& call);
    void onOutboundResponse(std::uint64_t callId, std::uint32_t attempt, const sip::Message& r);
    void onOutboundFailure(std::uint64_t callId, std::uint32_t attempt, int code);
    bool answerChallenge(Call& call, const sip::Message& r);
    bool followRedirect(Call& call, const sip::Message& r);
    void onFinalFailure(Call& call, int code, std::string_view reason, const sip::Message* r);
    void onProvisional(Call& call, const sip::Message& r);
    void onAnswer(Call& call, const sip::Message& r);
    void onCancel(const sip::Message& req, ServerId txn, const transaction::Target& src);
    void sendCancel(Call& call);
    void onTimerC(std::uint64_t callId);
    void onFailoverTimer(std::uint64_t callId, std::uint32_t attempt);

    // in dialog (in_dialog.cpp)
    void onInDialog(const sip::Message& req, ServerId txn, const transaction::Target& src);
    void onAck(const sip::Message& ack);
    void relayInDialog(Call& call, LegId from, const sip::Message& req, ServerId txn,
                       const transaction::Target& src, const Extra& extra = {});
    void onRelayedResponse(std::uint64_t callId, LegId from, ServerId txn,
                           const std::shared_ptr<ResponseBase>& base, bool offerSent,
                           const transaction::Target& src, const sip::Message& r);
    void onBye(Call& call, LegId from, const sip::Message& req, ServerId txn,
               const transaction::Target& src);
    void onPrack(Call& call, const sip::Message& req, ServerId txn, const transaction::Target& src);
    void startAckWait(Call& call, LegId uasLeg, std::uint32_t cseq, ServerId txn,
                      std::string response, bool forwardAck, std::uint32_t forwardCseq,
                      const transaction::Target& responseTarget);
    void onAckTimer(std::uint64_t callId);
    void onReliableTimer(std::uint64_t callId);
    // RFC 4028: (re)starts the session timer from the Session-Expires of a 2xx.
    void refreshSession(Call& call, const sip::Message& ok);

    // building messages (messages.cpp)
    std::string buildResponse(const Leg& leg, const ResponseBase& base, int code,
                              std::string_view reason, const sip::Message* relayed,
                              const Body& body, const Extra& extra = {});
    std::string buildRequest(const Leg& leg, std::string_view method, std::uint32_t cseq,
                             std::string_view branch, const sip::Message* relayed, const Body& body,
                             const Extra& extra = {}, int maxForwards = 70);
    std::string buildAck(const Leg& leg, std::uint32_t cseq, std::string_view body);
    void sendAck(Call& call, LegId leg, std::uint32_t cseq, std::string_view body);
    // A response outside any call (403, 404, 481, ...), from the request itself.
    void reject(const sip::Message& req, ServerId txn, const transaction::Target& src, int code,
                std::string_view reason = {}, const Extra& extra = {});
    // Tells the observer (setFinalResponseObserver) of a final response to a caller's INVITE.
    void noteFinalResponse(const transaction::Target& caller, int code);
    void respond(Call& call, LegId leg, ServerId txn, const ResponseBase& base, int code,
                 std::string_view reason = {}, const Extra& extra = {});
    // Sends a new in-dialog request (BYE, PRACK, ...) on `leg`; the response goes to onResponse.
    void sendInDialog(Call& call, LegId leg, std::string_view method, const Body& body,
                      std::function<void(const sip::Message&)> onResponse, const Extra& extra = {},
                      const sip::Message* relayed = nullptr,
                      std::function<void(int)> onFailure = {});
    const SideListener* listenerFor(std::string_view side, policy::Transport t, bool ipv6) const;
    const SideListener* listenerById(std::uint32_t id) const;

    // persistence (call_persistence.cpp)
    CallRecord recordOf(const Call& call) const;
    void persist(Call& call);
    bool restoreCall(CallRecord record, std::string& problem);
    const SideListener* restoreListener(const LegRecord& leg) const;
    void scheduleDuration(Call& call, std::chrono::milliseconds after);
    void scheduleSessionExpiry(Call& call, std::chrono::milliseconds after);

    // teardown
    void byeBoth(Call& call, std::string_view reason);
    void endCall(std::uint64_t callId, int result, std::string_view reason);
    Call* find(std::uint64_t callId);
    Call* findDialog(std::string_view callId, std::string_view localTag, LegId& leg);
    void indexDialog(const Call& call, LegId leg);

    transaction::TransactionLayer& transactions_;
    transaction::TimerService& timers_;
    SendFn send_;
    media::MediaService& media_;
    PolicyFn policy_;
    CdrWriter* cdr_;
    CallStore* store_ = nullptr;
    B2buaConfig config_;
    ClockFn clock_ = [] { return WallClock::now(); };
    HealthFn health_;
    FinalResponseFn finalResponse_;
    IdGenerator ids_;
    B2buaStats stats_;

    std::uint64_t nextCall_ = 1;
    std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls_;
    // Call-ID + '\n' + sbc's tag -> (call, leg): the dialogs of every live call.
    std::unordered_map<std::string, std::pair<std::uint64_t, LegId>> dialogs_;
    // Live calls per trunk name (in or out), for Trunk::maxConcurrentCalls.
    std::unordered_map<std::string, std::uint32_t> trunkCalls_;
    // Server transaction of each call's inbound INVITE -> call (CANCEL, §9.2).
    std::unordered_map<std::uint64_t, std::uint64_t> invites_;
};

}  // namespace sbc::b2bua
