// In-dialog requests: re-INVITE (hold/resume) both ways, glare, UPDATE, PRACK mapping, INFO,
// OPTIONS, unknown dialogs, CSeq order.
#include <gtest/gtest.h>

#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

struct Call {
    std::string bInvite;
    DialogView a;  // A's view: in-dialog requests from the carrier
    DialogView b;  // B's view: in-dialog requests from the PBX
};

Call establish(Harness& h, InviteFromA inv = {}) {
    Call c;
    h.request(inv.text());
    c.bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(c.bInvite, 200, "pbxTag1", kAnswerB));
    c.a = viewFromResponse(h.last("198.51.100.7", "SIP/2.0 200"));
    h.request(inDialog(c.a, "ACK", 10, "z9hG4bKack0", "198.51.100.7:5062", {}, {}, "ACK"));
    c.b = viewFromRequest(c.bInvite, "pbxTag1");
    c.b.requestUri = "sip:10.0.0.5:5060";
    return c;
}

const char* kHoldFromB =
    "v=0\r\no=pbx 1 2 IN IP4 10.1.1.10\r\ns=PBX\r\nc=IN IP4 10.1.1.20\r\nt=0 0\r\n"
    "m=audio 6000 RTP/AVP 0 101\r\na=sendonly\r\nm=video 0 RTP/AVP 96\r\n";

TEST(InDialog, ReInviteHoldFromCalleeAndResume) {
    Harness h;
    Call c = establish(h);
    int updates = h.media.updates;
    std::string reinvite =
        inDialog(c.b, "INVITE", 1, "z9hG4bKpbxre1", "10.1.1.10:5060", kHoldFromB);
    h.request(reinvite, Harness::pbxSource());
    std::string toA = h.last("198.51.100.7", "INVITE ");
    ASSERT_FALSE(toA.empty());
    sip::Message m = sip::Message::parse(toA);
    EXPECT_EQ(m.callId(), "carrier-call-1@198.51.100.7");
    EXPECT_EQ(m.requestUriText(), "sip:alice@198.51.100.7:5062");
    EXPECT_EQ(m.cseq().number, 1u);
    std::string sdp = bodyOf(toA);
    EXPECT_NE(sdp.find("a=sendonly"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("c=IN IP4 203.0.113.100"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("o=- "), std::string::npos);
    // o= version incremented towards A (the PBX changed its SDP, RFC 3264 §8).
    std::string firstOk = h.last("198.51.100.7", "SIP/2.0 200");
    EXPECT_NE(bodyOf(firstOk).find(" 1 IN IP4 203.0.113.100"), std::string::npos);
    EXPECT_NE(sdp.find(" 2 IN IP4 203.0.113.100"), std::string::npos) << sdp;
    EXPECT_GT(h.media.updates, updates);

    std::string answer =
        "v=0\r\no=alice 2890844526 2890844527 IN IP4 198.51.100.7\r\ns=-\r\n"
        "c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=recvonly\r\n"
        "m=video 0 RTP/AVP 96\r\n";
    h.response(responseFrom(toA, 200, "", answer, {}, "<sip:alice@198.51.100.7:5062>"));
    EXPECT_FALSE(h.last("198.51.100.7", "ACK ").empty());  // ACKed at once
    std::string okToB = h.last("10.1.1.10", "SIP/2.0 200");
    ASSERT_FALSE(okToB.empty());
    EXPECT_NE(okToB.find("CSeq: 1 INVITE"), std::string::npos);
    EXPECT_NE(bodyOf(okToB).find("a=recvonly"), std::string::npos);
    EXPECT_NE(bodyOf(okToB).find("c=IN IP4 10.0.0.100"), std::string::npos);
    EXPECT_EQ(okToB.find("198.51.100.7"), std::string::npos) << okToB;
    h.request(inDialog(c.b, "ACK", 1, "z9hG4bKpbxack1", "10.1.1.10:5060", {}, {}, "ACK"),
              Harness::pbxSource());
    EXPECT_EQ(h.count("10.1.1.10", "SIP/2.0 200"), 1u);
    h.timers.advance(5s);
    EXPECT_EQ(h.count("10.1.1.10", "SIP/2.0 200"), 1u);  // ACK stopped retransmission

    // Resume from A: an A-side re-INVITE, now that the first one is done.
    std::string resume =
        "v=0\r\no=alice 2890844526 2890844528 IN IP4 198.51.100.7\r\ns=-\r\n"
        "c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=sendrecv\r\n"
        "m=video 0 RTP/AVP 96\r\n";
    h.request(inDialog(c.a, "INVITE", 11, "z9hG4bKare2", "198.51.100.7:5062", resume));
    std::string toB = h.last("10.1.1.10", "INVITE ");
    ASSERT_NE(toB, c.bInvite);
    sip::Message rb = sip::Message::parse(toB);
    EXPECT_EQ(rb.cseq().number, 2u);
    EXPECT_EQ(rb.to().tag(), "pbxTag1");
    EXPECT_NE(bodyOf(toB).find("a=sendrecv"), std::string::npos);
}

TEST(InDialog, GlareIs491) {
    Harness h;
    Call c = establish(h);
    h.request(inDialog(c.b, "INVITE", 1, "z9hG4bKpbxre1", "10.1.1.10:5060", kHoldFromB),
              Harness::pbxSource());
    ASSERT_FALSE(h.last("198.51.100.7", "INVITE ").empty());
    h.request(inDialog(c.a, "INVITE", 11, "z9hG4bKare1", "198.51.100.7:5062", kOfferA));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 491").empty());
    EXPECT_EQ(h.b2bua.stats().glare, 1u);
}

TEST(InDialog, ReInviteFailureIsRelayed) {
    Harness h;
    Call c = establish(h);
    h.request(inDialog(c.a, "INVITE", 11, "z9hG4bKare1", "198.51.100.7:5062", kOfferA));
    std::string toB = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(toB, 488, ""));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 488").empty());
    // The call goes on; a new re-INVITE is accepted.
    h.request(inDialog(c.a, "INVITE", 12, "z9hG4bKare2", "198.51.100.7:5062", kOfferA));
    EXPECT_EQ(h.count("10.1.1.10", "INVITE "), 3u);
}

TEST(InDialog, UpdateCodecChange) {
    Harness h;
    Call c = establish(h);
    std::string offer =
        "v=0\r\no=alice 2890844526 2890844527 IN IP4 198.51.100.7\r\ns=-\r\n"
        "c=IN IP4 198.51.100.8\r\nt=0 0\r\nm=audio 49180 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
        "m=video 0 RTP/AVP 96\r\n";
    h.request(inDialog(c.a, "UPDATE", 11, "z9hG4bKupd1", "198.51.100.7:5062", offer));
    std::string toB = h.last("10.1.1.10", "UPDATE ");
    ASSERT_FALSE(toB.empty());
    EXPECT_NE(bodyOf(toB).find("m=audio 30002 RTP/AVP 8"), std::string::npos) << bodyOf(toB);
    EXPECT_EQ(h.media.sessions.begin()->second[0].a.remote.ip, "198.51.100.8");
    EXPECT_EQ(h.media.sessions.begin()->second[0].a.remote.port, 49180);
    // A second offer before the answer: 491 (RFC 3311 §5.2).
    h.request(inDialog(c.a, "UPDATE", 12, "z9hG4bKupd2", "198.51.100.7:5062", offer));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 491").empty());
    std::string answer =
        "v=0\r\no=pbx 1 3 IN IP4 10.1.1.10\r\ns=-\r\nc=IN IP4 10.1.1.21\r\nt=0 0\r\n"
        "m=audio 6002 RTP/AVP 8\r\nm=video 0 RTP/AVP 96\r\n";
    h.response(responseFrom(toB, 200, "", answer));
    std::string okA = h.last("198.51.100.7", "SIP/2.0 200");
    EXPECT_NE(okA.find("CSeq: 11 UPDATE"), std::string::npos);
    EXPECT_NE(bodyOf(okA).find("m=audio 30000 RTP/AVP 8"), std::string::npos) << okA;
    EXPECT_EQ(h.media.sessions.begin()->second[0].b.remote.ip, "10.1.1.21");
}

TEST(InDialog, AddedStreamIsAllocated) {
    Harness h;
    Call c = establish(h);
    std::string offer = std::string(kOfferA) + "m=audio 49200 RTP/AVP 0\r\n";
    h.request(inDialog(c.a, "INVITE", 11, "z9hG4bKare1", "198.51.100.7:5062", offer));
    std::string toB = h.last("10.1.1.10", "INVITE ");
    std::string sdp = bodyOf(toB);
    EXPECT_NE(sdp.find("m=audio 30010 RTP/AVP 0"), std::string::npos) << sdp;
    EXPECT_EQ(h.media.sessions.begin()->second.size(), 3u);
}

TEST(InDialog, InfoAndOptionsAreRelayed) {
    Harness h;
    Call c = establish(h);
    std::string info = "INFO " + c.a.requestUri +
                       " SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=z9hG4bKinfo1\r\n"
                       "Max-Forwards: 70\r\n"
                       "From: " +
                       c.a.peerUri + "\r\nTo: " + c.a.sbcUri + "\r\nCall-ID: " + c.a.callId +
                       "\r\nCSeq: 11 INFO\r\nContent-Type: application/dtmf-relay\r\n"
                       "Content-Length: 24\r\n\r\nSignal=5\r\nDuration=160\r\n";
    h.request(info);
    std::string toB = h.last("10.1.1.10", "INFO ");
    ASSERT_FALSE(toB.empty());
    EXPECT_EQ(headerOf(toB, "Content-Type"), "application/dtmf-relay");
    EXPECT_EQ(bodyOf(toB), "Signal=5\r\nDuration=160\r\n");
    h.response(responseFrom(toB, 200, ""));
    EXPECT_NE(h.last("198.51.100.7", "SIP/2.0 200").find("CSeq: 11 INFO"), std::string::npos);

    h.request(inDialog(c.b, "OPTIONS", 1, "z9hG4bKpbxopt", "10.1.1.10:5060"), Harness::pbxSource());
    std::string optA = h.last("198.51.100.7", "OPTIONS ");
    ASSERT_FALSE(optA.empty());
    h.response(responseFrom(optA, 200, ""));
    EXPECT_NE(h.last("10.1.1.10", "SIP/2.0 200").find("CSeq: 1 OPTIONS"), std::string::npos);
}

TEST(InDialog, NonSdpSessionBodyIsRefused) {
    Harness h;
    Call c = establish(h);
    std::string reinvite =
        inDialog(c.a, "INVITE", 11, "z9hG4bKmp", "198.51.100.7:5062", "--b\r\n\r\n--b--\r\n");
    reinvite.replace(reinvite.find("application/sdp"), 15, "multipart/mixed;boundary=b");
    h.request(reinvite);
    std::string r = h.last("198.51.100.7", "SIP/2.0 415");
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(headerOf(r, "Accept"), "application/sdp");
    EXPECT_EQ(h.count("10.1.1.10", "INVITE "), 1u);
}

TEST(InDialog, UnknownDialogIs481) {
    Harness h;
    DialogView v{"nope@x", "<sip:a@198.51.100.7>;tag=1", "<sip:b@sbc>;tag=2", "sip:sbc"};
    h.request(inDialog(v, "BYE", 5, "z9hG4bKbye", "198.51.100.7:5062"));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 481").empty());
    EXPECT_EQ(h.b2bua.stats().unknownDialog, 1u);
}

TEST(InDialog, WrongRemoteTagIs481) {
    Harness h;
    Call c = establish(h);
    DialogView forged = c.a;
    forged.peerUri = "<sip:intruder@198.51.100.66>;tag=forged";
    h.request(inDialog(forged, "BYE", 50, "z9hG4bKforged", "198.51.100.66:5060"));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 481").empty());
    EXPECT_TRUE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_EQ(h.b2bua.activeCalls(), 1u);
}

TEST(InDialog, CSeqOutOfOrderIs500) {
    Harness h;
    Call c = establish(h);
    h.request(inDialog(c.a, "INFO", 9, "z9hG4bKinfo9", "198.51.100.7:5062"));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 500").empty());
}

TEST(InDialog, PrackMappedBetweenLegs) {
    Harness h;
    InviteFromA inv;
    inv.extra = {"Supported: 100rel, timer"};
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    EXPECT_EQ(headerOf(bInvite, "Supported"), "100rel, timer");
    h.response(responseFrom(bInvite, 183, "pbxTag1", kAnswerB, {"Require: 100rel", "RSeq: 7700"}));
    std::string early = h.last("198.51.100.7", "SIP/2.0 183");
    ASSERT_FALSE(early.empty());
    EXPECT_EQ(headerOf(early, "RSeq"), "1");
    EXPECT_EQ(headerOf(early, "Require"), "100rel");
    // RFC 3262 §3: retransmitted until PRACKed.
    h.timers.advance(500ms);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 183"), 2u);
    DialogView a = viewFromResponse(early);
    h.request(
        inDialog(a, "PRACK", 11, "z9hG4bKprack1", "198.51.100.7:5062", {}, {"RAck: 1 10 INVITE"}));
    std::string prack = h.last("10.1.1.10", "PRACK ");
    ASSERT_FALSE(prack.empty());
    EXPECT_EQ(headerOf(prack, "RAck"), "7700 1 INVITE");
    EXPECT_EQ(sip::Message::parse(prack).to().tag(), "pbxTag1");
    h.timers.advance(4s);
    EXPECT_EQ(h.count("198.51.100.7", "SIP/2.0 183"), 2u);  // PRACK stopped them
    h.response(responseFrom(prack, 200, ""));
    EXPECT_NE(h.last("198.51.100.7", "SIP/2.0 200").find("CSeq: 11 PRACK"), std::string::npos);
    // A PRACK for an unknown RSeq: 481.
    h.request(
        inDialog(a, "PRACK", 12, "z9hG4bKprack2", "198.51.100.7:5062", {}, {"RAck: 9 10 INVITE"}));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 481").empty());
}

TEST(InDialog, ReliableProvisionalTerminatedWhenCallerLacks100rel) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    EXPECT_EQ(headerCount(bInvite, "Supported"), 0u);
    h.response(responseFrom(bInvite, 180, "pbxTag1", {}, {"Require: 100rel", "RSeq: 5"}));
    std::string prack = h.last("10.1.1.10", "PRACK ");
    ASSERT_FALSE(prack.empty());
    EXPECT_EQ(headerOf(prack, "RAck"), "5 1 INVITE");
    std::string ringing = h.last("198.51.100.7", "SIP/2.0 180");
    ASSERT_FALSE(ringing.empty());
    EXPECT_EQ(headerCount(ringing, "RSeq"), 0u);
    EXPECT_EQ(headerCount(ringing, "Require"), 0u);
}

}  // namespace
}  // namespace sbc::b2bua::test
