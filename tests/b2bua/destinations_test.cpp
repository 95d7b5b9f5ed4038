// Destination order (priority, weight) and OPTIONS pinging marking destinations down and up.
#include "controlplane/b2bua/destinations.hpp"

#include <gtest/gtest.h>

#include <map>

#include "controlplane/b2bua/destination_monitor.hpp"
#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

TEST(Destinations, PriorityFirstThenWeight) {
    policy::Trunk t;
    t.destinations = {{"a", 5060, policy::Transport::Udp, 2, 1},
                      {"b", 5060, policy::Transport::Udp, 1, 70},
                      {"c", 5060, policy::Transport::Udp, 1, 30},
                      {"d", 5060, policy::Transport::Udp, 3, 0}};
    std::map<std::string, int> firstCount;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
        auto order = orderDestinations(t, seed);
        ASSERT_EQ(order.size(), 4u);
        EXPECT_EQ(order[2]->host, "a");
        EXPECT_EQ(order[3]->host, "d");
        ++firstCount[order[0]->host];
    }
    // 70:30 by weight, within generous bounds (not a timing or rate assertion: a count).
    EXPECT_GT(firstCount["b"], 1200);
    EXPECT_GT(firstCount["c"], 400);
    auto onlyUp = orderDestinations(
        t, 1, [](const policy::Trunk&, const policy::Destination& d) { return d.host != "b"; });
    ASSERT_EQ(onlyUp.size(), 3u);
    EXPECT_EQ(onlyUp[0]->host, "c");
    // All down: all are tried, in the usual order (a peer may filter pings yet take calls).
    auto allDown = orderDestinations(
        t, 1, [](const policy::Trunk&, const policy::Destination&) { return false; });
    EXPECT_EQ(allDown.size(), t.destinations.size());
}

TEST(DestinationMonitor, PingsMarkDownAndUpAndCallsSkipDown) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].ping.enabled = true;
    p->trunks[1].ping.interval = 5000ms;
    p->trunks[1].ping.failuresToDown = 2;
    p->trunks[1].ping.successesToUp = 1;
    Harness h(p);
    DestinationMonitor monitor(
        h.layer, h.timers, [p] { return policy::PolicyPtr(p); }, defaultConfig().listeners, "sbc");
    h.b2bua.setDestinationHealth(
        [&](const policy::Trunk& t, const policy::Destination& d) { return monitor.isUp(t, d); });
    std::vector<DestinationStatus> changes;
    monitor.setChangeHandler([&](const DestinationStatus& d) { changes.push_back(d); });
    monitor.start();
    h.timers.advance(0ms);
    std::string ping = h.last("10.1.1.10", "OPTIONS ");
    ASSERT_FALSE(ping.empty());
    EXPECT_TRUE(ping.starts_with("OPTIONS sip:10.1.1.10:5060 SIP/2.0\r\n"));
    EXPECT_EQ(sip::Message::parse(ping).vias()[0].host, "10.0.0.5");
    EXPECT_FALSE(h.last("10.1.1.11", "OPTIONS ").empty());
    EXPECT_TRUE(h.last("198.51.100.7", "OPTIONS ").empty());  // carrier trunk: no pinging

    h.response(responseFrom(ping, 503, "x"));
    EXPECT_TRUE(monitor.isUp(p->trunks[1], p->trunks[1].destinations[0]));  // 1 of 2 failures
    h.timers.advance(5000ms);
    h.response(responseFrom(h.last("10.1.1.10", "OPTIONS "), 503, "x"));
    EXPECT_FALSE(monitor.isUp(p->trunks[1], p->trunks[1].destinations[0]));
    EXPECT_EQ(monitor.stats().markedDown, 1u);
    EXPECT_EQ(monitor.stats().down, 1u);  // at once, not at the next tick
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_FALSE(changes[0].up);
    EXPECT_EQ(changes[0].trunk, p->trunks[1].name);
    EXPECT_EQ(destinationName(changes[0]), "10.1.1.10:5060;transport=udp");
    std::vector<DestinationStatus> all = monitor.snapshot();
    ASSERT_EQ(all.size(), p->trunks[1].destinations.size());  // only the pinged trunk's
    EXPECT_EQ(all[0].host, "10.1.1.10");
    EXPECT_FALSE(all[0].up);
    EXPECT_EQ(all[0].failures, 2);
    EXPECT_TRUE(all[1].up);

    // A call now goes to the backup first.
    size_t before = h.count("10.1.1.10", "INVITE ");
    h.request(InviteFromA{}.text());
    EXPECT_FALSE(h.last("10.1.1.11", "INVITE ").empty());
    EXPECT_EQ(h.count("10.1.1.10", "INVITE "), before);

    // An answer (any final below 500) brings it back.
    h.timers.advance(5000ms);
    h.response(responseFrom(h.last("10.1.1.10", "OPTIONS "), 200, "x"));
    EXPECT_TRUE(monitor.isUp(p->trunks[1], p->trunks[1].destinations[0]));
    EXPECT_EQ(monitor.stats().markedUp, 1u);
    EXPECT_EQ(monitor.stats().down, 0u);
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_TRUE(changes[1].up);
    EXPECT_EQ(monitor.snapshot()[0].changes, 2u);
}

}  // namespace
}  // namespace sbc::b2bua::test
