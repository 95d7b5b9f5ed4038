#pragma once

// TransactionLayer: the SIP transaction layer (RFC 3261 §17) with the RFC 6026 corrections for 2xx
// responses to INVITE ("Accepted" states, timers L and M).
//
// Four state machines:
//  * INVITE server (§17.2.1 + RFC 6026): Proceeding -1xx-> Proceeding; -2xx-> Accepted (timer L);
//    -300..699-> Completed (timers G, H) -ACK-> Confirmed (timer I) -> Terminated.
//  * non-INVITE server (§17.2.2): Trying -1xx-> Proceeding -final-> Completed (timer J).
//  * INVITE client (§17.1.1 + RFC 6026): Calling (timers A, B) -1xx-> Proceeding; -2xx-> Accepted
//    (timer M); -300..699-> Completed (ACK sent by the layer, timer D).
//  * non-INVITE client (§17.1.2): Trying (timers E, F) -1xx-> Proceeding -final-> Completed
//    (timer K).
// Terminated transactions are erased at once; at most TimerConfig::maxTransactions of each kind
// are live, so memory is bounded. An INVITE transaction in Proceeding runs no timer (timer B is
// for Calling only): the TU ends it with a final response or terminate() (timer C, §16.6 and
// §9.1, are the TU's).
//
// What the layer does not do: parse or build most messages (the TU builds requests and responses;
// the layer builds only the automatic 100 Trying and the ACK for a 300-699 final), CANCEL
// processing beyond matching (§9.2: the TU answers the CANCEL and the INVITE), retransmitting 2xx
// to INVITE (the UAS core does, §13.3.1.4) and ACKing 2xx (the UAC core does, §13.2.2.4).
//
// Threading and ownership
//  * Single-threaded: everything runs on the io_context thread that drives the TimerService.
//    Nothing is locked.
//  * The TimerService must outlive the layer. Destroying the layer cancels its timers and calls
//    no callback.
//  * The send callback must not call back into the layer (report a failed send later, e.g. via
//    boost::asio::post, with onTransportError()). TU callbacks (ClientCallbacks,
//    ServerCallbacks) may call any member; none of the callbacks may throw.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "controlplane/sip/message.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/types.hpp"

namespace sbc::transaction {

class TransactionLayer {
  public:
    // Hands bytes to the transport. `bytes` is valid during the call only.
    using SendFn = std::function<void(const Target& target, std::string_view bytes)>;

    // TU callbacks of server transactions. Optional; run on the io_context thread from inside the
    // layer, after the transaction has been erased.
    struct ServerCallbacks {
        // Timer H fired: no ACK for a 300-699 final (§17.2.1, "inform TU").
        std::function<void(ServerTransactionId)> onTimeout;
        // The transaction has been erased (Terminated, for any reason).
        std::function<void(ServerTransactionId)> onTerminated;
    };

    TransactionLayer(TimerService& timers, const TimerConfig& config, SendFn send,
                     ServerCallbacks serverCallbacks = {});
    ~TransactionLayer();
    TransactionLayer(const TransactionLayer&) = delete;
    TransactionLayer& operator=(const TransactionLayer&) = delete;

    // ---- server transactions (§17.2) ----

    // Matches a received request to a server transaction (§17.2.3) or creates one. `source` is
    // where its responses will be sent. The message is not kept. Precondition: request.ok() and
    // a request (parse errors are answered statelessly by the caller); anything else is counted
    // in Stats::invalidRequests and dropped: Retransmission with id None.
    ServerResult onRequest(const sip::Message& request, const Target& source);

    // Sends a response built by the TU on transaction `id` and drives its state machine by
    // statusCode (100-699). Returns false, sending nothing, when the transaction does not exist
    // or the response is not allowed in its state (anything after a non-2xx final, §17.2.2
    // "discarded"; anything but 2xx after a 2xx to INVITE, RFC 6026).
    bool respond(ServerTransactionId id, int statusCode, std::string bytes);

    // The INVITE server transaction a CANCEL refers to (§9.2: matched like a request by §17.2.3,
    // but against INVITE transactions), whatever its state. nullopt: answer the CANCEL 481.
    std::optional<ServerTransactionId> findInviteForCancel(const sip::Message& cancel) const;

    std::optional<ServerState> state(ServerTransactionId id) const;

    // The TU gives up on a server transaction: erased without sending anything (onTerminated is
    // called). Returns false when unknown.
    bool terminate(ServerTransactionId id);

    // ---- client transactions (§17.1) ----

    // Sends a request built by the TU and starts its client transaction. `bytes` is parsed once
    // to learn the method, the top Via branch and the CSeq method; for an INVITE it is kept to
    // build the ACK for a 300-699 final (§17.1.1.3). The top Via must carry an RFC 3261 branch.
    // `target` is where the request and its retransmissions (and ACK) go.
    StartResult sendRequest(std::string bytes, const Target& target, ClientCallbacks callbacks);
    // The same when the TU already has the request parsed: `parsed` must be the parse of `bytes`.
    StartResult sendRequest(const sip::Message& parsed, std::string bytes, const Target& target,
                            ClientCallbacks callbacks);

    // Matches a received response by top Via branch and CSeq method (§17.1.3) and drives the
    // transaction. Returns false for a stray response (no transaction; counted in
    // Stats::strayResponses): the caller drops it (a stateful element does not forward it,
    // RFC 6026).
    bool onResponse(const sip::Message& response);

    // The transport failed to deliver a request or the ACK of transaction `id` (§17.1.4, §18.4).
    // Before a final response the TU is told (ClientCallbacks::onTransportError, §8.1.3.1); in
    // every state the transaction is terminated. Unknown ids are ignored.
    void onTransportError(ClientTransactionId id);

    std::optional<ClientState> state(ClientTransactionId id) const;

    // The TU gives up on a client transaction (e.g. §9.1: no final response 64*T1 after a
    // CANCEL): erased silently except for onTerminated. Returns false when unknown.
    bool terminate(ClientTransactionId id);

    // ---- observability ----
    const Stats& stats() const noexcept { return stats_; }
    const TimerConfig& config() const noexcept { return config_; }
    std::size_t serverCount() const noexcept { return servers_.size(); }
    std::size_t clientCount() const noexcept { return clients_.size(); }

  private:
    enum class ServerTimer : std::uint8_t { G, H, I, J, L, Trying };
    enum class ClientTimer : std::uint8_t { A, B, D, E, F, K, M };

    struct ServerTxn {
        ServerTransactionId id = ServerTransactionId::None;
        bool invite = false;
        ServerState state = ServerState::Trying;
        Target source;
        std::string key;            // index key (serverIndex_)
        std::string lastResponse;   // most recent provisional, or the final once Completed
        std::string responseToTag;  // RFC 2543 INVITE: To tag of the final, to match the ACK
        std::string trying;         // pre-built 100 (Trying) until sent or the TU responds
        TimerId retransmitTimer = kNoTimer;  // G
        TimerId stateTimer = kNoTimer;       // H, I, J, L
        TimerId tryingTimer = kNoTimer;
        std::chrono::milliseconds interval{0};  // current timer G interval
        bool rfc2543 = false;
    };

    struct ClientTxn {
        ClientTransactionId id = ClientTransactionId::None;
        bool invite = false;
        ClientState state = ClientState::Trying;
        Target target;
        std::string key;      // index key (clientIndex_)
        std::string request;  // as sent: retransmissions (unreliable) and the ACK (INVITE)
        std::string ack;      // INVITE Completed: the ACK, re-sent for each repeated final
        // Shared so that a callback being run survives the TU terminating the transaction.
        std::shared_ptr<const ClientCallbacks> callbacks;
        TimerId retransmitTimer = kNoTimer;     // A, E
        TimerId stateTimer = kNoTimer;          // B, F, D, K, M
        std::chrono::milliseconds interval{0};  // current timer A / E interval
    };

    enum class Outcome : std::uint8_t { Normal, Timeout, TransportError };

    // server
    ServerResult onAck(const sip::Message& ack);
    ServerTxn* findServer(ServerTransactionId id);
    const ServerTxn* findServer(ServerTransactionId id) const;
    ServerTxn* findServerByKey(const std::string& key);
    const ServerTxn* findServerByKey(const std::string& key) const;
    TimerId scheduleServer(ServerTransactionId id, ServerTimer which, std::chrono::milliseconds d);
    void onServerTimer(ServerTransactionId id, ServerTimer which);
    void enterConfirmed(ServerTxn& txn);
    // Erases the transaction and then (the layer being consistent again) tells the TU.
    void eraseServer(ServerTransactionId id, bool timedOut = false);

    // client
    ClientTxn* findClient(ClientTransactionId id);
    TimerId scheduleClient(ClientTransactionId id, ClientTimer which, std::chrono::milliseconds d);
    void onClientTimer(ClientTransactionId id, ClientTimer which);
    void deliver(ClientTransactionId id, const sip::Message& response);
    std::shared_ptr<const ClientCallbacks> eraseClient(ClientTransactionId id);
    // Erases the transaction and then (the layer being consistent again) tells the TU.
    void finishClient(ClientTransactionId id, Outcome outcome);

    TimerService& timers_;
    TimerConfig config_;
    SendFn send_;
    ServerCallbacks serverCallbacks_;
    Stats stats_;

    std::unordered_map<ServerTransactionId, ServerTxn> servers_;
    std::unordered_map<std::string, ServerTransactionId> serverIndex_;
    std::unordered_map<ClientTransactionId, ClientTxn> clients_;
    std::unordered_map<std::string, ClientTransactionId> clientIndex_;
    std::uint64_t nextServerId_ = 1;
    std::uint64_t nextClientId_ = 1;
};

// The ACK for a 300-699 final response to an INVITE (RFC 3261 §17.1.1.3): the request's
// Request-URI, top Via only, Route headers, From, Call-ID and CSeq number (method ACK), the
// response's To, Max-Forwards 70, no body. nullopt when a mandatory header is missing.
std::optional<std::string> buildAckForNon2xx(const sip::Message& invite,
                                             const sip::Message& response);

}  // namespace sbc::transaction
