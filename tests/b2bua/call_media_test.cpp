// CallMedia: SDP rewriting for each leg (RFC 3264), and the CDR line format.
#include "controlplane/b2bua/call_media.hpp"

#include <gtest/gtest.h>

#include "controlplane/b2bua/cdr.hpp"
#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

const char* kOffer =
    "v=0\r\n"
    "o=a 1 1 IN IP4 198.51.100.7\r\n"
    "s=a\r\n"
    "t=0 0\r\n"
    "a=ice-lite\r\n"
    "m=audio 4000 RTP/AVP 0\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "a=rtcp-mux\r\n"
    "a=ice-ufrag:u1\r\n"
    "a=candidate:1 1 UDP 1 198.51.100.7 4000 typ host\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "m=audio 4002 RTP/AVP 8\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=sendonly\r\n";

TEST(CallMedia, RewritesEveryLineKeepsOrderRejectionAndHold) {
    FakeMedia media;
    CallMedia cm(media, {"outside", true, true}, {"inside", false, false}, 7);
    CallMedia::Result r = cm.relay(kOffer, LegId::A);
    ASSERT_TRUE(r.body.has_value());
    const std::string& sdp = *r.body;
    EXPECT_EQ(sdp.find("198.51.100.7"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=audio 30002 RTP/AVP 0\r\nc=IN IP4 10.0.0.100\r\n"), std::string::npos)
        << sdp;
    EXPECT_NE(sdp.find("m=video 0 RTP/AVP 96\r\n"), std::string::npos) << sdp;
    EXPECT_NE(sdp.find("m=audio 30010 RTP/AVP 8\r\nc=IN IP4 0.0.0.0\r\na=sendonly"),
              std::string::npos)
        << sdp;
    // The inside trunk keeps ICE (stripIce false) but never the far side's candidates.
    EXPECT_NE(sdp.find("a=ice-ufrag:u1"), std::string::npos);
    EXPECT_EQ(sdp.find("a=candidate"), std::string::npos);
    EXPECT_NE(sdp.find("a=rtcp-mux"), std::string::npos);
    const auto& s = media.sessions.begin()->second;
    ASSERT_EQ(s.size(), 3u);
    EXPECT_TRUE(s[0].a.rtcpMux);
    EXPECT_EQ(s[0].a.remoteRtcpPort, 0);
    EXPECT_EQ(s[0].a.latch, media::LatchMode::AnySource);
    EXPECT_EQ(s[0].b.latch, media::LatchMode::Off);
    EXPECT_EQ(s[1].a.remote.port, 0);
    EXPECT_EQ(s[2].a.remote.ip, "0.0.0.0");
}

TEST(CallMedia, AnswerWithFewerLinesIs488AndVersionFollowsChanges) {
    FakeMedia media;
    CallMedia cm(media, {"outside", true, true}, {"inside", true, true}, 7);
    ASSERT_TRUE(cm.relay(kOffer, LegId::A).body);
    CallMedia::Result bad = cm.relay(
        "v=0\r\no=b 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 5000 RTP/AVP 0\r\n",
        LegId::B);
    ASSERT_TRUE(bad.error.has_value());
    EXPECT_EQ(bad.error->status, 488);
    std::string answer =
        "v=0\r\no=b 1 1 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n"
        "m=audio 5000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\nm=audio 5002 RTP/AVP 8\r\n";
    CallMedia::Result a1 = cm.relay(answer, LegId::B);
    ASSERT_TRUE(a1.body);
    EXPECT_NE(a1.body->find(" 1 IN IP4 203.0.113.100"), std::string::npos) << *a1.body;
    // The same SDP again (same o= version): our version stays (RFC 3264 §8).
    CallMedia::Result a2 = cm.relay(answer, LegId::B);
    EXPECT_NE(a2.body->find(" 1 IN IP4 203.0.113.100"), std::string::npos) << *a2.body;
    std::string changed = answer;
    changed.replace(changed.find("o=b 1 1"), 7, "o=b 1 2");
    CallMedia::Result a3 = cm.relay(changed, LegId::B);
    EXPECT_NE(a3.body->find(" 2 IN IP4 203.0.113.100"), std::string::npos) << *a3.body;
    EXPECT_EQ(cm.release().size(), 6u);
    EXPECT_TRUE(cm.release().empty());  // once
}

TEST(CallMedia, UnparsableSdpIs488) {
    FakeMedia media;
    CallMedia cm(media, {"outside", true, true}, {"inside", true, true}, 7);
    EXPECT_EQ(cm.relay("m=audio 1 RTP/AVP 0\r\n", LegId::A).error->status, 488);
    EXPECT_EQ(cm.relay("", LegId::A).error->status, 488);
    EXPECT_EQ(media.allocations, 0);
}

TEST(Cdr, OneJsonLine) {
    CdrRecord r;
    r.id = 7;
    r.aCallId = "a\"b";
    r.bCallId = "c";
    r.fromTrunk = "carrier";
    r.toTrunk = "pbx";
    r.caller = "+1";
    r.callee = "+2";
    r.destination = "10.0.0.1:5060";
    r.start = WallClock::time_point{} + std::chrono::milliseconds(1700000000123);
    r.answer = r.start + std::chrono::milliseconds(2000);
    r.end = *r.answer + std::chrono::milliseconds(61500);
    r.result = 200;
    r.reason = "caller_bye";
    r.media = {{10, 1720, 1}, {9, 1548, 0}};
    EXPECT_EQ(toJson(r),
              "{\"id\":7,\"a_call_id\":\"a\\\"b\",\"b_call_id\":\"c\",\"from_trunk\":\"carrier\","
              "\"to_trunk\":\"pbx\",\"caller\":\"+1\",\"callee\":\"+2\",\"destination\":"
              "\"10.0.0.1:5060\",\"start\":\"2023-11-14T22:13:20.123Z\",\"answer\":"
              "\"2023-11-14T22:13:22.123Z\",\"end\":\"2023-11-14T22:14:23.623Z\",\"duration_ms\":"
              "61500,\"result\":200,\"reason\":\"caller_bye\",\"media\":[{\"stream\":0,\"leg\":"
              "\"a\",\"packets\":10,\"bytes\":1720,\"lost\":1},{\"stream\":0,\"leg\":\"b\","
              "\"packets\":9,\"bytes\":1548,\"lost\":0}]}");
}

}  // namespace
}  // namespace sbc::b2bua::test
