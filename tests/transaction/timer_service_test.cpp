#include "controlplane/transaction/timer_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace sbc::transaction {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST(FakeTimerService, FiresInDeadlineOrderWithTiesInScheduleOrder) {
    FakeTimerService timers;
    std::vector<std::string> fired;
    std::vector<milliseconds> at;
    auto record = [&](std::string name) {
        return [&, name] {
            fired.push_back(name);
            at.push_back(timers.elapsed());
        };
    };
    timers.schedule(300ms, record("c"));
    timers.schedule(100ms, record("a"));
    timers.schedule(300ms, record("d"));
    timers.schedule(200ms, record("b"));
    EXPECT_EQ(timers.pending(), 4u);
    EXPECT_EQ(timers.nextDelay(), 100ms);

    EXPECT_EQ(timers.advance(99ms), 0u);
    EXPECT_TRUE(fired.empty());
    EXPECT_EQ(timers.advance(1ms), 1u);
    EXPECT_EQ(timers.advance(1s), 3u);
    EXPECT_EQ(fired, (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_EQ(at, (std::vector<milliseconds>{100ms, 200ms, 300ms, 300ms}));
    EXPECT_EQ(timers.elapsed(), 1100ms);
    EXPECT_EQ(timers.pending(), 0u);
    EXPECT_EQ(timers.nextDelay(), milliseconds::max());
}

TEST(FakeTimerService, CancelForgetsTimer) {
    FakeTimerService timers;
    int calls = 0;
    TimerId a = timers.schedule(10ms, [&] { ++calls; });
    TimerId b = timers.schedule(20ms, [&] { calls += 10; });
    EXPECT_NE(a, kNoTimer);
    EXPECT_NE(a, b);
    timers.cancel(a);
    timers.cancel(a);         // twice: ignored
    timers.cancel(kNoTimer);  // ignored
    timers.cancel(12345);     // unknown: ignored
    timers.advance(1s);
    EXPECT_EQ(calls, 10);
    timers.cancel(b);  // already fired: ignored
}

TEST(FakeTimerService, CallbacksMayScheduleAndCancel) {
    FakeTimerService timers;
    std::vector<milliseconds> at;
    TimerId victim = timers.schedule(250ms, [&] { at.push_back(-1ms); });
    // A chain: each callback schedules the next one 100 ms later, up to 5 in all.
    int ticks = 0;
    std::function<void()> tick = [&] {
        at.push_back(timers.elapsed());
        if (++ticks == 1) {
            timers.cancel(victim);
        }
        if (ticks < 5) {
            timers.schedule(100ms, tick);
        }
    };
    timers.schedule(100ms, tick);
    // A 0 ms timer scheduled from a callback fires in the same advance, at the same time.
    timers.schedule(50ms, [&] { timers.schedule(0ms, [&] { at.push_back(timers.elapsed()); }); });
    EXPECT_EQ(timers.advance(1s), 7u);
    EXPECT_EQ(at, (std::vector<milliseconds>{50ms, 100ms, 200ms, 300ms, 400ms, 500ms}));
}

TEST(FakeTimerService, NegativeDelayCountsAsZero) {
    FakeTimerService timers;
    bool fired = false;
    timers.schedule(-5ms, [&] { fired = true; });
    EXPECT_EQ(timers.nextDelay(), 0ms);
    timers.advance(0ms);
    EXPECT_TRUE(fired);
}

TEST(AsioTimerService, FiresInOrderAndRunReturnsWhenIdle) {
    // Deadlines 100 ms apart: the order can only change if the test thread stalls for 100 ms
    // between two schedule() calls (CI ran this beside four fuzzers under ASan, and 1 ms
    // spacing did flip once). Each callback also checks it did not fire before its deadline.
    boost::asio::io_context io;
    AsioTimerService timers(io);
    std::vector<int> fired;
    auto at = [&](int tag, std::chrono::milliseconds delay, std::function<void()> then = {}) {
        TimePoint deadline = timers.now() + delay;
        return timers.schedule(delay, [&fired, &timers, tag, deadline, then] {
            EXPECT_GE(timers.now(), deadline) << "timer " << tag;
            fired.push_back(tag);
            if (then) {
                then();
            }
        });
    };
    at(3, 300ms);
    at(0, 0ms);
    TimerId cancelled = at(1, 100ms);
    at(2, 200ms, [&] { at(4, 300ms); });  // scheduled from a callback: fires at ~500 ms
    timers.cancel(cancelled);
    EXPECT_EQ(timers.pending(), 3u);
    io.run();  // returns once no timer is pending
    EXPECT_EQ(fired, (std::vector<int>{0, 2, 3, 4}));
    EXPECT_EQ(timers.pending(), 0u);
}

TEST(AsioTimerService, CancellingEverythingLeavesNoWork) {
    boost::asio::io_context io;
    AsioTimerService timers(io);
    std::vector<TimerId> ids;
    for (int i = 0; i < 1000; ++i) {
        ids.push_back(timers.schedule(std::chrono::hours(1), [] { FAIL(); }));
    }
    for (TimerId id : ids) {
        timers.cancel(id);
    }
    EXPECT_EQ(timers.pending(), 0u);
    auto start = std::chrono::steady_clock::now();
    io.run();  // must not wait an hour for a stale heap entry
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(AsioTimerService, ManyCancelledTimersKeepTheLiveOnes) {
    boost::asio::io_context io;
    AsioTimerService timers(io);
    int fired = 0;
    std::vector<TimerId> cancelled;
    for (int i = 0; i < 500; ++i) {
        cancelled.push_back(timers.schedule(std::chrono::hours(1), [] { FAIL(); }));
        if (i % 100 == 0) {
            timers.schedule(1ms, [&] { ++fired; });
        }
    }
    for (TimerId id : cancelled) {
        timers.cancel(id);  // triggers heap compaction on the way
    }
    EXPECT_EQ(timers.pending(), 5u);
    io.run();
    EXPECT_EQ(fired, 5);
}

TEST(AsioTimerService, DestroyedWithPendingTimersCallsNothing) {
    boost::asio::io_context io;
    bool called = false;
    {
        AsioTimerService timers(io);
        timers.schedule(0ms, [&] { called = true; });
    }
    io.run();  // the aborted wait's handler must not touch the destroyed service
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace sbc::transaction
