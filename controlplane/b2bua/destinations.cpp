#include "controlplane/b2bua/destinations.hpp"

#include <algorithm>
#include <random>

namespace sbc::b2bua {

std::vector<const policy::Destination*> orderDestinations(
    const policy::Trunk& trunk, std::uint64_t random,
    const std::function<bool(const policy::Trunk&, const policy::Destination&)>& isUp) {
    std::vector<const policy::Destination*> all;
    for (const policy::Destination& d : trunk.destinations) {
        if (!isUp || isUp(trunk, d)) {
            all.push_back(&d);
        }
    }
    if (all.empty()) {
        // Every destination fails its pings: try them all rather than refuse the call, since a
        // peer may filter OPTIONS yet take calls, and failover still bounds each attempt.
        for (const policy::Destination& d : trunk.destinations) {
            all.push_back(&d);
        }
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto* x, const auto* y) { return x->priority < y->priority; });
    std::mt19937_64 rng(random);
    std::vector<const policy::Destination*> out;
    out.reserve(all.size());
    for (size_t i = 0; i < all.size();) {
        size_t j = i;
        while (j < all.size() && all[j]->priority == all[i]->priority) {
            ++j;
        }
        // RFC 2782-style: pick by running sum of weights, remove, repeat.
        std::vector<const policy::Destination*> group(all.begin() + static_cast<long>(i),
                                                      all.begin() + static_cast<long>(j));
        while (!group.empty()) {
            std::uint64_t total = 0;
            for (const auto* d : group) {
                total += static_cast<std::uint64_t>(std::max(d->weight, 0));
            }
            size_t pick = 0;
            if (total > 0) {
                std::uint64_t r = rng() % total;
                std::uint64_t sum = 0;
                for (size_t k = 0; k < group.size(); ++k) {
                    sum += static_cast<std::uint64_t>(std::max(group[k]->weight, 0));
                    if (r < sum) {
                        pick = k;
                        break;
                    }
                }
            }
            out.push_back(group[pick]);
            group.erase(group.begin() + static_cast<long>(pick));
        }
        i = j;
    }
    return out;
}

}  // namespace sbc::b2bua
