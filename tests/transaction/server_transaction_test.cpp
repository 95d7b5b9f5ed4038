// Server transactions (RFC 3261 §17.2, RFC 6026): matching, the INVITE and non-INVITE state
// machines, CANCEL lookup and the transaction cap. Everything on FakeTimerService.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/transaction/test_support.hpp"

namespace sbc::transaction::test {
namespace {

using Kind = ServerResult::Kind;

Request ackFor(const Request& invite, std::string_view toTag) {
    Request ack = invite;
    ack.method = "ACK";
    ack.cseqMethod = "";
    ack.to = invite.to + ";tag=" + std::string(toTag);
    ack.extra.clear();
    ack.body.clear();
    return ack;
}

ServerResult receive(Harness& h, const Request& r, const Target& source = udpPeer()) {
    sip::Message m = r.parse();
    EXPECT_TRUE(m.ok()) << m.errorText() << "\n" << r.text();
    return h.layer.onRequest(m, source);
}

// ---- INVITE server ------------------------------------------------------------------------------

TEST(InviteServer, SendsTryingAfter200msUnlessTheTuResponded) {
    Harness h;
    Request invite;
    invite.extra = {"Timestamp: 54"};
    ServerResult r = receive(h, invite);
    ASSERT_EQ(r.kind, Kind::New);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Proceeding);

    h.timers.advance(100ms);
    // A retransmission before any response: absorbed, nothing to re-send yet.
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    h.timers.advance(99ms);
    EXPECT_TRUE(h.sent.empty());

    h.timers.advance(1ms);
    ASSERT_EQ(h.sent.size(), 1u);
    EXPECT_EQ(h.sent[0].at, 200ms);
    // §8.2.6.1: no To tag, Timestamp copied; §18.2.1: received added (sent-by is a name).
    EXPECT_EQ(h.sent[0].bytes,
              "SIP/2.0 100 Trying\r\n"
              "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;"
              "received=192.0.2.10\r\n"
              "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
              "To: Bob <sip:bob@biloxi.example.com>\r\n"
              "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
              "CSeq: 314159 INVITE\r\n"
              "Timestamp: 54\r\n"
              "Content-Length: 0\r\n\r\n");
    EXPECT_EQ(h.sent[0].target.address, "192.0.2.10");
    EXPECT_EQ(h.sent[0].target.port, 5060);
    EXPECT_EQ(h.layer.stats().tryingSent, 1u);

    // Now the 100 is the most recent provisional: a retransmission gets it again.
    h.timers.advance(100ms);
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    ASSERT_EQ(h.sent.size(), 2u);
    EXPECT_EQ(h.sent[1].at, 300ms);
    EXPECT_EQ(h.sent[1].bytes, h.sent[0].bytes);
    EXPECT_EQ(h.layer.stats().retransmissionsAbsorbed, 2u);
    EXPECT_EQ(h.layer.stats().responsesRetransmitted, 1u);
}

TEST(InviteServer, RetransmissionInProceedingResendsTheLatestProvisional) {
    Harness h;
    Request invite;
    ServerResult r = receive(h, invite);
    ASSERT_EQ(r.kind, Kind::New);
    h.timers.advance(50ms);
    std::string ringing = responseTo(invite.text(), 180);
    ASSERT_TRUE(h.layer.respond(r.id, 180, ringing));
    h.timers.advance(1s);  // no automatic 100 after the TU's 180
    ASSERT_EQ(h.sendTimes(), ms({50}));

    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    ASSERT_EQ(h.sendTimes(), ms({50, 1050}));
    EXPECT_EQ(h.sent[1].bytes, ringing);

    std::string progress = responseTo(invite.text(), 183);
    ASSERT_TRUE(h.layer.respond(r.id, 183, progress));
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    ASSERT_EQ(h.sent.size(), 4u);
    EXPECT_EQ(h.sent[3].bytes, progress);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Proceeding);
    EXPECT_EQ(h.layer.stats().tryingSent, 0u);
}

TEST(InviteServer, AutoTryingCanBeDisabled) {
    TimerConfig config;
    config.autoTrying = false;
    Harness h(config);
    ServerResult r = receive(h, Request{});
    ASSERT_EQ(r.kind, Kind::New);
    h.timers.advance(10s);
    EXPECT_TRUE(h.sent.empty());
    EXPECT_EQ(h.layer.state(r.id), ServerState::Proceeding);  // the TU owns its fate
}

TEST(InviteServer, Non2xxIsRetransmittedByTimerGUntilTimerHFires) {
    Harness h;
    Request invite;
    ServerResult r = receive(h, invite);
    ASSERT_EQ(r.kind, Kind::New);
    std::string notFound = responseTo(invite.text(), 404);
    ASSERT_TRUE(h.layer.respond(r.id, 404, notFound));
    EXPECT_EQ(h.layer.state(r.id), ServerState::Completed);

    h.timers.advance(31999ms);
    // Timer G: T1, then doubling up to T2: intervals 0.5, 1, 2, 4, 4, 4 ... seconds.
    EXPECT_EQ(h.sendTimes(),
              ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
    for (const Sent& s : h.sent) {
        EXPECT_EQ(s.bytes, notFound);
    }
    EXPECT_TRUE(h.serverTimeouts.empty());
    EXPECT_EQ(h.layer.state(r.id), ServerState::Completed);

    // Timer H = 64*T1: no ACK came. The TU is told, the transaction is gone.
    h.timers.advance(1ms);
    ASSERT_EQ(h.serverTimeouts, std::vector<ServerTransactionId>{r.id});
    EXPECT_EQ(h.serverTimeoutAt, ms({32000}));
    EXPECT_EQ(h.serverTerminated, std::vector<ServerTransactionId>{r.id});
    EXPECT_FALSE(h.layer.state(r.id).has_value());
    EXPECT_EQ(h.layer.stats().timeoutsH, 1u);
    EXPECT_EQ(h.layer.stats().responsesRetransmitted, 10u);
    EXPECT_EQ(h.layer.stats().serverActive, 0u);
    EXPECT_EQ(h.timers.pending(), 0u);

    h.timers.advance(1min);
    EXPECT_EQ(h.sent.size(), 11u);
    EXPECT_FALSE(h.layer.respond(r.id, 404, notFound));
}

TEST(InviteServer, AckConfirmsStopsTimerGAndTimerIEndsIt) {
    Harness h;
    Request invite;
    ServerResult r = receive(h, invite);
    std::string busy = responseTo(invite.text(), 486, "a6c85cf");
    ASSERT_TRUE(h.layer.respond(r.id, 486, busy));
    h.timers.advance(1000ms);
    // A retransmitted INVITE in Completed gets the final again at once.
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    EXPECT_EQ(h.sendTimes(), ms({0, 500, 1000}));

    h.timers.advance(200ms);
    Request ack = ackFor(invite, "a6c85cf");
    ServerResult a = receive(h, ack);
    EXPECT_EQ(a.kind, Kind::AckAbsorbed);
    EXPECT_EQ(a.id, r.id);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Confirmed);

    // Confirmed: no more retransmissions; ACK and INVITE retransmissions are absorbed silently.
    h.timers.advance(1000ms);
    EXPECT_EQ(receive(h, ack).kind, Kind::AckAbsorbed);
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);
    h.timers.advance(3999ms);  // 6199 ms: timer I (T4 from 1200 ms) not yet
    EXPECT_EQ(h.layer.state(r.id), ServerState::Confirmed);
    h.timers.advance(1ms);
    EXPECT_FALSE(h.layer.state(r.id).has_value());
    EXPECT_EQ(h.sendTimes(), ms({0, 500, 1000}));
    EXPECT_TRUE(h.serverTimeouts.empty());
    EXPECT_EQ(h.serverTerminated, std::vector<ServerTransactionId>{r.id});
    EXPECT_EQ(h.timers.pending(), 0u);
}

TEST(InviteServer, ReliableTransportHasNoTimerGAndTimerIIsZero) {
    Harness h;
    Request invite;
    invite.via = "SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds";
    ServerResult r = receive(h, invite, tcpPeer());
    std::string busy = responseTo(invite.text(), 486, "a6c85cf");
    ASSERT_TRUE(h.layer.respond(r.id, 486, busy));
    h.timers.advance(10s);
    ASSERT_EQ(h.sendTimes(), ms({0}));
    EXPECT_EQ(h.sent[0].target.connectionId, 7u);
    EXPECT_TRUE(h.sent[0].target.reliable);

    EXPECT_EQ(receive(h, ackFor(invite, "a6c85cf"), tcpPeer()).kind, Kind::AckAbsorbed);
    EXPECT_FALSE(h.layer.state(r.id).has_value());  // timer I = 0: straight to Terminated
    EXPECT_EQ(h.serverTerminated, std::vector<ServerTransactionId>{r.id});
}

TEST(InviteServer, ReliableTransportStillRunsTimerH) {
    Harness h;
    Request invite;
    invite.via = "SIP/2.0/TCP pc33.atlanta.example.com;branch=z9hG4bK776asdhds";
    ServerResult r = receive(h, invite, tcpPeer());
    ASSERT_TRUE(h.layer.respond(r.id, 503, responseTo(invite.text(), 503)));
    h.timers.advance(31999ms);
    EXPECT_TRUE(h.serverTimeouts.empty());
    h.timers.advance(1ms);
    EXPECT_EQ(h.serverTimeouts, std::vector<ServerTransactionId>{r.id});
    EXPECT_EQ(h.sent.size(), 1u);
}

TEST(InviteServer, SuccessEntersAcceptedAndAbsorbsInviteRetransmissions) {
    Harness h;
    Request invite;
    ServerResult r = receive(h, invite);
    h.timers.advance(100ms);
    std::string ok = responseTo(invite.text(), 200, "a6c85cf");
    ASSERT_TRUE(h.layer.respond(r.id, 200, ok));
    EXPECT_EQ(h.layer.state(r.id), ServerState::Accepted);

    // RFC 6026: a retransmitted INVITE is absorbed: not passed to the TU, nothing re-sent.
    h.timers.advance(400ms);
    ServerResult again = receive(h, invite);
    EXPECT_EQ(again.kind, Kind::Retransmission);
    EXPECT_EQ(again.id, r.id);
    EXPECT_EQ(h.sendTimes(), ms({100}));

    // The UAS core retransmits its 2xx through the transaction (§13.3.1.4); nothing else goes.
    EXPECT_TRUE(h.layer.respond(r.id, 200, ok));
    EXPECT_FALSE(h.layer.respond(r.id, 486, responseTo(invite.text(), 486)));
    EXPECT_FALSE(h.layer.respond(r.id, 180, responseTo(invite.text(), 180)));
    EXPECT_EQ(h.sendTimes(), ms({100, 500}));
    EXPECT_EQ(h.sent[1].bytes, ok);

    // The ACK for the 2xx is its own transaction: for the TU. One reusing the INVITE's branch
    // matches the Accepted transaction and goes to the TU as well (RFC 6026).
    Request ack2xx = ackFor(invite, "a6c85cf");
    ack2xx.via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnashds7";
    EXPECT_EQ(receive(h, ack2xx).kind, Kind::AckForUnknown);
    ServerResult sameBranch = receive(h, ackFor(invite, "a6c85cf"));
    EXPECT_EQ(sameBranch.kind, Kind::AckForUnknown);
    EXPECT_EQ(sameBranch.id, r.id);

    // Timer L = 64*T1 from the 2xx.
    h.timers.advance(31599ms);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Accepted);
    h.timers.advance(1ms);
    EXPECT_FALSE(h.layer.state(r.id).has_value());
    EXPECT_TRUE(h.serverTimeouts.empty());
    EXPECT_EQ(h.sent.size(), 2u);
    // Only now would a copy of the INVITE be a new request.
    EXPECT_EQ(receive(h, invite).kind, Kind::New);
}

TEST(InviteServer, Rfc2543RequestsAreMatchedWithoutBranch) {
    TimerConfig config;
    config.autoTrying = false;
    Harness h(config);
    Request invite;
    invite.via = "SIP/2.0/UDP oldphone.example.com:5060";  // RFC 2543: no branch at all
    ServerResult r = receive(h, invite);
    ASSERT_EQ(r.kind, Kind::New);
    EXPECT_EQ(receive(h, invite).kind, Kind::Retransmission);

    // A different CSeq, From tag, Request-URI or top Via is another request.
    Request other = invite;
    other.cseq = 314160;
    EXPECT_EQ(receive(h, other).kind, Kind::New);
    other = invite;
    other.from = "Alice <sip:alice@atlanta.example.com>;tag=999";
    EXPECT_EQ(receive(h, other).kind, Kind::New);
    other = invite;
    other.uri = "sip:carol@biloxi.example.com";
    EXPECT_EQ(receive(h, other).kind, Kind::New);
    other = invite;
    other.via = "SIP/2.0/UDP oldphone.example.com:5062";
    EXPECT_EQ(receive(h, other).kind, Kind::New);
    EXPECT_EQ(h.layer.serverCount(), 5u);

    std::string busy = responseTo(invite.text(), 486, "xyz");
    ASSERT_TRUE(h.layer.respond(r.id, 486, busy));
    // The ACK matches by Request-URI, From tag, Call-ID, CSeq number and top Via, and its To tag
    // must be the one of the response (§17.2.3).
    EXPECT_EQ(receive(h, ackFor(invite, "other")).kind, Kind::AckForUnknown);
    ServerResult a = receive(h, ackFor(invite, "xyz"));
    EXPECT_EQ(a.kind, Kind::AckAbsorbed);
    EXPECT_EQ(a.id, r.id);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Confirmed);
}

TEST(InviteServer, AckBeforeAnyFinalOrAfterA2543SuccessChangesNothing) {
    TimerConfig config;
    config.autoTrying = false;
    Harness h(config);
    Request invite;
    ServerResult r = receive(h, invite);
    // An ACK before any final response acknowledges nothing: dropped.
    ServerResult early = receive(h, ackFor(invite, "a6c85cf"));
    EXPECT_EQ(early.kind, Kind::AckAbsorbed);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Proceeding);

    Request old = invite;
    old.via = "SIP/2.0/UDP oldphone.example.com:5060";
    ServerResult o = receive(h, old);
    ASSERT_TRUE(h.layer.respond(o.id, 200, responseTo(old.text(), 200, "ok1")));
    // The ACK for an RFC 2543 2xx is the TU's as well.
    EXPECT_EQ(receive(h, ackFor(old, "ok1")).kind, Kind::AckForUnknown);
    EXPECT_EQ(h.layer.state(o.id), ServerState::Accepted);
    EXPECT_EQ(h.sent.size(), 1u);
}

TEST(InviteServer, Rfc2543BranchWithoutMagicCookieAndReInvite) {
    Harness h;
    Request reinvite;
    reinvite.via = "SIP/2.0/UDP oldphone.example.com;branch=1234abcd";  // not z9hG4bK
    reinvite.to = "Bob <sip:bob@biloxi.example.com>;tag=dlg42";
    ServerResult r = receive(h, reinvite);
    ASSERT_EQ(r.kind, Kind::New);
    EXPECT_EQ(receive(h, reinvite).kind, Kind::Retransmission);
    Request otherTag = reinvite;
    otherTag.to = "Bob <sip:bob@biloxi.example.com>;tag=dlg43";
    EXPECT_EQ(receive(h, otherTag).kind, Kind::New);

    ASSERT_TRUE(h.layer.respond(r.id, 491, responseTo(reinvite.text(), 491)));
    Request ack = reinvite;
    ack.method = "ACK";
    EXPECT_EQ(receive(h, ack).kind, Kind::AckAbsorbed);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Confirmed);
}

TEST(InviteServer, CancelIsItsOwnTransactionAndFindsTheInvite) {
    Harness h;
    Request invite;
    ServerResult inv = receive(h, invite);
    ASSERT_EQ(inv.kind, Kind::New);
    ASSERT_TRUE(h.layer.respond(inv.id, 180, responseTo(invite.text(), 180)));

    Request cancel = invite;
    cancel.method = "CANCEL";
    ServerResult c = receive(h, cancel);
    ASSERT_EQ(c.kind, Kind::New);  // §9.2: CANCEL is a transaction of its own
    EXPECT_NE(c.id, inv.id);
    EXPECT_EQ(h.layer.state(c.id), ServerState::Trying);
    EXPECT_EQ(h.layer.findInviteForCancel(cancel.parse()), inv.id);

    // Another branch or another sent-by: no match (the TU answers 481).
    Request stranger = cancel;
    stranger.via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKother";
    EXPECT_FALSE(h.layer.findInviteForCancel(stranger.parse()).has_value());
    stranger.via = "SIP/2.0/UDP pc34.atlanta.example.com:5060;branch=z9hG4bK776asdhds";
    EXPECT_FALSE(h.layer.findInviteForCancel(stranger.parse()).has_value());
    EXPECT_FALSE(h.layer.findInviteForCancel(invite.parse()).has_value());  // not a CANCEL

    // The TU: 200 to the CANCEL, 487 to the INVITE, which the UAC ACKs.
    std::string cancelOk = responseTo(cancel.text(), 200, "a6c85cf");
    ASSERT_TRUE(h.layer.respond(c.id, 200, cancelOk));
    ASSERT_TRUE(h.layer.respond(inv.id, 487, responseTo(invite.text(), 487, "a6c85cf")));
    EXPECT_EQ(receive(h, cancel).kind, Kind::Retransmission);
    EXPECT_EQ(h.sent.back().bytes, cancelOk);
    EXPECT_EQ(receive(h, ackFor(invite, "a6c85cf")).kind, Kind::AckAbsorbed);
    EXPECT_EQ(h.layer.state(inv.id), ServerState::Confirmed);
    EXPECT_EQ(h.layer.state(c.id), ServerState::Completed);
}

TEST(InviteServer, CancelFindsAnRfc2543Invite) {
    Harness h;
    Request invite;
    invite.via = "SIP/2.0/UDP oldphone.example.com:5060";
    ServerResult inv = receive(h, invite);
    Request cancel = invite;
    cancel.method = "CANCEL";
    EXPECT_EQ(receive(h, cancel).kind, Kind::New);
    EXPECT_EQ(h.layer.findInviteForCancel(cancel.parse()), inv.id);
    cancel.cseq = 1;
    EXPECT_FALSE(h.layer.findInviteForCancel(cancel.parse()).has_value());
}

// ---- matching and limits ------------------------------------------------------------------------

TEST(ServerTransaction, MatchingUsesBranchSentByAndMethod) {
    Harness h;
    Request invite;
    ServerResult r = receive(h, invite);
    ASSERT_EQ(r.kind, Kind::New);

    Request sameBranchOtherPort = invite;
    sameBranchOtherPort.via = "SIP/2.0/UDP pc33.atlanta.example.com:5070;branch=z9hG4bK776asdhds";
    EXPECT_EQ(receive(h, sameBranchOtherPort).kind, Kind::New);

    Request sameBranchOtherMethod = invite;
    sameBranchOtherMethod.method = "OPTIONS";
    EXPECT_EQ(receive(h, sameBranchOtherMethod).kind, Kind::New);

    // Branch and host are tokens: case-insensitive (§7.3.1).
    Request shouting = invite;
    shouting.via = "SIP/2.0/UDP PC33.atlanta.example.com:5060;branch=z9hG4bK776ASDHDS";
    ServerResult s = receive(h, shouting);
    EXPECT_EQ(s.kind, Kind::Retransmission);
    EXPECT_EQ(s.id, r.id);

    // A different Call-ID with the same branch still matches: RFC 3261 matching is by branch.
    Request sameBranch = invite;
    sameBranch.callId = "different@pc33.atlanta.example.com";
    EXPECT_EQ(receive(h, sameBranch).kind, Kind::Retransmission);
    EXPECT_EQ(h.layer.serverCount(), 3u);
}

TEST(ServerTransaction, OverloadedBeyondMaxTransactions) {
    TimerConfig config;
    config.maxTransactions = 2;
    Harness h(config);
    Request a;
    Request b;
    b.via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKbbbb";
    Request c;
    c.via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKcccc";
    ServerResult ra = receive(h, a);
    EXPECT_EQ(ra.kind, Kind::New);
    EXPECT_EQ(receive(h, b).kind, Kind::New);
    ServerResult rc = receive(h, c);
    EXPECT_EQ(rc.kind, Kind::Overloaded);
    EXPECT_EQ(rc.id, ServerTransactionId::None);
    EXPECT_EQ(h.layer.stats().overloadRejections, 1u);
    EXPECT_EQ(h.layer.stats().serverActive, 2u);

    // Matching requests still work when full.
    EXPECT_EQ(receive(h, a).kind, Kind::Retransmission);
    EXPECT_EQ(receive(h, ackFor(c, "x")).kind, Kind::AckForUnknown);

    EXPECT_TRUE(h.layer.terminate(ra.id));
    EXPECT_FALSE(h.layer.terminate(ra.id));
    EXPECT_EQ(receive(h, c).kind, Kind::New);
    EXPECT_EQ(h.layer.stats().serverCreated, 3u);
    EXPECT_EQ(h.layer.stats().serverTerminated, 1u);
}

TEST(ServerTransaction, RejectsWhatItCannotHandle) {
    Harness h;
    EXPECT_FALSE(h.layer.respond(ServerTransactionId::None, 200, "x"));
    EXPECT_FALSE(h.layer.respond(ServerTransactionId{42}, 200, "x"));
    Request invite;
    ServerResult r = receive(h, invite);
    EXPECT_FALSE(h.layer.respond(r.id, 99, "x"));
    EXPECT_FALSE(h.layer.respond(r.id, 700, "x"));
    EXPECT_TRUE(h.sent.empty());

    // Not a parsed request (a caller bug): dropped, counted, nothing created.
    sip::Message response = sip::Message::parse(responseTo(invite.text(), 200));
    ServerResult dropped = h.layer.onRequest(response, udpPeer());
    EXPECT_EQ(dropped.kind, Kind::Retransmission);
    EXPECT_EQ(dropped.id, ServerTransactionId::None);
    sip::Message garbage = sip::Message::parse("INVITE nonsense\r\n\r\n");
    EXPECT_EQ(h.layer.onRequest(garbage, udpPeer()).id, ServerTransactionId::None);
    EXPECT_EQ(h.layer.stats().invalidRequests, 2u);
    EXPECT_EQ(h.layer.serverCount(), 1u);
    EXPECT_FALSE(h.layer.findInviteForCancel(garbage).has_value());
}

TEST(ServerTransaction, TuMayRespondFromInsideTheTimeoutCallback) {
    TimerConfig config;
    std::vector<ServerResult> started;
    FakeTimerService timers;
    std::vector<std::string> sent;
    Request next;
    next.via = "SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bKnext";
    std::unique_ptr<TransactionLayer> layer;
    layer = std::make_unique<TransactionLayer>(
        timers, config, [&](const Target&, std::string_view b) { sent.emplace_back(b); },
        TransactionLayer::ServerCallbacks{[&](ServerTransactionId id) {
                                              // Re-entrant use: gone already, new one works.
                                              EXPECT_FALSE(layer->state(id).has_value());
                                              started.push_back(
                                                  layer->onRequest(next.parse(), udpPeer()));
                                          },
                                          {}});
    Request invite;
    ServerResult r = layer->onRequest(invite.parse(), udpPeer());
    ASSERT_TRUE(layer->respond(r.id, 480, responseTo(invite.text(), 480)));
    timers.advance(32s);
    ASSERT_EQ(started.size(), 1u);
    EXPECT_EQ(started[0].kind, Kind::New);
    EXPECT_EQ(layer->serverCount(), 1u);
    layer.reset();  // destroying the layer cancels its timers
    EXPECT_EQ(timers.pending(), 0u);
}

// ---- non-INVITE server --------------------------------------------------------------------------

Request bye() {
    Request r;
    r.method = "BYE";
    r.uri = "sip:alice@pc33.atlanta.example.com";
    r.via = "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10";
    r.from = "Bob <sip:bob@biloxi.example.com>;tag=a6c85cf";
    r.to = "Alice <sip:alice@atlanta.example.com>;tag=1928301774";
    r.cseq = 231;
    return r;
}

TEST(NonInviteServer, TryingAbsorbsRetransmissionsSilently) {
    Harness h;
    ServerResult r = receive(h, bye());
    ASSERT_EQ(r.kind, Kind::New);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Trying);
    h.timers.advance(5s);  // no automatic 100 for non-INVITE
    EXPECT_EQ(receive(h, bye()).kind, Kind::Retransmission);
    EXPECT_TRUE(h.sent.empty());
}

TEST(NonInviteServer, ProceedingResendsTheProvisional) {
    Harness h;
    ServerResult r = receive(h, bye());
    std::string trying = responseTo(bye().text(), 100);
    ASSERT_TRUE(h.layer.respond(r.id, 100, trying));
    EXPECT_EQ(h.layer.state(r.id), ServerState::Proceeding);
    h.timers.advance(700ms);
    EXPECT_EQ(receive(h, bye()).kind, Kind::Retransmission);
    EXPECT_EQ(h.sendTimes(), ms({0, 700}));
    EXPECT_EQ(h.sent[1].bytes, trying);
}

TEST(NonInviteServer, FinalIsResentForRetransmissionsUntilTimerJ) {
    Harness h;
    ServerResult r = receive(h, bye());
    std::string ok = responseTo(bye().text(), 200);
    ASSERT_TRUE(h.layer.respond(r.id, 200, ok));
    EXPECT_EQ(h.layer.state(r.id), ServerState::Completed);
    h.timers.advance(1000ms);
    EXPECT_EQ(receive(h, bye()).kind, Kind::Retransmission);
    // §17.2.2: further responses from the TU are discarded; no timer-driven retransmission.
    EXPECT_FALSE(h.layer.respond(r.id, 500, responseTo(bye().text(), 500)));
    EXPECT_FALSE(h.layer.respond(r.id, 100, responseTo(bye().text(), 100)));
    h.timers.advance(30999ms);  // 31999 ms
    EXPECT_EQ(h.sendTimes(), ms({0, 1000}));
    EXPECT_EQ(h.sent[1].bytes, ok);
    EXPECT_EQ(h.layer.state(r.id), ServerState::Completed);
    h.timers.advance(1ms);  // timer J = 64*T1
    EXPECT_FALSE(h.layer.state(r.id).has_value());
    EXPECT_EQ(h.serverTerminated, std::vector<ServerTransactionId>{r.id});
    EXPECT_TRUE(h.serverTimeouts.empty());
    EXPECT_EQ(receive(h, bye()).kind, Kind::New);
}

TEST(NonInviteServer, ReliableFinalTerminatesAtOnce) {
    Harness h;
    Request r = bye();
    r.via = "SIP/2.0/TCP 192.0.2.4;branch=z9hG4bKnashds10";
    ServerResult s = receive(h, r, tcpPeer());
    ASSERT_TRUE(h.layer.respond(s.id, 200, responseTo(r.text(), 200)));
    EXPECT_FALSE(h.layer.state(s.id).has_value());  // timer J = 0
    EXPECT_EQ(h.serverTerminated, std::vector<ServerTransactionId>{s.id});
    EXPECT_EQ(h.sent.size(), 1u);
    EXPECT_EQ(h.timers.pending(), 0u);
    EXPECT_EQ(h.layer.stats().serverActive, 0u);
}

}  // namespace
}  // namespace sbc::transaction::test
