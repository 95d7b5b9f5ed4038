// Routing extras: 3xx followed or relayed by policy, TCP and IPv6 destinations (interworking).
#include <gtest/gtest.h>

#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

TEST(Routing, RedirectFollowedToItsContact) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].redirects = policy::RedirectMode::Follow;
    Harness h(p);
    h.request(InviteFromA{}.text());
    std::string first = h.last("10.1.1.10", "INVITE ");
    std::string redirect = responseFrom(first, 302, "r1");
    redirect.insert(redirect.find("Server:"),
                    "Contact: <sip:+15559999@10.1.1.40:5080;transport=tcp>\r\n");
    h.response(redirect);
    std::string second = h.last("10.1.1.40", "INVITE ");
    ASSERT_FALSE(second.empty());
    sip::Message m = sip::Message::parse(second);
    EXPECT_EQ(m.requestUriText(), "sip:+15559999@10.1.1.40:5080;transport=tcp");
    EXPECT_EQ(m.vias()[0].transport, "TCP");
    EXPECT_EQ(m.contacts()[0].uri.raw, "sip:10.0.0.5:5060;transport=tcp");
    for (const Sent& s : h.sent) {
        if (s.bytes == second) {
            EXPECT_TRUE(s.target.reliable);
            EXPECT_EQ(s.target.listenerId, 3u);
            EXPECT_EQ(s.target.port, 5080);
        }
    }
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 302").empty());
    EXPECT_EQ(h.b2bua.stats().redirectsFollowed, 1u);
}

TEST(Routing, RedirectRelayedByDefault) {
    Harness h;
    h.request(InviteFromA{}.text());
    std::string first = h.last("10.1.1.10", "INVITE ");
    std::string redirect = responseFrom(first, 302, "r1");
    redirect.insert(redirect.find("Server:"), "Contact: <sip:+15559999@192.0.2.200>\r\n");
    h.response(redirect);
    std::string relayed = h.last("198.51.100.7", "SIP/2.0 302");
    ASSERT_FALSE(relayed.empty());
    EXPECT_EQ(headerOf(relayed, "Contact"), "<sip:+15559999@192.0.2.200>");
}

TEST(Routing, TcpAndIpv6Destinations) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].destinations = {{"2001:db8::10", 5060, policy::Transport::Udp, 1, 1},
                                 {"10.1.1.12", 5070, policy::Transport::Tcp, 2, 1}};
    B2buaConfig c = defaultConfig();
    c.listeners.push_back({4, "inside", policy::Transport::Udp, "2001:db8::5", 5060});
    Harness h(p, c);
    h.request(InviteFromA{}.text());
    std::string v6 = h.last("2001:db8::10", "INVITE ");
    ASSERT_FALSE(v6.empty());
    sip::Message m = sip::Message::parse(v6);
    ASSERT_TRUE(m.ok()) << v6;
    EXPECT_EQ(m.requestUriText(), "sip:+15550001@[2001:db8::10]:5060");
    EXPECT_EQ(m.vias()[0].host, "[2001:db8::5]");
    EXPECT_EQ(m.contacts()[0].uri.raw, "sip:[2001:db8::5]:5060");
    EXPECT_EQ(m.from().uri.raw, "sip:+14440001@[2001:db8::5]:5060");
    h.response(responseFrom(v6, 503, "x"));
    std::string tcp = h.last("10.1.1.12", "INVITE ");
    ASSERT_FALSE(tcp.empty());
    EXPECT_EQ(sip::Message::parse(tcp).vias()[0].transport, "TCP");
}

TEST(Routing, NoListenerForTheTransportSkipsTheDestination) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].destinations = {{"10.1.1.12", 5061, policy::Transport::Tls, 1, 1},
                                 {"10.1.1.10", 5060, policy::Transport::Udp, 2, 1}};
    Harness h(p);
    h.request(InviteFromA{}.text());
    EXPECT_TRUE(h.last("10.1.1.12", "INVITE ").empty());
    EXPECT_FALSE(h.last("10.1.1.10", "INVITE ").empty());
}

TEST(Routing, TrunkConcurrentCallLimit) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].maxConcurrentCalls = 1;
    Harness h(p);
    InviteFromA first;
    h.request(first.text());
    InviteFromA second;
    second.callId = "carrier-call-2@198.51.100.7";
    second.branch = "z9hG4bKcarrierbranch2";
    h.request(second.text());
    std::string busy = h.last("198.51.100.7", "SIP/2.0 503");
    ASSERT_FALSE(busy.empty());
    EXPECT_NE(busy.find("carrier-call-2"), std::string::npos);
    EXPECT_EQ(h.b2bua.stats().rejectedTrunkLimit, 1u);
    // The first call ends: the trunk has room again.
    h.response(responseFrom(h.last("10.1.1.10", "INVITE "), 486, "b"));
    InviteFromA third;
    third.callId = "carrier-call-3@198.51.100.7";
    third.branch = "z9hG4bKcarrierbranch3";
    h.request(third.text());
    EXPECT_EQ(h.count("10.1.1.10", "INVITE "), 2u);
}

TEST(Routing, RefusalsOfTheCallerAreReportedForBans) {
    Harness h;
    std::vector<std::pair<std::string, int>> seen;
    h.b2bua.setFinalResponseObserver([&seen](const boost::asio::ip::address& a, int code) {
        seen.emplace_back(a.to_string(), code);
    });
    InviteFromA noRoute;
    noRoute.uri = "sip:+4930111@203.0.113.5";  // no route from the carrier: 404
    h.request(noRoute.text());
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0], std::make_pair(std::string("198.51.100.7"), 404));
    // The core challenges: sbc has no credentials for it, the caller gets 403 (and it counts).
    InviteFromA second;
    second.callId = "carrier-call-2@198.51.100.7";
    second.branch = "z9hG4bKcarrierbranch2";
    h.request(second.text());
    h.response(responseFrom(h.last("10.1.1.10", "INVITE "), 401, "c"));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[1].second, 403);
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 403").empty());
    // An answered call is no failure.
    InviteFromA third;
    third.callId = "carrier-call-3@198.51.100.7";
    third.branch = "z9hG4bKcarrierbranch3";
    h.request(third.text());
    h.response(responseFrom(h.last("10.1.1.10", "INVITE "), 200, "d", kAnswerB));
    EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace sbc::b2bua::test
