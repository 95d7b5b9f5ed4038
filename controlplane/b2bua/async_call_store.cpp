#include "controlplane/b2bua/async_call_store.hpp"

#include <utility>

namespace sbc::b2bua {

AsyncCallStore::AsyncCallStore(std::unique_ptr<CallStore> inner, std::size_t maxPending)
    : inner_(std::move(inner)), maxPending_(maxPending), writer_([this] { run(); }) {}

AsyncCallStore::~AsyncCallStore() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

bool AsyncCallStore::put(const CallRecord& record) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = pending_.find(record.callNumber);
        if (it != pending_.end()) {
            it->second = record;  // only the latest state of a call is worth writing
        } else if (pending_.size() >= maxPending_) {
            return false;
        } else {
            pending_.emplace(record.callNumber, record);
        }
    }
    wake_.notify_one();
    return true;
}

void AsyncCallStore::erase(std::uint64_t callNumber) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        // Beyond the bound too: an erase must never be lost (a stale record would restore a call
        // that ended).
        pending_[callNumber] = std::nullopt;
    }
    wake_.notify_one();
}

LoadedCalls AsyncCallStore::loadAll() {
    std::unique_lock<std::mutex> lock(mu_);
    drained_.wait(lock, [this] { return pending_.empty() && !busy_; });
    return inner_->loadAll();  // the writer waits on mu_ meanwhile
}

std::uint64_t AsyncCallStore::failedWrites() const noexcept {
    return failures_.load(std::memory_order_relaxed) + inner_->failedWrites();
}

void AsyncCallStore::flush() {
    std::unique_lock<std::mutex> lock(mu_);
    drained_.wait(lock, [this] { return pending_.empty() && !busy_; });
}

void AsyncCallStore::run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
        wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) {
            return;  // stopping, nothing left to write
        }
        std::map<std::uint64_t, std::optional<CallRecord>> batch;
        batch.swap(pending_);
        busy_ = true;
        lock.unlock();
        for (auto& [number, record] : batch) {
            if (!record) {
                inner_->erase(number);
            } else if (!inner_->put(*record)) {
                failures_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        lock.lock();
        busy_ = false;
        if (pending_.empty()) {
            drained_.notify_all();
        }
    }
}

}  // namespace sbc::b2bua
