#pragma once
// Concurrent-call accounting per trunk (trunk `limits.concurrent`) and in total (`overload.
// max_calls`). The B2BUA acquires a slot when it accepts a call from (or places one to) a trunk
// and releases it when the call ends; counts survive policy reloads (they are keyed by trunk
// name).
//
// Threading: owned by the io_context thread.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "controlplane/policy/model.hpp"

namespace sbc::policy {

class CallSlots {
  public:
    enum class Result : std::uint8_t { Acquired, TrunkFull, Overloaded };

    // Takes a slot of `trunk` unless its concurrent limit or the total limit of `policy` is
    // reached.
    Result acquire(const PolicySnapshot& policy, const Trunk& trunk);
    // Gives back a slot taken with acquire() (by trunk name: the policy may have changed since).
    void release(const std::string& trunkName);

    std::uint64_t active(const std::string& trunkName) const;
    std::uint64_t total() const noexcept { return total_; }
    std::uint64_t refusedTrunkFull() const noexcept { return refusedTrunkFull_; }
    std::uint64_t refusedOverload() const noexcept { return refusedOverload_; }

  private:
    std::unordered_map<std::string, std::uint64_t> perTrunk_;
    std::uint64_t total_ = 0;
    std::uint64_t refusedTrunkFull_ = 0;
    std::uint64_t refusedOverload_ = 0;
};

}  // namespace sbc::policy
