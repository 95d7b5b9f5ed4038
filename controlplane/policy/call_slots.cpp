#include "controlplane/policy/call_slots.hpp"

namespace sbc::policy {

CallSlots::Result CallSlots::acquire(const PolicySnapshot& policy, const Trunk& trunk) {
    if (policy.overload.maxCalls != 0 && total_ >= policy.overload.maxCalls) {
        ++refusedOverload_;
        return Result::Overloaded;
    }
    std::uint64_t& n = perTrunk_[trunk.name];
    if (trunk.maxConcurrentCalls != 0 && n >= trunk.maxConcurrentCalls) {
        ++refusedTrunkFull_;
        return Result::TrunkFull;
    }
    ++n;
    ++total_;
    return Result::Acquired;
}

void CallSlots::release(const std::string& trunkName) {
    auto it = perTrunk_.find(trunkName);
    if (it == perTrunk_.end() || it->second == 0) {
        return;  // not ours: never underflow
    }
    --it->second;
    --total_;
}

std::uint64_t CallSlots::active(const std::string& trunkName) const {
    auto it = perTrunk_.find(trunkName);
    return it == perTrunk_.end() ? 0 : it->second;
}

}  // namespace sbc::policy
