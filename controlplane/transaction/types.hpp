#pragma once

// Value types of the transaction layer: ids, where to send, timer configuration, results,
// callbacks and counters.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace sbc::sip {
class Message;
}  // namespace sbc::sip

namespace sbc::transaction {

// 1, 2, ... per layer; never reused. None (0) is never a live transaction.
enum class ServerTransactionId : std::uint64_t { None = 0 };
enum class ClientTransactionId : std::uint64_t { None = 0 };

// Where bytes go: for a server transaction the source of the request (responses go back the way
// the request came, RFC 3261 §18.2.2; the transport applies received/rport, RFC 3581 §4); for a
// client transaction the next hop chosen by the TU (RFC 3263).
struct Target {
    std::uint32_t listenerId = 0;
    std::uint64_t connectionId = 0;  // TCP/TLS connection; 0 for UDP (or a new outbound stream)
    std::string address;
    std::uint16_t port = 0;
    // TCP/TLS: no retransmission timers (A, E, G) and timers D, I, J, K are 0 (RFC 3261 §17.1.1.2,
    // §17.1.2.2, §17.2.1, §17.2.2).
    bool reliable = false;
};

// RFC 3261 §17.1.1.1 and Appendix A. Timers B, F, H, J (unreliable), L and M (RFC 6026) are
// 64*T1; timer D is its own value ("at least 32 s" for unreliable transports).
struct TimerConfig {
    std::chrono::milliseconds t1{500};   // T1: RTT estimate; first retransmission interval
    std::chrono::milliseconds t2{4000};  // T2: cap of the non-INVITE request / INVITE response
                                         //     retransmission interval
    std::chrono::milliseconds t4{5000};  // T4: longest time a message stays in the network (I, K)
    std::chrono::milliseconds timerD{32000};
    // Cap on live transactions, separately for server and client transactions; beyond it new
    // requests get ServerResult::Kind::Overloaded / StartError::Overloaded.
    std::size_t maxTransactions = 100000;
    // RFC 3261 §17.2.1: an INVITE server transaction sends 100 (Trying) itself when the TU has not
    // responded within tryingDelay.
    bool autoTrying = true;
    std::chrono::milliseconds tryingDelay{200};

    std::chrono::milliseconds timeout64() const { return 64 * t1; }  // B, F, H, J, L, M
};

// Terminated transactions are erased at once (RFC 3261 §17.1.1.2: "destroyed the instant it
// enters the Terminated state"), so Terminated is not a state one can observe.
enum class ServerState : std::uint8_t {
    Trying,      // non-INVITE: no response yet
    Proceeding,  // INVITE: no final yet (a provisional may have been sent); non-INVITE: 1xx sent
    Completed,   // final sent (INVITE: 300-699, waiting for the ACK)
    Confirmed,   // INVITE: ACK received, timer I absorbs ACK retransmissions
    Accepted,    // INVITE: 2xx sent (RFC 6026), timer L absorbs INVITE retransmissions
};

enum class ClientState : std::uint8_t {
    Calling,     // INVITE: request sent, no response yet
    Trying,      // non-INVITE: request sent, no response yet
    Proceeding,  // 1xx received
    Completed,   // final received (INVITE: 300-699, ACK sent)
    Accepted,    // INVITE: 2xx received (RFC 6026), timer M collects further 2xx
};

// What onRequest() did with a request.
struct ServerResult {
    enum class Kind : std::uint8_t {
        // A new server transaction: the TU must process the request and respond(id, ...).
        New,
        // A retransmission of a request of a live transaction: absorbed. The layer has re-sent
        // the most recent response if the state calls for it (§17.2.1, §17.2.2).
        Retransmission,
        // An ACK for a 300-699 final of an INVITE server transaction (Completed -> Confirmed), or
        // a retransmission of it: absorbed.
        AckAbsorbed,
        // An ACK the TU must handle: the ACK for a 2xx (its own transaction, §17), which matches
        // no server transaction, or matches one in the Accepted state (RFC 6026: passed to the
        // TU; then id is that transaction).
        AckForUnknown,
        // maxTransactions reached: no transaction was created. The caller answers 503
        // statelessly (RFC 3261 §21.5.4) or drops the request.
        Overloaded,
    };
    Kind kind = Kind::Retransmission;
    ServerTransactionId id = ServerTransactionId::None;
};

// Why sendRequest() refused to start a client transaction.
enum class StartError : std::uint8_t {
    None,
    BadRequest,       // not a request that parses, or no Via
    AckRequest,       // ACK has no client transaction (ACK for 2xx: sent by the TU, §17)
    NoRfc3261Branch,  // the top Via branch must start with z9hG4bK (§8.1.1.7, §17.1.3)
    DuplicateBranch,  // a live client transaction already uses this branch and method
    Overloaded,       // maxTransactions client transactions are live
};

struct StartResult {
    ClientTransactionId id = ClientTransactionId::None;
    StartError error = StartError::BadRequest;

    bool ok() const noexcept { return error == StartError::None; }
};

// Per client transaction. Every callback runs on the io_context thread from inside the layer
// (onResponse(), a timer, onTransportError()); the TU may call any member of the layer from
// inside them, terminate(id) of this very transaction included. None of them may throw.
struct ClientCallbacks {
    // Every 1xx; every 2xx of an INVITE (RFC 6026: also those after the first); the one
    // final of a non-INVITE; the first 300-699 final of an INVITE (the layer has sent the ACK).
    // The message is valid during the call only.
    std::function<void(const sip::Message&)> onResponse;
    // Timer B (INVITE) or F (non-INVITE) fired without a final response (§17.1.1.2, §17.1.2.2):
    // the TU acts as if it had received a 408 (§8.1.3.1).
    std::function<void()> onTimeout;
    // onTransportError() was reported before a final response (§17.1.4): the TU acts as if it had
    // received a 503 (§8.1.3.1). Optional: when empty, onTimeout is called instead.
    std::function<void()> onTransportError;
    // Optional: the transaction has been erased (Terminated, for any reason). Last callback.
    std::function<void()> onTerminated;
};

// Counters. Plain data, owned and updated by the TransactionLayer on its io_context thread and
// read from there (TransactionLayer::stats()). Monotonic counters except where marked "gauge".
struct Stats {
    // --- server transactions (§17.2) ---
    std::uint64_t serverCreated = 0;
    std::uint64_t serverTerminated = 0;
    std::uint64_t serverActive = 0;             // gauge
    std::uint64_t retransmissionsAbsorbed = 0;  // requests and ACKs matched to a live transaction
    std::uint64_t responsesRetransmitted = 0;   // re-sent for a retransmitted request or timer G
    std::uint64_t tryingSent = 0;               // automatic 100 (Trying), §17.2.1
    std::uint64_t timeoutsH = 0;                // no ACK for a 300-699 final (onTimeout)
    std::uint64_t overloadRejections = 0;       // Overloaded results and StartError::Overloaded
    std::uint64_t invalidRequests = 0;          // onRequest() with a message that is not ok()

    // --- client transactions (§17.1) ---
    std::uint64_t clientCreated = 0;
    std::uint64_t clientTerminated = 0;
    std::uint64_t clientActive = 0;           // gauge
    std::uint64_t requestsRetransmitted = 0;  // timers A and E
    std::uint64_t acksSent = 0;               // ACKs for 300-699 finals, repeats included
    std::uint64_t responsesAbsorbed = 0;      // matched but not passed to the TU (repeats)
    std::uint64_t timeoutsB = 0;
    std::uint64_t timeoutsF = 0;
    std::uint64_t transportErrors = 0;  // onTransportError() on a live transaction
    std::uint64_t strayResponses = 0;   // onResponse() returned false
};

}  // namespace sbc::transaction
