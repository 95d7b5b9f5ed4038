#pragma once

// Shared helpers of the transaction tests: realistic SIP text, a layer on a FakeTimerService that
// records every send with the fake time it happened at.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/message.hpp"
#include "controlplane/sip/serializer.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/transaction_layer.hpp"

namespace sbc::transaction::test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// A request in the style of the RFC 3261 §24 examples. text() renders it with CRLFs.
struct Request {
    std::string method = "INVITE";
    std::string uri = "sip:bob@biloxi.example.com";
    std::string via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds";
    std::string from = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
    std::string to = "Bob <sip:bob@biloxi.example.com>";
    std::string callId = "a84b4c76e66710@pc33.atlanta.example.com";
    std::uint32_t cseq = 314159;
    std::string cseqMethod;          // empty: same as method
    std::vector<std::string> extra;  // whole header lines without CRLF, after Max-Forwards
    std::string body;

    std::string text() const {
        std::string s = method + " " + uri + " SIP/2.0\r\n";
        s += "Via: " + via + "\r\n";
        s += "Max-Forwards: 70\r\n";
        for (const std::string& h : extra) {
            s += h + "\r\n";
        }
        s += "From: " + from + "\r\n";
        s += "To: " + to + "\r\n";
        s += "Call-ID: " + callId + "\r\n";
        s += "CSeq: " + std::to_string(cseq) + " " + (cseqMethod.empty() ? method : cseqMethod) +
             "\r\n";
        if (!body.empty()) {
            s += "Content-Type: application/sdp\r\n";
        }
        s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        return s;
    }
    sip::Message parse() const { return sip::Message::parse(text()); }
};

// The response a UAS would send to `requestText` (RFC 3261 §8.2.6.2), with a To tag for codes
// above 100.
inline std::string responseTo(const std::string& requestText, int code,
                              std::string_view toTag = "a6c85cf") {
    sip::Message req = sip::Message::parse(requestText);
    EXPECT_TRUE(req.ok()) << req.errorText();
    sip::ResponseSpec spec;
    spec.code = code;
    spec.toTag = toTag;
    std::optional<std::string> bytes = sip::buildResponse(req, spec);
    EXPECT_TRUE(bytes.has_value());
    return bytes.value_or(std::string{});
}

inline Target udpPeer() {
    Target t;
    t.listenerId = 1;
    t.connectionId = 0;
    t.address = "192.0.2.10";
    t.port = 5060;
    t.reliable = false;
    return t;
}

inline Target tcpPeer() {
    Target t;
    t.listenerId = 2;
    t.connectionId = 7;
    t.address = "192.0.2.10";
    t.port = 40312;
    t.reliable = true;
    return t;
}

struct Sent {
    milliseconds at;  // fake time since the start of the test
    Target target;
    std::string bytes;
};

// A TransactionLayer on a FakeTimerService that records sends and server TU callbacks.
class Harness {
  public:
    explicit Harness(const TimerConfig& config = TimerConfig{})
        : layer(
              timers, config,
              [this](const Target& target, std::string_view bytes) {
                  sent.push_back(Sent{timers.elapsed(), target, std::string(bytes)});
              },
              TransactionLayer::ServerCallbacks{
                  [this](ServerTransactionId id) {
                      serverTimeouts.push_back(id);
                      serverTimeoutAt.push_back(timers.elapsed());
                  },
                  [this](ServerTransactionId id) { serverTerminated.push_back(id); }}) {}

    // Times of the sends so far.
    std::vector<milliseconds> sendTimes() const {
        std::vector<milliseconds> out;
        for (const Sent& s : sent) {
            out.push_back(s.at);
        }
        return out;
    }

    FakeTimerService timers;
    std::vector<Sent> sent;
    std::vector<ServerTransactionId> serverTimeouts;
    std::vector<milliseconds> serverTimeoutAt;
    std::vector<ServerTransactionId> serverTerminated;
    TransactionLayer layer;
};

// Times in milliseconds, for readable expectations.
inline std::vector<milliseconds> ms(std::initializer_list<long> values) {
    std::vector<milliseconds> out;
    for (long v : values) {
        out.emplace_back(v);
    }
    return out;
}

}  // namespace sbc::transaction::test
