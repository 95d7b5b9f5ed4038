#pragma once
// The order in which a call tries a trunk's destinations: by priority (lower first, failover
// between groups), and within a group of equal priority a weighted random order (load sharing,
// like RFC 2782's SRV selection). Destinations marked down (OPTIONS pinging) are left out, unless
// all are down: then all are tried in that order.
#include <cstdint>
#include <functional>
#include <vector>

#include "controlplane/policy/model.hpp"

namespace sbc::b2bua {

// `isUp` (optional) says whether a destination may be used now.
std::vector<const policy::Destination*> orderDestinations(
    const policy::Trunk& trunk, std::uint64_t random,
    const std::function<bool(const policy::Trunk&, const policy::Destination&)>& isUp = {});

}  // namespace sbc::b2bua
