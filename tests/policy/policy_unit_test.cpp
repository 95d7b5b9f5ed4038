// Unit tests of controlplane/policy: CIDR range tables, ACL evaluation, token buckets, the
// per-source table, bans, and the gate on a fake clock.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controlplane/policy/acl.hpp"
#include "controlplane/policy/ban_store.hpp"
#include "controlplane/policy/cidr_table.hpp"
#include "controlplane/policy/compile.hpp"
#include "controlplane/policy/gate.hpp"
#include "controlplane/policy/source_table.hpp"
#include "controlplane/policy/token_bucket.hpp"

namespace sbc::policy {
namespace {

using boost::asio::ip::make_address;

Cidr cidr(const std::string& s) {
    std::string why;
    auto c = parseCidr(s, why);
    EXPECT_TRUE(c.has_value()) << why;
    return *c;
}

TEST(CidrTable, SmallestValueOfCoveringPrefixWins) {
    CidrTable t;
    t.build({{cidr("10.0.0.0/8"), 5},
             {cidr("10.1.0.0/16"), 2},
             {cidr("10.1.2.0/24"), 7},
             {cidr("2001:db8::/32"), 1},
             {cidr("0.0.0.0/0"), 9}});
    EXPECT_EQ(t.lookup(make_address("10.1.2.3")), 2);  // 10/8 (5), 10.1/16 (2), /24 (7): 2
    EXPECT_EQ(t.lookup(make_address("10.2.0.1")), 5);
    EXPECT_EQ(t.lookup(make_address("11.0.0.1")), 9);
    EXPECT_EQ(t.lookup(make_address("2001:db8::1")), 1);
    EXPECT_EQ(t.lookup(make_address("2001:db9::1")), CidrTable::kNone);
    EXPECT_EQ(t.lookup(make_address("::ffff:10.1.2.3")), 2);  // IPv4-mapped
    EXPECT_TRUE(t.covers(cidr("10.1.0.0/16")));
    EXPECT_FALSE(CidrTable().covers(cidr("10.0.0.0/8")));
}

TEST(CidrTable, EdgesOfTheAddressSpace) {
    CidrTable t;
    t.build({{cidr("255.255.255.255/32"), 0}, {cidr("0.0.0.0/32"), 1}, {cidr("::/128"), 2}});
    EXPECT_EQ(t.lookup(make_address("255.255.255.255")), 0);
    EXPECT_EQ(t.lookup(make_address("255.255.255.254")), CidrTable::kNone);
    EXPECT_EQ(t.lookup(make_address("0.0.0.0")), 1);
    EXPECT_EQ(t.lookup(make_address("0.0.0.1")), CidrTable::kNone);
    EXPECT_EQ(t.lookup(make_address("::")), 2);
}

TEST(CidrTable, AgreesWithLinearMatchOnManyPrefixes) {
    std::vector<std::pair<Cidr, std::int32_t>> entries;
    std::uint32_t x = 12345;
    for (int i = 0; i < 3000; ++i) {
        x = x * 1103515245u + 12345u;
        unsigned len = 8 + x % 25;
        std::uint32_t net = (x ^ (x << 7)) & (len == 32 ? ~0u : ~((1u << (32 - len)) - 1));
        entries.push_back({Cidr{boost::asio::ip::address_v4(net), static_cast<std::uint8_t>(len)},
                           static_cast<std::int32_t>(i % 50)});
    }
    CidrTable t;
    t.build(entries);
    for (int i = 0; i < 20000; ++i) {
        x = x * 1103515245u + 12345u;
        auto a = boost::asio::ip::address(boost::asio::ip::address_v4(x ^ (x >> 11)));
        std::int32_t want = CidrTable::kNone;
        for (const auto& [c, v] : entries) {
            if (c.contains(a) && (want == CidrTable::kNone || v < want)) {
                want = v;
            }
        }
        ASSERT_EQ(t.lookup(a), want) << a.to_string();
    }
}

TEST(Cidr, ParseErrors) {
    std::string why;
    EXPECT_FALSE(parseCidr("192.0.2.1/24", why));
    EXPECT_EQ(why, "host bits set in '192.0.2.1/24'");
    EXPECT_FALSE(parseCidr("192.0.2.0/33", why));
    EXPECT_FALSE(parseCidr("example.com", why));
    EXPECT_FALSE(parseCidr("10.0.0.0/", why));
    auto c = parseCidr("2001:db8::1", why);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->prefixLength, 128);
}

TEST(TokenBucket, BurstThenRate) {
    TokenBucket b;
    int ok = 0;
    for (int i = 0; i < 10; ++i) {
        ok += b.take(2, 3, 0) ? 1 : 0;
    }
    EXPECT_EQ(ok, 3);
    EXPECT_FALSE(b.take(2, 3, 400'000'000));   // 0.8 token
    EXPECT_TRUE(b.take(2, 3, 500'000'000));    // 1 token after 0.5 s at 2/s
    EXPECT_TRUE(TokenBucket{}.take(0, 0, 0));  // unlimited
}

TEST(SourceTable, BoundedUnderManySourcesAndCountsEvictions) {
    SourceTable t(1024);
    for (std::uint32_t i = 0; i < 100000; ++i) {
        t.touch(AddressKey::of(boost::asio::ip::address_v4(0x0a000000u + i)), i);
    }
    EXPECT_EQ(t.capacity(), 1024u);
    EXPECT_EQ(t.used(), 1024u);
    EXPECT_EQ(t.evictions(), 100000u - 1024u);
    auto k = AddressKey::of(make_address("10.1.134.159"));  // the last one touched
    EXPECT_NE(t.find(AddressKey::of(boost::asio::ip::address_v4(0x0a000000u + 99999))), nullptr);
    (void)k;
}

TEST(LocalBanStore, BanListLiftExpireAndCapacity) {
    LocalBanStore s(2);
    auto a = make_address("192.0.2.1");
    EXPECT_TRUE(s.ban(a, {"192.0.2.1", "scanner", 100, 200}));
    EXPECT_TRUE(s.isBanned(AddressKey::of(a), 150));
    EXPECT_FALSE(s.isBanned(AddressKey::of(a), 200));  // expired
    EXPECT_TRUE(s.ban(make_address("192.0.2.2"), {"192.0.2.2", "manual", 100, 300}));
    EXPECT_FALSE(s.ban(make_address("192.0.2.3"), {"192.0.2.3", "manual", 150, 300}));  // full
    EXPECT_TRUE(s.ban(make_address("192.0.2.3"), {"192.0.2.3", "manual", 250, 300}));   // purged
    EXPECT_EQ(s.list(250).size(), 2u);
    EXPECT_TRUE(s.lift(make_address("192.0.2.3")));
    EXPECT_FALSE(s.lift(make_address("192.0.2.3")));
}

// --- compiled policies and the gate ---------------------------------------------------------

class GateTest : public ::testing::Test {
  protected:
    PolicyPtr compile(const std::string& text) {
        path_ = (std::filesystem::temp_directory_path() /
                 ("sbc-policy-unit-" + std::to_string(::getpid()) + ".yaml"))
                    .string();
        std::ofstream(path_) << text;
        auto res = compilePolicy({path_});
        for (const auto& d : res.diagnostics) {
            ADD_FAILURE() << d.text;
        }
        std::remove(path_.c_str());
        return res.policy;
    }

    sip::Message parse(const std::string& method, const std::string& user,
                       const std::string& ua = "ua", const std::string& toTag = "") {
        std::string id = std::to_string(++n_);
        std::string m = method + " sip:" + user + "@192.0.2.99 SIP/2.0\r\n" +
                        "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK" + id +
                        "\r\nFrom: <sip:alice@x>;tag=1\r\nTo: <sip:" + user + "@x>" +
                        (toTag.empty() ? "" : ";tag=" + toTag) + "\r\nCall-ID: c" +
                        std::to_string(n_) + "\r\nCSeq: 1 " + method + "\r\nUser-Agent: " + ua +
                        "\r\nContent-Length: 0\r\n\r\n";
        auto msg = sip::Message::parse(m);
        EXPECT_TRUE(msg.ok()) << msg.errorText();
        return msg;
    }

    transport::InboundMessage from(const std::string& addr) {
        transport::InboundMessage in;
        in.remote.address = make_address(addr);
        in.remote.port = 5060;
        return in;
    }

    core::GateVerdict check(PolicyGate& g, const std::string& addr, const sip::Message& m) {
        auto in = from(addr);
        auto v = g.beforeParse(in);
        if (v.kind != core::GateVerdict::Kind::Continue) {
            return v;
        }
        return g.afterParse(m, in);
    }

    GateClock fakeClock() {
        GateClock c;
        c.steadyNs = [this] { return nowNs_; };
        c.unixSeconds = [this] { return 1000 + nowNs_ / 1'000'000'000; };
        return c;
    }

    std::string path_;
    int n_ = 0;
    std::int64_t nowNs_ = 1;
};

using Kind = core::GateVerdict::Kind;

TEST_F(GateTest, SourceOnlyRulesDecideBeforeParsing) {
    auto p = compile(
        "version: 1\n"
        "acl:\n  default: deny\n  deny_response: drop\n  rules:\n"
        "    - {action: allow, sources: [192.0.2.0/24]}\n"
        "    - {action: deny, response: reject, sources: [198.51.100.0/24]}\n"
        "limits: {unknown_source: allow}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    EXPECT_EQ(g.beforeParse(from("192.0.2.5")).kind, Kind::Continue);
    auto v = g.beforeParse(from("198.51.100.1"));
    EXPECT_EQ(v.kind, Kind::Reject);
    EXPECT_EQ(v.code, 403);
    EXPECT_EQ(g.beforeParse(from("203.0.113.1")).kind, Kind::Drop);  // default deny, drop
    EXPECT_EQ(g.stats().dropped[static_cast<size_t>(Reason::SourceAcl)], 1u);
}

TEST_F(GateTest, MessageRulesAndNumberPrefixes) {
    auto p = compile(
        "version: 1\n"
        "trunks:\n  - name: c\n    side: outside\n    sources: [192.0.2.0/24]\n"
        "    acl:\n      rules:\n"
        "        - {action: deny, number_prefixes: ['+881', '00881']}\n"
        "        - {action: deny, methods: [REGISTER]}\n"
        "acl:\n  rules:\n    - {action: deny, user_agent: 'bad-?agent'}\n"
        "limits: {unknown_source: reject}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "+4930")).kind, Kind::Continue);
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "+88112")).code, 403);
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "%2B88112")).code, 403);
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "008812")).code, 403);
    EXPECT_EQ(check(g, "192.0.2.1", parse("REGISTER", "a")).code, 403);
    EXPECT_EQ(check(g, "192.0.2.1", parse("OPTIONS", "a", "BAD-Agent/2")).code, 403);
    EXPECT_EQ(check(g, "203.0.113.9", parse("OPTIONS", "a")).code, 403);  // unknown: reject
    EXPECT_EQ(g.stats().rejected[static_cast<size_t>(Reason::TrunkAcl)], 4u);
    EXPECT_EQ(g.stats().rejected[static_cast<size_t>(Reason::UnknownSource)], 1u);
}

// Regexes run on RE2 (linear time): a pattern that makes a backtracking engine take exponential
// time, matched against a long hostile value, answers at once (under std::regex this test hung).
TEST_F(GateTest, PathologicalRegexesCannotStallTheGate) {
    auto p = compile(
        "version: 1\n"
        "trunks:\n  - name: c\n    side: outside\n    sources: [192.0.2.0/24]\n"
        "acl:\n  rules:\n    - {action: deny, user_agent: '(a*)*b'}\n"
        "    - {action: deny, ruri_user: '(x+x+)+y'}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    const std::string as(200, 'a');
    const std::string xs(200, 'x');
    EXPECT_EQ(check(g, "192.0.2.1", parse("OPTIONS", "1", as)).kind, Kind::Continue);
    EXPECT_EQ(check(g, "192.0.2.1", parse("OPTIONS", "1", as + "b")).code, 403);
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", xs)).kind, Kind::Continue);
}

TEST_F(GateTest, ScannerBansAtOnceAndFailuresBanAfterThreshold) {
    auto p = compile(
        "version: 1\nlimits: {unknown_source: drop}\n"
        "bans: {unknown_user: 3, window_seconds: 10, duration_seconds: 60}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    EXPECT_EQ(check(g, "203.0.113.1", parse("OPTIONS", "1", "friendly-scanner")).kind, Kind::Drop);
    ASSERT_EQ(g.bans().size(), 1u);
    EXPECT_EQ(g.bans()[0].reason, "scanner");
    EXPECT_EQ(g.beforeParse(from("203.0.113.1")).kind, Kind::Drop);
    EXPECT_EQ(g.stats().dropped[static_cast<size_t>(Reason::Banned)], 1u);

    auto in = from("203.0.113.2");
    g.responseSent(in, 404);
    g.responseSent(in, 404);
    nowNs_ += 11'000'000'000;  // window over: counting starts again
    g.responseSent(in, 404);
    g.responseSent(in, 404);
    EXPECT_EQ(g.bans().size(), 1u);
    g.responseSent(in, 404);
    EXPECT_EQ(g.bans().size(), 2u);
    nowNs_ += 61'000'000'000;  // ban expired
    EXPECT_EQ(g.bans().size(), 0u);
    EXPECT_EQ(g.beforeParse(in).kind, Kind::Continue);
}

TEST_F(GateTest, RateLimitsAndTrunkCps) {
    auto p = compile(
        "version: 1\n"
        "trunks:\n  - {name: c, side: outside, sources: [192.0.2.0/24], limits: {cps: 2}}\n"
        "limits:\n  per_source:\n    requests: {rate: 1, burst: 5}\n"
        "  unknown_source: allow\n  retry_after_seconds: 7\n"
        "acl: {default: deny, rules: [{action: allow, sources: ['0.0.0.0/0']}]}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "1")).kind, Kind::Continue);
    EXPECT_EQ(check(g, "192.0.2.2", parse("INVITE", "1")).kind, Kind::Continue);
    auto v = check(g, "192.0.2.3", parse("INVITE", "1"));  // trunk cps 2 spent
    EXPECT_EQ(v.code, 503);
    EXPECT_EQ(v.retryAfter, 7);
    EXPECT_EQ(check(g, "192.0.2.3", parse("BYE", "1", "ua", "t")).kind, Kind::Continue);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(check(g, "203.0.113.5", parse("OPTIONS", "1")).kind, Kind::Continue);
    }
    EXPECT_EQ(check(g, "203.0.113.5", parse("OPTIONS", "1")).kind, Kind::Continue);
    // 6th request of an unknown source (burst 5, no time passed): silently dropped.
    EXPECT_EQ(check(g, "203.0.113.5", parse("OPTIONS", "1")).kind, Kind::Continue);
    EXPECT_EQ(check(g, "203.0.113.5", parse("OPTIONS", "1")).kind, Kind::Drop);
    EXPECT_EQ(g.stats().dropped[static_cast<size_t>(Reason::RateRequests)], 1u);
}

TEST_F(GateTest, OverloadMaxCallsReadsTheB2buaCount) {
    auto p = compile(
        "version: 1\n"
        "trunks:\n  - {name: c, side: outside, sources: [192.0.2.0/24]}\n"
        "overload: {max_calls: 2}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    EXPECT_EQ(g.activeCalls(), 0u);  // no B2BUA: nothing counted, nothing refused
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "1")).kind, Kind::Continue);
    std::uint64_t live = 1;  // the B2BUA's callsActive gauge
    g.setActiveCalls(&live);
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "1")).kind, Kind::Continue);
    live = 2;
    EXPECT_EQ(g.activeCalls(), 2u);
    auto v = check(g, "192.0.2.1", parse("INVITE", "1"));
    EXPECT_EQ(v.code, 503);
    EXPECT_EQ(g.stats().rejected[static_cast<size_t>(Reason::OverloadCalls)], 1u);
    // In-dialog requests are never shed; a call ending makes room again.
    EXPECT_EQ(check(g, "192.0.2.1", parse("BYE", "1", "ua", "t")).kind, Kind::Continue);
    live = 1;
    EXPECT_EQ(check(g, "192.0.2.1", parse("INVITE", "1")).kind, Kind::Continue);
}

TEST_F(GateTest, FinalResponsesOfTheB2buaCountTowardsBans) {
    auto p = compile(
        "version: 1\n"
        "trunks:\n  - {name: c, side: outside, sources: [192.0.2.0/24]}\n"
        "limits: {unknown_source: drop}\n"
        "bans: {auth_failures: 3, unknown_user: 2, window_seconds: 10}\n");
    ASSERT_TRUE(p);
    LocalBanStore bans(10);
    PolicyGate g(p, bans, fakeClock());
    auto caller = make_address("203.0.113.7");
    g.noteFinalResponse(caller, 403);  // the core refused (or challenged: 401/407 -> 403)
    g.noteFinalResponse(caller, 486);  // busy: not a failure of the caller's
    g.noteFinalResponse(caller, 503);
    g.noteFinalResponse(caller, 407);
    EXPECT_TRUE(g.bans().empty());
    g.noteFinalResponse(caller, 401);
    ASSERT_EQ(g.bans().size(), 1u);
    EXPECT_EQ(g.bans()[0].reason, "auth_failures");
    EXPECT_EQ(g.beforeParse(from("203.0.113.7")).kind, Kind::Drop);

    auto walker = make_address("203.0.113.8");
    g.noteFinalResponse(walker, 484);  // number walking: address incomplete
    g.noteFinalResponse(walker, 604);
    ASSERT_EQ(g.bans().size(), 2u);
    EXPECT_EQ(g.stats().bansAdded[static_cast<size_t>(BanReason::UnknownUser)], 1u);

    // A trunk's callers get 404s as a matter of course: exempt (bans.exempt_trunks).
    for (int i = 0; i < 10; ++i) {
        g.noteFinalResponse(make_address("192.0.2.1"), i % 2 ? 404 : 403);
    }
    EXPECT_EQ(g.bans().size(), 2u);
}

TEST_F(GateTest, InstallKeepsOldSnapshotsAliveForHolders) {
    auto p1 =
        compile("version: 1\ntrunks:\n  - {name: a, side: outside, sources: [192.0.2.0/24]}\n");
    auto p2 =
        compile("version: 1\ntrunks:\n  - {name: b, side: outside, sources: [192.0.2.0/24]}\n");
    LocalBanStore bans(10);
    PolicyGate g(p1, bans, fakeClock());
    PolicyPtr held = g.policy();  // a call in progress
    g.install(p2);
    EXPECT_EQ(held->trunks[0].name, "a");
    EXPECT_EQ(g.policy()->inboundTrunk(make_address("192.0.2.1"), 5060, Transport::Udp)->name, "b");
}

}  // namespace
}  // namespace sbc::policy
