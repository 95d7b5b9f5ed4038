// PortPool: RTP/RTCP pairs handed out even-aligned, reused as late as possible, never twice.
#include "controlplane/media/port_pool.hpp"

#include <gtest/gtest.h>

#include <set>

namespace sbc::media {
namespace {

TEST(PortPool, HandsOutEvenPortsWithRoomForRtcp) {
    PortPool pool(20001, 20009);  // first rounded up to 20002: pairs 20002, 20004, 20006, 20008
    EXPECT_EQ(pool.capacity(), 4u);
    std::set<std::uint16_t> seen;
    for (int i = 0; i < 4; ++i) {
        auto p = pool.allocate();
        ASSERT_TRUE(p.has_value());
        EXPECT_EQ(*p % 2, 0);
        EXPECT_GE(*p, 20002);
        EXPECT_LE(*p + 1, 20009);
        EXPECT_TRUE(seen.insert(*p).second);
    }
    EXPECT_FALSE(pool.allocate().has_value());
    EXPECT_EQ(pool.available(), 0u);
}

TEST(PortPool, ReusesFreedPortsLast) {
    PortPool pool(10000, 10007);  // 10000, 10002, 10004, 10006
    auto a = *pool.allocate();
    EXPECT_EQ(a, 10000);
    EXPECT_TRUE(pool.release(a));
    EXPECT_EQ(*pool.allocate(), 10002);
    EXPECT_EQ(*pool.allocate(), 10004);
    EXPECT_EQ(*pool.allocate(), 10006);
    EXPECT_EQ(*pool.allocate(), 10000);
}

TEST(PortPool, RejectsForeignAndDoubleReleases) {
    PortPool pool(10000, 10007);
    EXPECT_FALSE(pool.release(10000));  // not allocated
    EXPECT_FALSE(pool.release(10001));  // odd
    EXPECT_FALSE(pool.release(9998));   // outside
    EXPECT_FALSE(pool.release(10008));  // outside
    auto a = *pool.allocate();
    EXPECT_TRUE(pool.release(a));
    EXPECT_FALSE(pool.release(a));
    EXPECT_EQ(pool.available(), 4u);
}

TEST(PortPool, ReserveTakesASpecificPairForReadoption) {
    PortPool pool(10000, 10007);
    EXPECT_TRUE(pool.reserve(10002));
    EXPECT_FALSE(pool.reserve(10002));
    EXPECT_FALSE(pool.reserve(10003));
    std::set<std::uint16_t> got;
    while (auto p = pool.allocate()) {
        got.insert(*p);
    }
    EXPECT_EQ(got, (std::set<std::uint16_t>{10000, 10004, 10006}));
    // Churn after a reserve never hands out a port twice.
    EXPECT_TRUE(pool.release(10002));
    EXPECT_TRUE(pool.release(10004));
    for (int round = 0; round < 20; ++round) {
        auto x = pool.allocate();
        auto y = pool.allocate();
        ASSERT_TRUE(x && y);
        EXPECT_NE(*x, *y);
        EXPECT_FALSE(pool.allocate().has_value());
        EXPECT_TRUE(pool.release(*x));
        EXPECT_TRUE(pool.release(*y));
    }
}

TEST(PortPool, EmptyRanges) {
    PortPool pool(20000, 20000);
    EXPECT_EQ(pool.capacity(), 0u);
    EXPECT_FALSE(pool.allocate().has_value());
    PortPool top(65534, 65535);
    EXPECT_EQ(top.capacity(), 1u);
    EXPECT_EQ(*top.allocate(), 65534);
}

}  // namespace
}  // namespace sbc::media
