// Call set-up through the B2BUA: the outbound leg built fresh, topology hiding, SDP relay,
// 180/183/200/ACK, BYE from either side, CDRs, rejections.
#include <gtest/gtest.h>

#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

// Strings of leg A that must never appear in anything sent to B, and the other way round.
const std::vector<std::string> kCarrierSecrets = {
    "carrier-call-1", "carrierTag1",   "z9hG4bKcarrierbranch1", "198.51.100.7", "192.168.77.1",
    "rr.carrier",     "CarrierSwitch", "carrier.example",       "X-Other",      "secret",
    "49170",          "internalhop"};
const std::vector<std::string> kPbxSecrets = {"pbxTag",       "10.1.1.20", "rr.pbx.internal",
                                              "PBX-Internal", "6000",      "sip:pbx@"};

void expectNoLeak(const Harness& h, const std::string& address,
                  const std::vector<std::string>& secrets) {
    for (const std::string& m : h.sentTo(address)) {
        for (const std::string& s : secrets) {
            EXPECT_EQ(m.find(s), std::string::npos) << "'" << s << "' leaked in:\n" << m;
        }
    }
}

struct Established {
    std::string bInvite;
    std::string aOk;
};

Established establish(Harness& h, const InviteFromA& inv = {}) {
    Established e;
    h.request(inv.text());
    e.bInvite = h.last("10.1.1.10", "INVITE ");
    EXPECT_FALSE(e.bInvite.empty());
    h.response(responseFrom(e.bInvite, 100, ""));
    h.response(responseFrom(e.bInvite, 180, "pbxTag1"));
    h.response(responseFrom(e.bInvite, 200, "pbxTag1", kAnswerB));
    e.aOk = h.last("198.51.100.7", "SIP/2.0 200");
    EXPECT_FALSE(e.aOk.empty());
    DialogView a = viewFromResponse(e.aOk);
    h.request(inDialog(a, "ACK", 10, "z9hG4bKcarrierack1", "198.51.100.7:5062", {}, {}, "ACK"));
    return e;
}

TEST(CallSetup, OutboundInviteIsBuiltFresh) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string out = h.last("10.1.1.10", "INVITE ");
    ASSERT_FALSE(out.empty());
    sip::Message m = sip::Message::parse(out);
    ASSERT_TRUE(m.ok()) << out;
    EXPECT_EQ(m.requestUriText(), "sip:+15550001@10.1.1.10:5060");
    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].host, "10.0.0.5");
    EXPECT_EQ(m.vias()[0].port, 5060);
    EXPECT_TRUE(m.vias()[0].rfc3261Branch());
    EXPECT_NE(m.vias()[0].branch(), inv.branch);
    EXPECT_NE(m.callId(), inv.callId);
    EXPECT_FALSE(m.from().tag().empty());
    EXPECT_NE(m.from().tag(), inv.fromTag);
    EXPECT_TRUE(m.to().tag().empty());
    EXPECT_EQ(std::string(m.from().displayName), "\"Alice\"");
    EXPECT_EQ(m.from().uri.raw, "sip:+14440001@10.0.0.5:5060");
    EXPECT_EQ(m.to().uri.raw, "sip:+15550001@10.1.1.10:5060");
    EXPECT_EQ(m.maxForwards(), 69);  // §16.6 step 3
    EXPECT_EQ(m.cseq().number, 1u);
    ASSERT_EQ(m.contacts().size(), 1u);
    EXPECT_EQ(m.contacts()[0].uri.raw, "sip:10.0.0.5:5060");
    EXPECT_TRUE(m.recordRoutes().empty());
    EXPECT_TRUE(m.routes().empty());
    EXPECT_EQ(headerOf(out, "User-Agent"), "sbc");
    EXPECT_EQ(headerOf(out, "P-Asserted-Identity"), "<sip:+14440001@pai.example>");
    EXPECT_EQ(headerOf(out, "X-Keep"), "yes");
    EXPECT_EQ(headerCount(out, "X-Strip"), 0u);  // allowed but stripped
    EXPECT_EQ(headerCount(out, "X-Other"), 0u);  // not allowed
    // SDP: inside relay address and port, both m-lines, video still rejected, ICE gone.
    std::string sdp = bodyOf(out);
    EXPECT_NE(sdp.find("c=IN IP4 10.0.0.100\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=audio 30002 RTP/AVP 0 8 101\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("a=rtcp:30003 IN IP4 10.0.0.100\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=video 0 RTP/AVP 96\r\n"), std::string::npos) << sdp;
    EXPECT_LT(sdp.find("m=audio"), sdp.find("m=video"));
    EXPECT_EQ(sdp.find("ice-ufrag"), std::string::npos);
    EXPECT_EQ(sdp.find("candidate"), std::string::npos);
    EXPECT_EQ(sdp.find("Carrier Media"), std::string::npos);
    EXPECT_EQ(std::to_string(sdp.size()), headerOf(out, "Content-Length"));
    // The relay learnt A's remotes.
    ASSERT_EQ(h.media.sessions.size(), 1u);
    const auto& streams = h.media.sessions.begin()->second;
    ASSERT_EQ(streams.size(), 2u);
    EXPECT_EQ(streams[0].a.side, "outside");
    EXPECT_EQ(streams[0].b.side, "inside");
    EXPECT_EQ(streams[0].a.remote.ip, "198.51.100.7");
    EXPECT_EQ(streams[0].a.remote.port, 49170);
    EXPECT_EQ(streams[0].a.remoteRtcpPort, 49171);
    EXPECT_EQ(streams[1].a.remote.port, 0);
    expectNoLeak(h, "10.1.1.10", kCarrierSecrets);
}

TEST(CallSetup, EarlyMediaAnswerAndByeFromCaller) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 100, ""));
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 1").empty());  // 100 is hop by hop

    h.response(responseFrom(bInvite, 183, "pbxTag1", kAnswerB, {"X-Keep: early"}));
    std::string early = h.last("198.51.100.7", "SIP/2.0 183");
    ASSERT_FALSE(early.empty());
    sip::Message em = sip::Message::parse(early);
    std::string aTag(em.to().tag());
    EXPECT_FALSE(aTag.empty());
    EXPECT_NE(aTag, "pbxTag1");
    EXPECT_EQ(em.callId(), inv.callId);
    EXPECT_EQ(em.vias().size(), 2u);
    EXPECT_NE(em.vias()[0].raw.find("received=198.51.100.7"), std::string_view::npos);
    EXPECT_NE(em.vias()[0].raw.find("rport=5062"), std::string_view::npos);
    EXPECT_EQ(headerOf(early, "Server"), "sbc");
    EXPECT_EQ(headerCount(early, "X-Keep"), 0u);  // the carrier trunk does not allow it
    EXPECT_EQ(em.contacts().front().uri.raw, "sip:203.0.113.5:5060");
    std::string sdp = bodyOf(early);
    EXPECT_NE(sdp.find("c=IN IP4 203.0.113.100"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=audio 30000 RTP/AVP 0 101"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=video 0 "), std::string::npos) << sdp;

    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    ASSERT_FALSE(ok.empty());
    EXPECT_EQ(sip::Message::parse(ok).to().tag(), aTag);  // one To tag on A
    // §13.2.2.4: ACK to B at once (the offer was in the INVITE).
    std::string bAck = h.last("10.1.1.10", "ACK ");
    ASSERT_FALSE(bAck.empty());
    sip::Message ack = sip::Message::parse(bAck);
    EXPECT_EQ(ack.requestUriText(), "sip:pbx@10.1.1.10:5060");  // B's Contact
    EXPECT_EQ(ack.cseq().number, 1u);
    EXPECT_EQ(ack.to().tag(), "pbxTag1");
    ASSERT_EQ(ack.routes().size(), 1u);  // B's Record-Route, on B's leg only
    EXPECT_EQ(ack.routes()[0].uri.raw, "sip:rr.pbx.internal;lr");
    EXPECT_EQ(h.media.sessions.begin()->second[0].b.remote.ip, "10.1.1.20");
    EXPECT_EQ(h.media.sessions.begin()->second[0].b.remote.port, 6000);

    DialogView a = viewFromResponse(ok);
    h.request(inDialog(a, "ACK", 10, "z9hG4bKcarrierack1", "198.51.100.7:5062", {}, {}, "ACK"));
    // 2xx no longer retransmitted once ACKed.
    size_t oks = h.count("198.51.100.7", "SIP/2.0 200");
    h.timers.advance(10s);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), oks);

    h.request(inDialog(a, "BYE", 11, "z9hG4bKcarrierbye1", "198.51.100.7:5062", {},
                       {"Reason: Q.850;cause=16"}));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 200").empty());
    std::string bye = h.last("10.1.1.10", "BYE ");
    ASSERT_FALSE(bye.empty());
    sip::Message bm = sip::Message::parse(bye);
    EXPECT_EQ(bm.requestUriText(), "sip:pbx@10.1.1.10:5060");
    EXPECT_EQ(bm.cseq().number, 2u);
    EXPECT_EQ(headerOf(bye, "Reason"), "Q.850;cause=16");
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(h.media.releases, 1);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    const CdrRecord& r = h.cdr.records[0];
    EXPECT_EQ(r.result, 200);
    EXPECT_EQ(r.reason, "caller_bye");
    EXPECT_EQ(r.fromTrunk, "carrier");
    EXPECT_EQ(r.toTrunk, "pbx");
    EXPECT_EQ(r.callee, "+15550001");
    EXPECT_TRUE(r.answer.has_value());
    EXPECT_EQ(r.media.size(), 4u);
    EXPECT_EQ(r.media[0].packets, 100u);
    h.response(responseFrom(bye, 200, ""));

    expectNoLeak(h, "10.1.1.10", kCarrierSecrets);
    expectNoLeak(h, "198.51.100.7", kPbxSecrets);
}

TEST(CallSetup, ByeFromCallee) {
    Harness h;
    Established e = establish(h);
    std::string bAck = h.last("10.1.1.10", "ACK ");
    DialogView b = viewFromRequest(e.bInvite, "pbxTag1");
    h.request(inDialog(b, "BYE", 1, "z9hG4bKpbxbye1", "10.1.1.10:5060"), Harness::pbxSource());
    EXPECT_FALSE(h.last("10.1.1.10", "SIP/2.0 200").empty());
    std::string bye = h.last("198.51.100.7", "BYE ");
    ASSERT_FALSE(bye.empty());
    sip::Message m = sip::Message::parse(bye);
    // In A's dialog: A's Contact as Request-URI, A's Record-Route as Route, A's tags swapped.
    EXPECT_EQ(m.requestUriText(), "sip:alice@198.51.100.7:5062");
    ASSERT_EQ(m.routes().size(), 1u);
    EXPECT_EQ(m.routes()[0].uri.raw, "sip:rr.carrier.example;lr");
    EXPECT_EQ(m.callId(), "carrier-call-1@198.51.100.7");
    EXPECT_EQ(m.to().tag(), "carrierTag1");
    EXPECT_EQ(m.vias()[0].host, "203.0.113.5");
    // NAT fixup: sent where A's INVITE came from.
    for (const Sent& s : h.sent) {
        if (s.bytes.starts_with("BYE ")) {
            EXPECT_EQ(s.target.address, "198.51.100.7");
            EXPECT_EQ(s.target.port, 5062);
            EXPECT_EQ(s.target.listenerId, 1u);
        }
    }
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "callee_bye");
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    expectNoLeak(h, "10.1.1.10", kCarrierSecrets);
    expectNoLeak(h, "198.51.100.7", kPbxSecrets);
}

TEST(CallSetup, TwoHundredRetransmittedUntilAckThenByeOnTimeout) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), 1u);
    h.timers.advance(500ms);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), 2u);  // §13.3.1.4: T1
    h.timers.advance(1000ms);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), 3u);  // 2*T1
    h.timers.advance(40s);
    // 64*T1 without ACK: BYE both legs, call gone.
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(h.b2bua.stats().ackTimeouts, 1u);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "ack_timeout");
}

TEST(CallSetup, RetransmittedTwoHundredFromCalleeIsAckedAgain) {
    Harness h;
    Established e = establish(h);
    size_t acks = h.count("10.1.1.10", "ACK ");
    h.response(responseFrom(e.bInvite, 200, "pbxTag1", kAnswerB));
    EXPECT_EQ(h.count("10.1.1.10", "ACK "), acks + 1);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), 1u);  // not relayed again
}

TEST(CallSetup, MaxForwardsZeroIs483) {
    Harness h;
    InviteFromA inv;
    inv.maxForwards = 0;
    h.request(inv.text());
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 483").empty());
    EXPECT_TRUE(h.sentTo("10.1.1.10").empty());
    EXPECT_EQ(h.media.allocations, 0);
}

TEST(CallSetup, UnknownSourceIs403) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text(), transaction::Target{1, 0, "192.0.2.99", 5060, false});
    EXPECT_FALSE(h.last("192.0.2.99", "SIP/2.0 403").empty());
    EXPECT_EQ(h.b2bua.stats().rejectedNoTrunk, 1u);
}

TEST(CallSetup, NoRouteIs404) {
    Harness h;
    InviteFromA inv;
    inv.uri = "sip:+4400001@203.0.113.5";
    h.request(inv.text());
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 404").empty());
    EXPECT_TRUE(h.sentTo("10.1.1.10").empty());
}

TEST(CallSetup, NoMediaPortsIs503) {
    Harness h;
    h.media.exhausted = true;
    h.request(InviteFromA{}.text());
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 503").empty());
    EXPECT_TRUE(h.sentTo("10.1.1.10").empty());
}

TEST(CallSetup, BadSdpIs488) {
    Harness h;
    InviteFromA inv;
    inv.body = "v=0\r\nthis is not sdp\r\n";
    h.request(inv.text());
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 488").empty());
}

TEST(CallSetup, FinalErrorRelayedWithoutTheCalleesHeaders) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 486, "pbxTag1", {}, {"Warning: 399 pbx.internal \"x\""}));
    std::string busy = h.last("198.51.100.7", "SIP/2.0 486");
    ASSERT_FALSE(busy.empty());
    EXPECT_EQ(headerCount(busy, "Warning"), 0u);
    EXPECT_FALSE(h.last("10.1.1.10", "ACK ").empty());    // the transaction layer's ACK
    EXPECT_TRUE(h.last("10.1.1.11", "INVITE ").empty());  // 486 is no failover code
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].result, 486);
    EXPECT_EQ(h.media.releases, 1);
    expectNoLeak(h, "198.51.100.7", kPbxSecrets);
}

TEST(CallSetup, CallFromInsideToCarrier) {
    policy::PolicyPtr p = defaultPolicy();
    auto edited = std::make_shared<policy::PolicySnapshot>(*p);
    edited->trunks[0].destinations.push_back({"198.51.100.50", 5070, policy::Transport::Udp, 0, 1});
    Harness h(edited);
    InviteFromA inv;
    inv.uri = "sip:+4420001@10.0.0.5";
    h.request(inv.text(), Harness::pbxSource("10.1.1.10"));
    std::string out = h.last("198.51.100.50", "INVITE ");
    ASSERT_FALSE(out.empty());
    sip::Message m = sip::Message::parse(out);
    EXPECT_EQ(m.vias()[0].host, "203.0.113.5");
    EXPECT_NE(bodyOf(out).find("c=IN IP4 203.0.113.100"), std::string::npos);
}

}  // namespace
}  // namespace sbc::b2bua::test
