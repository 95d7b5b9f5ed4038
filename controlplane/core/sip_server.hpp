#pragma once
// The SIP core of sbc: transport → parse → transaction → UAS rules → response.
//
// Receives every message from the TransportLayer, parses it once, counts it, absorbs
// retransmissions through the transaction layer and answers what it must:
//  * malformed requests: a stateless 400 (505, 513) when a response can be formed from the raw
//    headers (RFC 3261 §8.2.6.2), else a silent counted drop; malformed responses: counted drop;
//  * OPTIONS: 200 (the carriers' health check); other requests per uas_rules;
//  * CANCEL: 200 and 487 for the INVITE it matches (§9.2), 481 otherwise;
//  * responses that match no client transaction: counted drop (stray, §18.1.2).
// Responses go back the way the request came (§18.2.2): on the same TCP/TLS connection, or for
// UDP from the receiving socket to the source address; with forceRport (default) always to the
// source port, as if the client had asked for rport (RFC 3581) — the NAT-friendly answer carriers
// expect at the edge.
//
// Threading: single-threaded, owned by the io_context thread, like the layers below it.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "controlplane/core/inbound_gate.hpp"
#include "controlplane/core/uas_rules.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/sip/parse_error.hpp"
#include "controlplane/transaction/transaction_layer.hpp"
#include "controlplane/transport/transport_layer.hpp"

namespace sbc::core {

struct SipServerConfig {
    sip::ParseLimits limits;
    bool forceRport = true;
    std::string serverHeader = "sbc";  // Server header of every response sbc originates
};

struct SipServerStats {
    uint64_t requestsReceived = 0;
    uint64_t responsesReceived = 0;
    std::array<uint64_t, static_cast<size_t>(sip::ParseError::Count)> parseErrors{};
    uint64_t malformedAnswered = 0;  // stateless 400/505/513 sent
    uint64_t malformedDropped = 0;   // no response could be formed, or it was a response
    uint64_t retransmissionsAbsorbed = 0;
    uint64_t strayResponses = 0;
    uint64_t overloadRejected = 0;  // 503 because the transaction table is full
    uint64_t optionsAnswered = 0;
    std::array<uint64_t, 7> responsesSent{};  // by class: [1] = 1xx ... [6] = 6xx
    uint64_t sendFailures = 0;
};

// The dialog layer above the SIP core (the B2BUA). When set, the requests it claims (INVITE,
// CANCEL, ACK, anything with a To tag) go to it after the transaction layer has seen them, instead
// of to uas_rules; it is given only new requests and ACKs for 2xx (retransmissions are absorbed
// here, overload answered 503 here).
struct DialogHandler {
    std::function<bool(const sip::Message&)> claims;
    std::function<void(const sip::Message&, const transaction::ServerResult&,
                       const transaction::Target&)>
        onRequest;
};

class SipServer {
  public:
    SipServer(transport::TransportLayer& transport, transaction::TransactionLayer& transactions,
              SipServerConfig config);
    SipServer(const SipServer&) = delete;
    SipServer& operator=(const SipServer&) = delete;

    // Entry point for the transport's receive handler.
    void onMessage(const transport::InboundMessage& in);

    void setDialogHandler(DialogHandler handler) { dialogs_ = std::move(handler); }

    const SipServerStats& stats() const noexcept { return stats_; }

    // Policy gate (controlplane/policy): screens every inbound message first; null: none.
    void setGate(InboundGate* gate) noexcept { gate_ = gate; }

  private:
    void onRequest(const sip::Message& req, const transport::InboundMessage& in);
    void onMalformed(const sip::Message& msg, const transport::InboundMessage& in);
    // Builds and sends a response outside any transaction (stateless).
    void sendStateless(const sip::Message& req, const transport::InboundMessage& in,
                       const Reply& reply);
    std::string buildReply(const sip::Message& req, const transport::InboundMessage& in,
                           const Reply& reply);
    std::string toTagFor(const sip::Message& req) const;
    void countSent(int code);
    // Applies a gate verdict to a request; true when the request is finished with.
    bool applyGateVerdict(const GateVerdict& v, const sip::Message& req,
                          const transport::InboundMessage& in);

    transport::TransportLayer& transport_;
    transaction::TransactionLayer& transactions_;
    SipServerConfig config_;
    SipServerStats stats_;
    uint64_t tagSecret_;  // makes stateless To tags unguessable yet stable per request
    DialogHandler dialogs_;
    InboundGate* gate_ = nullptr;
};

// The transaction-layer target for a message received on `in` (where responses go, §18.2.2).
// How the transport reaches a transaction-layer target.
transport::OutboundTarget outboundFor(const transaction::Target& t);

transaction::Target targetFor(const transport::InboundMessage& in, const sip::Message& req,
                              bool forceRport);

}  // namespace sbc::core
