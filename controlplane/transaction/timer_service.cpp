#include "controlplane/transaction/timer_service.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>

namespace sbc::transaction {

namespace {

std::chrono::milliseconds nonNegative(std::chrono::milliseconds d) {
    return d.count() < 0 ? std::chrono::milliseconds(0) : d;
}

}  // namespace

// ---- AsioTimerService -------------------------------------------------------------------------

AsioTimerService::AsioTimerService(boost::asio::io_context& io) : timer_(io) {}

AsioTimerService::~AsioTimerService() {
    alive_.reset();
    live_.clear();
    // timer_'s destructor cancels the pending wait; its handler sees alive_ expired.
}

TimerId AsioTimerService::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    TimerId id = nextId_++;
    TimePoint deadline = Clock::now() + nonNegative(delay);
    live_.emplace(id, LiveTimer{deadline, std::move(fn)});
    heap_.push(Entry{deadline, id});
    if (!firing_ && deadline < armedFor_) {
        rearm();
    }
    return id;
}

void AsioTimerService::cancel(TimerId id) {
    if (live_.erase(id) == 0) {
        return;
    }
    if (live_.empty()) {
        // Nothing left: do not keep the io_context busy with a wait for a stale entry.
        heap_ = Heap{};
        if (!firing_ && armedFor_ != TimePoint::max()) {
            timer_.cancel();
            armedFor_ = TimePoint::max();
        }
        return;
    }
    compactIfNeeded();
}

void AsioTimerService::compactIfNeeded() {
    if (heap_.size() <= 2 * live_.size() + 64) {
        return;
    }
    std::vector<Entry> entries;
    entries.reserve(live_.size());
    for (const auto& [id, timer] : live_) {
        entries.push_back(Entry{timer.deadline, id});
    }
    heap_ = Heap(std::greater<>{}, std::move(entries));
}

void AsioTimerService::onExpiry() {
    armedFor_ = TimePoint::max();
    fireDue();
    rearm();
}

void AsioTimerService::fireDue() {
    // Only what is due at entry: a callback that schedules a 0 ms timer does not starve the
    // io_context, the new timer goes through the steady_timer like any other.
    TimePoint now = Clock::now();
    firing_ = true;
    while (!heap_.empty() && heap_.top().deadline <= now) {
        Entry e = heap_.top();
        heap_.pop();
        auto it = live_.find(e.id);
        if (it == live_.end()) {
            continue;  // cancelled
        }
        std::function<void()> fn = std::move(it->second.fn);
        live_.erase(it);
        fn();
    }
    firing_ = false;
}

void AsioTimerService::rearm() {
    while (!heap_.empty() && live_.find(heap_.top().id) == live_.end()) {
        heap_.pop();
    }
    if (heap_.empty()) {
        if (armedFor_ != TimePoint::max()) {
            timer_.cancel();
            armedFor_ = TimePoint::max();
        }
        return;
    }
    TimePoint next = heap_.top().deadline;
    if (next == armedFor_) {
        return;
    }
    timer_.expires_at(next);  // cancels the previous wait (its handler gets operation_aborted)
    armedFor_ = next;
    timer_.async_wait(
        [this, alive = std::weak_ptr<int>(alive_)](const boost::system::error_code& ec) {
            if (alive.expired() || ec == boost::asio::error::operation_aborted) {
                return;
            }
            onExpiry();
        });
}

// ---- FakeTimerService -------------------------------------------------------------------------

TimerId FakeTimerService::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
    TimerId id = nextId_++;
    TimePoint deadline = now_ + nonNegative(delay);
    queue_.emplace(std::make_pair(deadline, id), std::move(fn));
    byId_.emplace(id, deadline);
    return id;
}

void FakeTimerService::cancel(TimerId id) {
    auto it = byId_.find(id);
    if (it == byId_.end()) {
        return;
    }
    queue_.erase(std::make_pair(it->second, id));
    byId_.erase(it);
}

size_t FakeTimerService::advance(std::chrono::milliseconds d) {
    TimePoint target = now_ + nonNegative(d);
    size_t fired = 0;
    while (!queue_.empty() && queue_.begin()->first.first <= target) {
        auto it = queue_.begin();
        now_ = std::max(now_, it->first.first);
        std::function<void()> fn = std::move(it->second);
        byId_.erase(it->first.second);
        queue_.erase(it);
        fn();
        ++fired;
    }
    now_ = target;
    return fired;
}

std::chrono::milliseconds FakeTimerService::nextDelay() const {
    if (queue_.empty()) {
        return std::chrono::milliseconds::max();
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(queue_.begin()->first.first -
                                                                 now_);
}

}  // namespace sbc::transaction
