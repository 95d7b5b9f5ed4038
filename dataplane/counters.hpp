#pragma once
// Per-lcore global counters, generated from SBC_DP_LCORE_COUNTERS (api/dataplane_counters.hpp).
// One writer (the owning lcore) per instance, cache-line aligned so lcores never share a line;
// the control thread sums them (STYLE.md #9). Writes are relaxed atomic stores of a plain
// increment, reads relaxed atomic loads: no lock, no read-modify-write bus traffic.
#include <rte_common.h>

#include <cstdint>

#include "api/dataplane_counters.hpp"

namespace sbc::dataplane {

struct alignas(RTE_CACHE_LINE_SIZE) LcoreCounters {
#define SBC_DP_COUNTER_FIELD(name, help) std::uint64_t name = 0;
    SBC_DP_LCORE_COUNTERS(SBC_DP_COUNTER_FIELD)
#undef SBC_DP_COUNTER_FIELD
};

struct ControlCounters {  // owned by the control thread
#define SBC_DP_COUNTER_FIELD(name, help) std::uint64_t name = 0;
    SBC_DP_CONTROL_COUNTERS(SBC_DP_COUNTER_FIELD)
#undef SBC_DP_COUNTER_FIELD
};

// The single writer adds; readers on other threads see a whole value.
inline void bump(std::uint64_t& c, std::uint64_t n = 1) noexcept {
    __atomic_store_n(&c, c + n, __ATOMIC_RELAXED);
}
inline std::uint64_t readCounter(const std::uint64_t& c) noexcept {
    return __atomic_load_n(&c, __ATOMIC_RELAXED);
}

}  // namespace sbc::dataplane
