// RFC 4028 session timers through the B2BUA, and calls ended for media inactivity.
#include <gtest/gtest.h>

#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

TEST(SessionTimer, IntervalBelowMinSeIs422) {
    Harness h;
    InviteFromA inv;
    inv.extra = {"Supported: timer", "Session-Expires: 60"};
    h.request(inv.text());
    std::string r = h.last("198.51.100.7", "SIP/2.0 422");
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(headerOf(r, "Min-SE"), "90");
    EXPECT_TRUE(h.sentTo("10.1.1.10").empty());
}

TEST(SessionTimer, NegotiatedRefreshedAndExpired) {
    Harness h;
    InviteFromA inv;
    inv.extra = {"Supported: timer", "Session-Expires: 120;refresher=uac", "Min-SE: 90"};
    h.request(inv.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    EXPECT_EQ(headerOf(bInvite, "Session-Expires"), "120;refresher=uac");
    EXPECT_EQ(headerOf(bInvite, "Min-SE"), "90");
    EXPECT_EQ(headerOf(bInvite, "Supported"), "timer");
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB,
                            {"Session-Expires: 120;refresher=uac", "Require: timer"}));
    std::string ok = h.last("198.51.100.7", "SIP/2.0 200");
    EXPECT_EQ(headerOf(ok, "Session-Expires"), "120;refresher=uac");
    EXPECT_EQ(headerOf(ok, "Require"), "timer");
    DialogView a = viewFromResponse(ok);
    h.request(inDialog(a, "ACK", 10, "z9hG4bKack", "198.51.100.7:5062", {}, {}, "ACK"));

    // A refreshes with UPDATE at 60 s: relayed with its Session-Expires; the 200 restarts it.
    h.timers.advance(60s);
    h.request(inDialog(a, "UPDATE", 11, "z9hG4bKupd", "198.51.100.7:5062", {},
                       {"Session-Expires: 120;refresher=uac"}));
    std::string upd = h.last("10.1.1.10", "UPDATE ");
    ASSERT_FALSE(upd.empty());
    EXPECT_EQ(headerOf(upd, "Session-Expires"), "120;refresher=uac");
    h.response(responseFrom(upd, 200, "", {}, {"Session-Expires: 120;refresher=uac"}));
    h.timers.advance(87s);  // 60 + 87 > 88 from the start, < 88 from the refresh
    EXPECT_EQ(h.b2bua.activeCalls(), 1u);
    h.timers.advance(1s);  // 120 - min(32, 40) = 88 s after the refresh
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    EXPECT_EQ(h.b2bua.stats().sessionExpired, 1u);
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "session_expired");
}

TEST(SessionTimer, MediaIdleEndsTheCallAndFreesEverything) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string bInvite = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(bInvite, 200, "pbxTag1", kAnswerB));
    DialogView a = viewFromResponse(h.last("198.51.100.7", "SIP/2.0 200"));
    h.request(inDialog(a, "ACK", 10, "z9hG4bKack", "198.51.100.7:5062", {}, {}, "ACK"));
    ASSERT_EQ(h.media.sessions.size(), 1u);
    h.b2bua.onMediaIdle(h.media.sessions.begin()->first);
    EXPECT_EQ(h.b2bua.activeCalls(), 0u);
    EXPECT_TRUE(h.media.sessions.empty());
    EXPECT_FALSE(h.last("198.51.100.7", "BYE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "BYE ").empty());
    ASSERT_EQ(h.cdr.records.size(), 1u);
    EXPECT_EQ(h.cdr.records[0].reason, "media_timeout");
    // Only transaction timers remain (L, M, K), and they run out; none of the call's is left.
    h.response(responseFrom(h.last("198.51.100.7", "BYE "), 200, ""));
    h.response(responseFrom(h.last("10.1.1.10", "BYE "), 200, ""));
    h.timers.advance(40s);
    EXPECT_EQ(h.timers.pending(), 0u);
}

}  // namespace
}  // namespace sbc::b2bua::test
