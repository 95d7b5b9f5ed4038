#pragma once
// AsyncCallStore: a CallStore whose writes run on a thread of their own, so that the B2BUA's
// io_context thread never waits for the disk. perf/call_store_bench measured a put (write +
// rename over the old record) at 2-4 ms of wall time on ext4 (the rename forces the new data
// out, auto_da_alloc), against ~25 µs of CPU: too long to block SIP for at every call.
//
// put() and erase() hand the record to the writer and return at once; pending writes of one call
// coalesce (only its latest state is written; an erase cancels a pending put). At most
// maxPending calls wait; beyond that put() refuses (the B2BUA counts a store write failure).
// Failures of the writer itself are counted in failedWrites(). loadAll() runs on the caller's
// thread once the writer is idle. The destructor writes what is pending, then joins.
//
// Threading: put/erase/loadAll/flush from one thread (the B2BUA's); the inner store is used by
// the writer thread only (and by loadAll while the writer waits on mu_).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "controlplane/b2bua/call_store.hpp"

namespace sbc::b2bua {

class AsyncCallStore final : public CallStore {
  public:
    AsyncCallStore(std::unique_ptr<CallStore> inner, std::size_t maxPending);
    ~AsyncCallStore() override;
    AsyncCallStore(const AsyncCallStore&) = delete;
    AsyncCallStore& operator=(const AsyncCallStore&) = delete;

    bool put(const CallRecord& record) override;
    void erase(std::uint64_t callNumber) override;
    LoadedCalls loadAll() override;
    std::uint64_t failedWrites() const noexcept override;

    // Waits until every write handed over so far is done (tests, shutdown).
    void flush();

  private:
    void run();

    std::unique_ptr<CallStore> inner_;
    const std::size_t maxPending_;
    std::mutex mu_;
    std::condition_variable wake_;     // the writer: work or stop
    std::condition_variable drained_;  // flush/loadAll: the writer is idle
    // Guarded by mu_: per call, its latest record or nullopt for an erase.
    std::map<std::uint64_t, std::optional<CallRecord>> pending_;
    bool busy_ = false;      // guarded by mu_: the writer is working on a batch
    bool stopping_ = false;  // guarded by mu_
    std::atomic<std::uint64_t> failures_{0};
    std::thread writer_;
};

}  // namespace sbc::b2bua
