#pragma once

// Timers for the transaction layer (RFC 3261 §17: timers A-K, RFC 6026: timers L and M).
//
// TimerService is the one place the transaction layer gets time from, so that the state machines
// can be driven deterministically in tests (FakeTimerService) and by an io_context in production
// (AsioTimerService).
//
// Threading: single-threaded. Every member is called from the thread that runs the io_context
// (AsioTimerService) or from the test (FakeTimerService). Callbacks run on that thread, never from
// inside schedule() or cancel(); they may schedule and cancel timers, including their own id
// (a no-op: a timer that is firing is no longer pending).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sbc::transaction {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// 1, 2, ... per service; never reused. 0 means "no timer" (cancel(0) is a no-op).
using TimerId = std::uint64_t;
inline constexpr TimerId kNoTimer = 0;

class TimerService {
  public:
    virtual ~TimerService() = default;

    // Calls fn once, `delay` from now (a negative delay counts as 0). Timers with the same
    // deadline fire in the order they were scheduled.
    virtual TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
    // Forgets a pending timer (its callback is destroyed, not called). Unknown, fired or already
    // cancelled ids are ignored.
    virtual void cancel(TimerId id) = 0;
    virtual TimePoint now() const = 0;
};

// Production timers on a boost::asio::io_context: one steady_timer armed for the earliest deadline
// of a min-heap, so the cost of a timer is a heap entry and a map entry, not an asio object.
// Cancelled timers leave a stale heap entry that is skipped when it surfaces; the heap is rebuilt
// when stale entries outnumber live ones, so it stays bounded by about twice the live timers.
//
// The io_context must outlive the service. Destroying the service drops every pending timer
// without calling it.
class AsioTimerService final : public TimerService {
  public:
    explicit AsioTimerService(boost::asio::io_context& io);
    ~AsioTimerService() override;
    AsioTimerService(const AsioTimerService&) = delete;
    AsioTimerService& operator=(const AsioTimerService&) = delete;

    TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) override;
    void cancel(TimerId id) override;
    TimePoint now() const override { return Clock::now(); }

    size_t pending() const noexcept { return live_.size(); }

  private:
    struct Entry {
        TimePoint deadline;
        TimerId id;
        // std::priority_queue is a max-heap: "greater" puts the earliest (then lowest id) on top.
        friend bool operator>(const Entry& a, const Entry& b) {
            return a.deadline != b.deadline ? a.deadline > b.deadline : a.id > b.id;
        }
    };
    using Heap = std::priority_queue<Entry, std::vector<Entry>, std::greater<>>;
    struct LiveTimer {
        TimePoint deadline;
        std::function<void()> fn;
    };

    void onExpiry();
    void fireDue();
    void rearm();
    void compactIfNeeded();

    boost::asio::steady_timer timer_;
    Heap heap_;
    std::unordered_map<TimerId, LiveTimer> live_;
    TimerId nextId_ = 1;
    TimePoint armedFor_ = TimePoint::max();  // deadline the steady_timer waits for; max: idle
    bool firing_ = false;                    // inside fireDue(): rearm once at the end
    // Handlers hold a weak_ptr to this: a handler that was already queued when the service was
    // destroyed sees it expired and returns without touching the dead object.
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// Manual clock for tests: time moves only in advance(). Deterministic; no threads, no sleeps.
class FakeTimerService final : public TimerService {
  public:
    FakeTimerService() = default;

    TimerId schedule(std::chrono::milliseconds delay, std::function<void()> fn) override;
    void cancel(TimerId id) override;
    TimePoint now() const override { return now_; }

    // Moves the clock forward by d, firing every timer that falls due on the way in deadline
    // order (ties: schedule order), with now() equal to each timer's deadline while it runs.
    // Timers scheduled by callbacks fire in the same call when they fall due before the end.
    // advance(0ms) fires what is due now. Returns the number of callbacks run.
    size_t advance(std::chrono::milliseconds d);

    // Time since construction (the fake epoch).
    std::chrono::milliseconds elapsed() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(now_ - start_);
    }
    size_t pending() const noexcept { return byId_.size(); }
    // Delay from now to the earliest pending timer; milliseconds::max() when none is pending.
    std::chrono::milliseconds nextDelay() const;

  private:
    // The clock starts at an arbitrary non-zero point so that nothing relies on "time 0".
    TimePoint start_ = TimePoint{} + std::chrono::hours(1);
    TimePoint now_ = start_;
    TimerId nextId_ = 1;
    std::map<std::pair<TimePoint, TimerId>, std::function<void()>> queue_;
    std::unordered_map<TimerId, TimePoint> byId_;
};

}  // namespace sbc::transaction
