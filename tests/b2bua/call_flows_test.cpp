// CANCEL (and its race with 200), failover, timer C, offerless INVITE, forked answers.
#include <gtest/gtest.h>

#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

std::string cancelFor(const InviteFromA& inv) {
    std::string s = "CANCEL " + inv.uri + " SIP/2.0\r\n";
    s += "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=" + inv.branch + "\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "From: \"Alice\" <sip:+14440001@carrier.example>;tag=" + inv.fromTag + "\r\n";
    s += "To: <sip:+15550001@sbc.example>\r\n";
    s += "Call-ID: " + inv.callId + "\r\n";
    s += "CSeq: 10 CANCEL\r\n";
    s += "Content-Length: 0\r\n\r\n";
    return s;
}

TEST(CallFlows, CancelBeforeAnswer) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 180, "pbxTag1"));
    h.request(cancelFor(inv));
    // §9.2: 200 to the CANCEL, 487 to the INVITE.
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    ASSERT_FALSE(ok.empty());
    EXPECT_NE(ok.find("CSeq: 10 CANCEL"), std::string::npos);
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 487").empty());
    // §9.1: CANCEL to B with the INVITE's Via branch, Call-ID, From, To and CSeq number.
    std::string cancel = h.last("10.1.1.10", "CANCEL ");
    ASSERT_FALSE(cancel.empty());
    sip::Message c = sip::Message::parse(cancel);
    sip::Message i = sip::Message::parse(bInvite);
    EXPECT_EQ(c.vias()[0].branch(), i.vias()[0].branch());
    EXPECT_EQ(c.callId(), i.callId());
    EXPECT_EQ(c.cseq().number, i.cseq().number);
    EXPECT_EQ(c.requestUriText(), i.requestUriText());
    EXPECT_TRUE(c.to().tag().empty());
    h.response(responseFrom(cancel, 200, "pbxTag1"));
    h.response(responseFrom(bInvite, 487, "pbxTag1"));
    EXPECT_FALSE(h.last("10.1.1.10", "ACK ").empty());  // the layer ACKs the 487
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 487"), 1u);
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].result, 487);
    EXPECT_EQ(h.cdr.records[0].reason, "cancelled");
    EXPECT_EQ(h.media.releases, 1);
}

TEST(CallFlows, CancelBeforeAnyProvisionalWaitsForOne) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 100, ""));
    h.request(cancelFor(inv));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 487").empty());
    EXPECT_TRUE(h.last("10.1.1.10", "CANCEL ").empty());  // §9.1: not before a provisional
    h.response(responseFrom(bInvite, 180, "pbxTag1"));
    EXPECT_FALSE(h.last("10.1.1.10", "CANCEL ").empty());
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 180").empty());  // not relayed after CANCEL
}

TEST(CallFlows, CancelRaceWithTwoHundred) {
    Harness h;
    InviteFromA inv;
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 180, "pbxTag1"));
    h.request(cancelFor(inv));
    std::string cancel = h.last("10.1.1.10", "CANCEL ");
    h.response(responseFrom(cancel, 200, "pbxTag1"));
    // B answered before it saw the CANCEL: ACK and BYE it; A never sees a 200 for the INVITE.
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    EXPECT_FALSE(h.last("10.1.1.10", "ACK ").empty());
    std::string bye = h.last("10.1.1.10", "BYE ");
    ASSERT_FALSE(bye.empty());
    EXPECT_EQ(sip::Message::parse(bye).to().tag(), "pbxTag1");
    for (const std::string& m : h.sentTo("198.51.100.7")) {
        EXPECT_FALSE(m.starts_with("SIP/2.0 200") && m.find("INVITE\r\n") != std::string::npos)
            << m;
    }
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].result, 487);
}

TEST(CallFlows, UnmatchedCancelIs481) {
    Harness h;
    InviteFromA inv;
    h.request(cancelFor(inv));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 481").empty());
}

TEST(CallFlows, FailoverOn503) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string first = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(first, 503, "pbxTagX"));
    std::string second = h.last("10.1.1.11", "INVITE ");
    ASSERT_FALSE(second.empty());
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 503").empty());
    sip::Message m = sip::Message::parse(second);
    EXPECT_EQ(m.requestUriText(), "sip:+15550001@10.1.1.11:5060");
    EXPECT_EQ(m.cseq().number, 2u);
    EXPECT_NE(m.vias()[0].branch(), sip::Message::parse(first).vias()[0].branch());
    h.response(responseFrom(second, 200, "pbxTag2", kAnswerB));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 200").empty());
    EXPECT_EQ(h.b2bua.stats().failovers, 1u);
}

TEST(CallFlows, FailoverWhenPrimaryIsSilent) {
    Harness h;
    h.request(InviteFromA{}.text());
    EXPECT_FALSE(h.last("10.1.1.10", "INVITE ").empty());
    h.timers.advance(1999ms);
    EXPECT_TRUE(h.last("10.1.1.11", "INVITE ").empty());
    h.timers.advance(1ms);  // the trunk's failoverTimeout
    std::string second = h.last("10.1.1.11", "INVITE ");
    ASSERT_FALSE(second.empty());
    // The abandoned transaction no longer retransmits to the primary.
    size_t toPrimary = h.count("10.1.1.10", "INVITE ");
    h.timers.advance(4s);
    EXPECT_EQ(h.count("10.1.1.10", "INVITE "), toPrimary);
    h.response(responseFrom(second, 486, "pbxTag2"));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 486").empty());
}

TEST(CallFlows, AllDestinationsFailRelaysTheLast) {
    Harness h;
    h.request(InviteFromA{}.text());
    h.response(responseFrom(h.last("10.1.1.10", "INVITE "), 503, "t1"));
    h.response(responseFrom(h.last("10.1.1.11", "INVITE "), 503, "t2"));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 503").empty());
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
}

TEST(CallFlows, TimerCCancelsAndAnswers408) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 180, "pbxTag1"));
    h.timers.advance(179s);
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 408").empty());
    h.timers.advance(1s);
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 408").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "CANCEL ").empty());
    EXPECT_EQ(h.b2bua.stats().timerCFired, 1u);
    // B never answers the INVITE: given up 64*T1 after the CANCEL.
    h.timers.advance(33s);
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(h.media.releases, 1);
    EXPECT_EQ(h.timers.pending(), 0u);
}

TEST(CallFlows, OfferlessInvite) {
    Harness h;
    InviteFromA inv;
    inv.body.clear();
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    ASSERT_FALSE(bInvite.empty());
    EXPECT_TRUE(bodyOf(bInvite).empty());
    EXPECT_EQ(h.media.allocations, 0);
    // B's 200 carries the offer; A gets it rewritten, B's ACK waits for A's answer.
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    ASSERT_FALSE(ok.empty());
    EXPECT_NE(bodyOf(ok).find("c=IN IP4 203.0.113.100"), std::string::npos);
    EXPECT_TRUE(h.last("10.1.1.10", "ACK ").empty());
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));  // B retransmits
    EXPECT_TRUE(h.last("10.1.1.10", "ACK ").empty());
    DialogView a = viewFromResponse(ok);
    std::string answer =
        "v=0\r\no=alice 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
        "m=audio 49170 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n";
    h.request(inDialog(a, "ACK", 10, "z9hG4bKack", "198.51.100.7:5062", answer, {}, "ACK"));
    std::string bAck = h.last("10.1.1.10", "ACK ");
    ASSERT_FALSE(bAck.empty());
    std::string sdp = bodyOf(bAck);
    EXPECT_NE(sdp.find("c=IN IP4 10.0.0.100"), std::string::npos) << sdp;
    EXPECT_EQ(sdp.find("198.51.100.7"), std::string::npos) << sdp;
    const auto& s = h.media.sessions.begin()->second;
    EXPECT_EQ(s[0].a.remote.ip, "198.51.100.7");
    EXPECT_EQ(s[0].b.remote.ip, "10.1.1.20");
}

TEST(CallFlows, ForkedAnswersAfterTheFirstAreReleased) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 180, "fork1"));
    h.response(responseFrom(bInvite, 183, "fork2", kAnswerB));
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 18"), 2u);  // early ones relayed
    h.response(responseFrom(bInvite, 200, "fork2", kAnswerB));
    h.response(responseFrom(bInvite, 200, "fork1", kAnswerB, {}, "<sip:fork1@10.1.1.30>"));
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 200"), 1u);
    std::string bye = h.last("10.1.1.10", "BYE ");
    ASSERT_FALSE(bye.empty());
    sip::Message m = sip::Message::parse(bye);
    EXPECT_EQ(m.to().tag(), "fork1");
    EXPECT_EQ(m.requestUriText(), "sip:fork1@10.1.1.30");
    EXPECT_EQ(h.count("10.1.1.10", "ACK "), 2u);
    EXPECT_EQ(h.b2bua.stats().forkedAnswersReleased, 1u);
    EXPECT_EQ(h.b2bua.activeCalls(), 1u);
}

TEST(CallFlows, MaxDurationEndsTheCall) {
    B2buaConfig c = defaultConfig();
    c.maxCallDuration = 60s;
    Harness h(defaultPolicy(), c);
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    DialogView a = viewFromResponse(h.last("198.51.100.7", "SIP/2.0 200"));
    h.request(inDialog(a, "ACK", 10, "z9hG4bKack", "198.51.100.7:5062", {}, {}, "ACK"));
    h.timers.advance(60s);
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_EQ(h.media.releases, 1);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "max_duration");
}

}  // namespace
}  // namespace sbc::b2bua::test
