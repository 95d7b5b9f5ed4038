// Client transactions (RFC 3261 §17.1, RFC 6026): retransmission and timeout timers, response
// matching, the ACK for non-2xx finals, transport errors. Everything on FakeTimerService.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/transaction/test_support.hpp"

namespace sbc::transaction::test {
namespace {

// What the TU saw of one client transaction.
struct Tu {
    std::vector<int> codes;
    std::vector<std::string> toTags;
    std::vector<milliseconds> at;
    int timeouts = 0;
    int transportErrors = 0;
    int terminated = 0;
    std::vector<milliseconds> timeoutAt;

    ClientCallbacks callbacks(Harness& h, bool withTransportError = true) {
        ClientCallbacks cb;
        cb.onResponse = [this, &h](const sip::Message& m) {
            codes.push_back(m.statusCode());
            toTags.emplace_back(m.to().tag());
            at.push_back(h.timers.elapsed());
        };
        cb.onTimeout = [this, &h] {
            ++timeouts;
            timeoutAt.push_back(h.timers.elapsed());
        };
        if (withTransportError) {
            cb.onTransportError = [this] { ++transportErrors; };
        }
        cb.onTerminated = [this] { ++terminated; };
        return cb;
    }
};

// The INVITE the SBC sends on its outbound leg.
Request outInvite() {
    Request r;
    r.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKnashds8";
    r.extra = {"Route: <sip:p1.example.com;lr>", "Route: <sip:p2.example.com;lr>",
               "Contact: <sip:sbc.example.net:5060>"};
    r.body = "v=0\r\n";
    return r;
}

Request outOptions() {
    Request r;
    r.method = "OPTIONS";
    r.uri = "sip:carol@chicago.example.com";
    r.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKhjhs8ass877";
    r.to = "<sip:carol@chicago.example.com>";
    r.cseq = 63104;
    return r;
}

bool deliver(Harness& h, const std::string& response) {
    sip::Message m = sip::Message::parse(response);
    EXPECT_TRUE(m.ok()) << m.errorText();
    return h.layer.onResponse(m);
}

StartResult start(Harness& h, Tu& tu, const Request& r, const Target& target = udpPeer()) {
    StartResult s = h.layer.sendRequest(r.text(), target, tu.callbacks(h));
    EXPECT_TRUE(s.ok());
    return s;
}

// ---- INVITE client ------------------------------------------------------------------------------

TEST(InviteClient, UdpRetransmitsWithDoublingIntervalsThenTimerBFires) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    StartResult s = start(h, tu, invite);
    EXPECT_EQ(h.layer.state(s.id), ClientState::Calling);
    h.timers.advance(31999ms);
    // Timer A: T1, 2*T1, 4*T1, ... (no cap for INVITE, §17.1.1.2).
    EXPECT_EQ(h.sendTimes(), ms({0, 500, 1500, 3500, 7500, 15500, 31500}));
    for (const Sent& sent : h.sent) {
        EXPECT_EQ(sent.bytes, invite.text());
        EXPECT_EQ(sent.target.address, "192.0.2.10");
    }
    EXPECT_EQ(tu.timeouts, 0);

    h.timers.advance(1ms);  // timer B = 64*T1
    EXPECT_EQ(tu.timeouts, 1);
    EXPECT_EQ(tu.timeoutAt, ms({32000}));
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    EXPECT_EQ(h.layer.stats().timeoutsB, 1u);
    EXPECT_EQ(h.layer.stats().requestsRetransmitted, 6u);
    EXPECT_EQ(h.layer.stats().clientActive, 0u);
    EXPECT_EQ(h.timers.pending(), 0u);
    h.timers.advance(1min);
    EXPECT_EQ(h.sent.size(), 7u);
    EXPECT_TRUE(tu.codes.empty());
}

TEST(InviteClient, TimersFollowT1) {
    TimerConfig config;
    config.t1 = 100ms;
    Harness h(config);
    Tu tu;
    start(h, tu, outInvite());
    h.timers.advance(10s);
    EXPECT_EQ(h.sendTimes(), ms({0, 100, 300, 700, 1500, 3100, 6300}));
    EXPECT_EQ(tu.timeoutAt, ms({6400}));
}

TEST(InviteClient, ReliableTransportNeverRetransmits) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    invite.via = "SIP/2.0/TCP sbc.example.net;branch=z9hG4bKnashds8";
    StartResult s = start(h, tu, invite, tcpPeer());
    h.timers.advance(31999ms);
    EXPECT_EQ(h.sendTimes(), ms({0}));
    EXPECT_EQ(h.sent[0].target.connectionId, 7u);
    h.timers.advance(1ms);
    EXPECT_EQ(tu.timeouts, 1);
    EXPECT_FALSE(h.layer.state(s.id).has_value());
}

TEST(InviteClient, ProvisionalStopsRetransmissionsAndTimerB) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    StartResult s = start(h, tu, invite);
    h.timers.advance(600ms);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 100, "")));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Proceeding);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 180)));
    h.timers.advance(2min);
    EXPECT_EQ(h.sendTimes(), ms({0, 500}));
    EXPECT_EQ(tu.codes, (std::vector<int>{100, 180}));  // every 1xx goes up
    EXPECT_EQ(tu.at, ms({600, 600}));
    EXPECT_EQ(tu.timeouts, 0);  // timer B is for Calling only
    EXPECT_EQ(h.layer.state(s.id), ClientState::Proceeding);

    // §9.1: the TU gives up (no final 64*T1 after its CANCEL).
    EXPECT_TRUE(h.layer.terminate(s.id));
    EXPECT_FALSE(h.layer.terminate(s.id));
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_EQ(tu.timeouts, 0);
}

TEST(InviteClient, Non2xxFinalIsAckedByTheLayerAndTimerDEndsIt) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    StartResult s = start(h, tu, invite);
    h.timers.advance(1000ms);
    std::string busy = responseTo(invite.text(), 486, "a6c85cf");
    ASSERT_TRUE(deliver(h, busy));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Completed);
    EXPECT_EQ(tu.codes, std::vector<int>{486});
    ASSERT_EQ(h.sendTimes(), ms({0, 500, 1000}));
    // §17.1.1.3: Request-URI, top Via, Route headers, From, Call-ID and CSeq number of the
    // INVITE, To of the response, method ACK.
    const std::string ack =
        "ACK sip:bob@biloxi.example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKnashds8\r\n"
        "Route: <sip:p1.example.com;lr>\r\n"
        "Route: <sip:p2.example.com;lr>\r\n"
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
        "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
        "CSeq: 314159 ACK\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n";
    EXPECT_EQ(h.sent[2].bytes, ack);
    EXPECT_EQ(h.sent[2].target.address, "192.0.2.10");
    sip::Message parsedAck = sip::Message::parse(h.sent[2].bytes);
    EXPECT_TRUE(parsedAck.ok()) << parsedAck.errorText();

    // No more INVITE retransmissions; a repeated 486 is ACKed again and not passed up.
    h.timers.advance(1000ms);
    ASSERT_TRUE(deliver(h, busy));
    EXPECT_EQ(h.sendTimes(), ms({0, 500, 1000, 2000}));
    EXPECT_EQ(h.sent[3].bytes, ack);
    EXPECT_EQ(tu.codes, std::vector<int>{486});
    EXPECT_EQ(h.layer.stats().acksSent, 2u);
    EXPECT_EQ(h.layer.stats().responsesAbsorbed, 1u);

    // Timer D (32 s) from the first 486.
    h.timers.advance(30999ms);  // 32999 ms
    EXPECT_EQ(h.layer.state(s.id), ClientState::Completed);
    h.timers.advance(1ms);
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_EQ(tu.timeouts, 0);
    EXPECT_EQ(h.sent.size(), 4u);
    EXPECT_FALSE(deliver(h, busy));  // now a stray
    EXPECT_EQ(h.layer.stats().strayResponses, 1u);
}

TEST(InviteClient, AckCarriesOnlyTheTopViaAndNoRoutesWhenThereWereNone) {
    Harness h;
    Tu tu;
    Request invite;
    invite.via =
        "SIP/2.0/UDP sbc.example.net;branch=z9hG4bKtop, SIP/2.0/UDP "
        "pc33.atlanta.example.com;branch=z9hG4bKbottom";
    start(h, tu, invite);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 404, "nf1")));
    ASSERT_EQ(h.sent.size(), 2u);
    EXPECT_EQ(h.sent[1].bytes,
              "ACK sip:bob@biloxi.example.com SIP/2.0\r\n"
              "Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKtop\r\n"
              "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
              "To: Bob <sip:bob@biloxi.example.com>;tag=nf1\r\n"
              "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
              "CSeq: 314159 ACK\r\n"
              "Max-Forwards: 70\r\n"
              "Content-Length: 0\r\n\r\n");
}

TEST(InviteClient, Non2xxOverReliableTransportIsAckedAndTerminatesAtOnce) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    invite.via = "SIP/2.0/TLS sbc.example.net;branch=z9hG4bKnashds8";
    StartResult s = start(h, tu, invite, tcpPeer());
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 503)));
    ASSERT_EQ(h.sent.size(), 2u);
    EXPECT_TRUE(h.sent[1].bytes.starts_with("ACK sip:bob@biloxi.example.com SIP/2.0\r\n"));
    EXPECT_FALSE(h.layer.state(s.id).has_value());  // timer D = 0
    EXPECT_EQ(tu.codes, std::vector<int>{503});
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_EQ(h.timers.pending(), 0u);
}

TEST(InviteClient, SuccessEntersAcceptedAndPassesEvery2xx) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    StartResult s = start(h, tu, invite);
    h.timers.advance(700ms);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 200, "fork1")));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Accepted);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 200, "fork1")));  // retransmission
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 200, "fork2")));  // another fork
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 486, "fork3")));  // absorbed
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 180, "fork4")));  // absorbed
    EXPECT_EQ(tu.codes, (std::vector<int>{200, 200, 200}));
    EXPECT_EQ(tu.toTags, (std::vector<std::string>{"fork1", "fork1", "fork2"}));
    // The layer never ACKs a 2xx (the TU does, §13.2.2.4) and stops retransmitting.
    h.timers.advance(31299ms);  // 31999 ms
    EXPECT_EQ(h.sendTimes(), ms({0, 500}));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Accepted);
    h.timers.advance(700ms);  // 32699 ms
    EXPECT_EQ(h.layer.state(s.id), ClientState::Accepted);
    h.timers.advance(1ms);  // timer M = 64*T1 from the first 2xx
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    EXPECT_EQ(tu.timeouts, 0);
    EXPECT_EQ(tu.terminated, 1);
}

TEST(InviteClient, StrayResponsesAreRefused) {
    Harness h;
    Tu tu;
    Request invite = outInvite();
    start(h, tu, invite);
    Request other = invite;
    other.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKunknown";
    EXPECT_FALSE(deliver(h, responseTo(other.text(), 200)));
    // Same branch, CSeq method CANCEL: there is no CANCEL client transaction.
    Request cancel = invite;
    cancel.method = "CANCEL";
    cancel.extra.clear();
    cancel.body.clear();
    EXPECT_FALSE(deliver(h, responseTo(cancel.text(), 200)));
    // A request is not a response.
    EXPECT_FALSE(h.layer.onResponse(invite.parse()));
    EXPECT_EQ(h.layer.stats().strayResponses, 3u);
    EXPECT_TRUE(tu.codes.empty());
}

TEST(InviteClient, CancelIsItsOwnClientTransactionOnTheSameBranch) {
    Harness h;
    Tu inviteTu;
    Tu cancelTu;
    Request invite = outInvite();
    StartResult inv = start(h, inviteTu, invite);
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 180)));

    Request cancel = invite;
    cancel.method = "CANCEL";
    cancel.extra = {"Route: <sip:p1.example.com;lr>", "Route: <sip:p2.example.com;lr>"};
    cancel.body.clear();
    StartResult can = start(h, cancelTu, cancel);
    EXPECT_NE(inv.id, can.id);
    EXPECT_EQ(h.layer.state(can.id), ClientState::Trying);

    ASSERT_TRUE(deliver(h, responseTo(cancel.text(), 200)));
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 487)));
    EXPECT_EQ(cancelTu.codes, std::vector<int>{200});
    EXPECT_EQ(inviteTu.codes, (std::vector<int>{180, 487}));
    EXPECT_EQ(h.layer.state(can.id), ClientState::Completed);
    EXPECT_EQ(h.layer.state(inv.id), ClientState::Completed);
    EXPECT_TRUE(h.sent.back().bytes.starts_with("ACK "));
}

TEST(InviteClient, TransportErrorTellsTheTuAndTerminates) {
    Harness h;
    Tu tu;
    StartResult s = start(h, tu, outInvite());
    h.layer.onTransportError(s.id);
    EXPECT_EQ(tu.transportErrors, 1);
    EXPECT_EQ(tu.timeouts, 0);
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    h.timers.advance(1min);
    EXPECT_EQ(h.sent.size(), 1u);
    h.layer.onTransportError(s.id);  // unknown now: ignored
    EXPECT_EQ(h.layer.stats().transportErrors, 1u);

    // Without onTransportError the TU hears a timeout (§8.1.3.1 treats both alike).
    Tu plain;
    Request second = outInvite();
    second.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKsecond";
    StartResult s2 = h.layer.sendRequest(second.text(), udpPeer(), plain.callbacks(h, false));
    h.layer.onTransportError(s2.id);
    EXPECT_EQ(plain.timeouts, 1);

    // After the final the TU has its answer: the transaction just ends.
    Tu late;
    Request third = outInvite();
    third.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKthird";
    StartResult s3 = start(h, late, third);
    ASSERT_TRUE(deliver(h, responseTo(third.text(), 404)));
    h.layer.onTransportError(s3.id);
    EXPECT_EQ(late.transportErrors, 0);
    EXPECT_EQ(late.terminated, 1);
    EXPECT_FALSE(h.layer.state(s3.id).has_value());
}

TEST(InviteClient, TuMayTerminateOrStartTransactionsFromItsCallbacks) {
    Harness h;
    Request invite = outInvite();
    Request failover = outInvite();
    failover.via = "SIP/2.0/UDP sbc.example.net:5060;branch=z9hG4bKfailover";
    int terminated = 0;
    StartResult next;
    StartResult first;
    ClientCallbacks cb;
    cb.onResponse = [&](const sip::Message& m) {
        // Try the next hop; this transaction is dropped at once.
        EXPECT_EQ(m.statusCode(), 503);
        EXPECT_TRUE(h.layer.terminate(first.id));
        next = h.layer.sendRequest(failover.text(), tcpPeer(), {});
    };
    cb.onTerminated = [&] { ++terminated; };
    first = h.layer.sendRequest(invite.text(), udpPeer(), cb);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(deliver(h, responseTo(invite.text(), 503)));
    EXPECT_TRUE(next.ok());
    EXPECT_EQ(terminated, 1);
    EXPECT_FALSE(h.layer.state(first.id).has_value());
    EXPECT_EQ(h.layer.state(next.id), ClientState::Calling);
    // INVITE, ACK for the 503, the failover INVITE.
    ASSERT_EQ(h.sent.size(), 3u);
    EXPECT_TRUE(h.sent[1].bytes.starts_with("ACK "));
    EXPECT_EQ(h.sent[2].bytes, failover.text());
}

TEST(ClientTransaction, RefusesRequestsItCannotTrack) {
    TimerConfig config;
    config.maxTransactions = 1;
    Harness h(config);
    Request ack = outInvite();
    ack.method = "ACK";
    ack.body.clear();
    EXPECT_EQ(h.layer.sendRequest(ack.text(), udpPeer(), {}).error, StartError::AckRequest);

    Request rfc2543 = outInvite();
    rfc2543.via = "SIP/2.0/UDP sbc.example.net:5060";
    EXPECT_EQ(h.layer.sendRequest(rfc2543.text(), udpPeer(), {}).error,
              StartError::NoRfc3261Branch);
    EXPECT_EQ(h.layer.sendRequest("not sip at all", udpPeer(), {}).error, StartError::BadRequest);

    StartResult ok = h.layer.sendRequest(outInvite().text(), udpPeer(), {});
    EXPECT_TRUE(ok.ok());
    EXPECT_NE(ok.id, ClientTransactionId::None);
    EXPECT_EQ(h.layer.sendRequest(outInvite().text(), udpPeer(), {}).error,
              StartError::DuplicateBranch);
    StartResult full = h.layer.sendRequest(outOptions().text(), udpPeer(), {});
    EXPECT_EQ(full.error, StartError::Overloaded);
    EXPECT_EQ(full.id, ClientTransactionId::None);
    EXPECT_EQ(h.layer.stats().overloadRejections, 1u);
    EXPECT_EQ(h.layer.stats().clientCreated, 1u);
    EXPECT_EQ(h.sent.size(), 1u);  // only the accepted INVITE went out

    // The pre-parsed overload.
    EXPECT_TRUE(h.layer.terminate(ok.id));
    Request options = outOptions();
    sip::Message parsed = options.parse();
    StartResult viaParsed = h.layer.sendRequest(parsed, options.text(), udpPeer(), {});
    EXPECT_TRUE(viaParsed.ok());
    EXPECT_EQ(h.layer.state(viaParsed.id), ClientState::Trying);
}

// ---- non-INVITE client --------------------------------------------------------------------------

TEST(NonInviteClient, UdpRetransmitsUpToT2ThenTimerFFires) {
    Harness h;
    Tu tu;
    Request options = outOptions();
    StartResult s = start(h, tu, options);
    EXPECT_EQ(h.layer.state(s.id), ClientState::Trying);
    h.timers.advance(31999ms);
    // Timer E: T1, doubling, capped at T2 (§17.1.2.2).
    EXPECT_EQ(h.sendTimes(),
              ms({0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}));
    for (const Sent& sent : h.sent) {
        EXPECT_EQ(sent.bytes, options.text());
    }
    EXPECT_EQ(tu.timeouts, 0);
    h.timers.advance(1ms);  // timer F = 64*T1
    EXPECT_EQ(tu.timeoutAt, ms({32000}));
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_EQ(h.layer.stats().timeoutsF, 1u);
    EXPECT_EQ(h.layer.stats().requestsRetransmitted, 10u);
    EXPECT_EQ(h.timers.pending(), 0u);
}

TEST(NonInviteClient, ProvisionalMakesTimerERunAtT2) {
    Harness h;
    Tu tu;
    Request options = outOptions();
    StartResult s = start(h, tu, options);
    h.timers.advance(100ms);
    ASSERT_TRUE(deliver(h, responseTo(options.text(), 100, "")));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Proceeding);
    EXPECT_EQ(tu.codes, std::vector<int>{100});
    h.timers.advance(31899ms);  // 31999 ms
    // The pending timer E fires at 500 ms; in Proceeding it is reset to T2 each time.
    EXPECT_EQ(h.sendTimes(), ms({0, 500, 4500, 8500, 12500, 16500, 20500, 24500, 28500}));
    EXPECT_EQ(tu.timeouts, 0);
    h.timers.advance(1ms);  // timer F still applies in Proceeding
    EXPECT_EQ(tu.timeouts, 1);
}

TEST(NonInviteClient, FinalCompletesAbsorbsRepeatsAndTimerKEndsIt) {
    Harness h;
    Tu tu;
    Request options = outOptions();
    StartResult s = start(h, tu, options);
    h.timers.advance(700ms);
    std::string ok = responseTo(options.text(), 200);
    ASSERT_TRUE(deliver(h, ok));
    EXPECT_EQ(h.layer.state(s.id), ClientState::Completed);
    ASSERT_TRUE(deliver(h, ok));  // absorbed
    ASSERT_TRUE(deliver(h, responseTo(options.text(), 180)));
    EXPECT_EQ(tu.codes, std::vector<int>{200});
    EXPECT_EQ(tu.at, ms({700}));
    h.timers.advance(4999ms);  // timer K = T4 from 700 ms
    EXPECT_EQ(h.layer.state(s.id), ClientState::Completed);
    EXPECT_EQ(h.sendTimes(), ms({0, 500}));
    h.timers.advance(1ms);
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    EXPECT_EQ(tu.terminated, 1);
    EXPECT_EQ(tu.timeouts, 0);
    EXPECT_EQ(h.layer.stats().responsesAbsorbed, 2u);
}

TEST(NonInviteClient, ReliableTransportNoRetransmissionsAndTimerKIsZero) {
    Harness h;
    Tu tu;
    Request options = outOptions();
    options.via = "SIP/2.0/TCP sbc.example.net;branch=z9hG4bKhjhs8ass877";
    StartResult s = start(h, tu, options, tcpPeer());
    h.timers.advance(10s);
    EXPECT_EQ(h.sendTimes(), ms({0}));
    ASSERT_TRUE(deliver(h, responseTo(options.text(), 200)));
    EXPECT_EQ(tu.codes, std::vector<int>{200});
    EXPECT_FALSE(h.layer.state(s.id).has_value());
    EXPECT_EQ(tu.terminated, 1);

    Tu silent;
    Request bye = outOptions();
    bye.method = "BYE";
    bye.via = "SIP/2.0/TCP sbc.example.net;branch=z9hG4bKbye1";
    start(h, silent, bye, tcpPeer());
    h.timers.advance(31999ms);
    EXPECT_EQ(h.sent.size(), 2u);
    EXPECT_EQ(silent.timeouts, 0);
    h.timers.advance(1ms);
    EXPECT_EQ(silent.timeouts, 1);
}

TEST(ClientTransaction, DestroyingTheLayerCancelsItsTimers) {
    FakeTimerService timers;
    int sends = 0;
    {
        TransactionLayer layer(timers, TimerConfig{},
                               [&](const Target&, std::string_view) { ++sends; });
        EXPECT_TRUE(layer.sendRequest(outInvite().text(), udpPeer(), {}).ok());
        EXPECT_TRUE(layer.sendRequest(outOptions().text(), udpPeer(), {}).ok());
        EXPECT_GT(timers.pending(), 0u);
    }
    EXPECT_EQ(timers.pending(), 0u);
    timers.advance(1min);
    EXPECT_EQ(sends, 2);
}

}  // namespace
}  // namespace sbc::transaction::test
