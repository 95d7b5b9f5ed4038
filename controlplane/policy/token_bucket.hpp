#pragma once
// A token bucket (rate per second, burst) on a caller-supplied monotonic clock in nanoseconds.
// Plain data, no allocation: lives inside fixed-size tables.
#include <algorithm>
#include <cstdint>

namespace sbc::policy {

struct TokenBucket {
    double tokens = -1;  // < 0: not started (starts full)
    std::int64_t lastNs = 0;

    // Takes one token if there is one. rate <= 0 means unlimited.
    bool take(double rate, double burst, std::int64_t nowNs) noexcept {
        if (rate <= 0) {
            return true;
        }
        if (tokens < 0) {
            tokens = burst;
        } else if (nowNs > lastNs) {
            tokens = std::min(burst, tokens + rate * static_cast<double>(nowNs - lastNs) / 1e9);
        }
        lastNs = std::max(lastNs, nowNs);
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return true;
        }
        return false;
    }
};

}  // namespace sbc::policy
