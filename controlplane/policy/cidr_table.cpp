#include "controlplane/policy/cidr_table.hpp"

#include <algorithm>
#include <limits>

namespace sbc::policy {

namespace {

std::uint32_t keyV4(const boost::asio::ip::address_v4& a) {
    return a.to_uint();
}

U128 keyV6(const boost::asio::ip::address_v6& a) {
    U128 k = 0;
    for (unsigned char b : a.to_bytes()) {
        k = (k << 8) | b;
    }
    return k;
}

template <typename Key>
struct Prefix {
    Key lo;
    Key hi;
    std::int32_t value;
};

// Flattens nested-or-disjoint prefixes into sorted disjoint ranges labelled with the smallest
// covering value. Prefixes never partially overlap, so a stack of open prefixes suffices.
template <typename Key>
void flatten(std::vector<Prefix<Key>>& ps, std::vector<Key>& starts,
             std::vector<std::int32_t>& values) {
    std::sort(ps.begin(), ps.end(), [](const Prefix<Key>& a, const Prefix<Key>& b) {
        if (a.lo != b.lo) {
            return a.lo < b.lo;
        }
        return a.hi > b.hi;  // wider first
    });
    starts.clear();
    values.clear();
    starts.push_back(0);
    values.push_back(CidrTable::kNone);
    auto emit = [&](Key at, std::int32_t v) {
        if (starts.back() == at) {
            values.back() = v;
            if (values.size() >= 2 && values[values.size() - 2] == v) {
                starts.pop_back();
                values.pop_back();
            }
            return;
        }
        if (values.back() == v) {
            return;
        }
        starts.push_back(at);
        values.push_back(v);
    };
    struct Open {
        Key hi;
        std::int32_t min;  // smallest value of this prefix and every prefix enclosing it
    };
    std::vector<Open> stack;
    auto closeUntil = [&](bool all, Key lo) {
        while (!stack.empty() && (all || stack.back().hi < lo)) {
            Key hi = stack.back().hi;
            stack.pop_back();
            if (hi == std::numeric_limits<Key>::max()) {
                continue;  // nothing after the end of the address space
            }
            emit(hi + 1, stack.empty() ? CidrTable::kNone : stack.back().min);
        }
    };
    for (const auto& p : ps) {
        closeUntil(false, p.lo);
        std::int32_t below =
            stack.empty() ? std::numeric_limits<std::int32_t>::max() : stack.back().min;
        std::int32_t m = std::min(below, p.value);
        stack.push_back({p.hi, m});
        emit(p.lo, m);
    }
    closeUntil(true, 0);
    starts.shrink_to_fit();
    values.shrink_to_fit();
}

template <typename Key>
std::int32_t find(const std::vector<Key>& starts, const std::vector<std::int32_t>& values,
                  Key k) noexcept {
    if (starts.empty()) {
        return CidrTable::kNone;
    }
    // The last range starting at or before k (starts[0] == 0, so there is one).
    auto it = std::upper_bound(starts.begin(), starts.end(), k);
    return values[static_cast<std::size_t>(it - starts.begin()) - 1];
}

template <typename Key>
bool coversRange(const std::vector<Key>& starts, const std::vector<std::int32_t>& values, Key lo,
                 Key hi) noexcept {
    if (starts.empty()) {
        return false;
    }
    auto it = std::upper_bound(starts.begin(), starts.end(), lo);
    std::size_t i = static_cast<std::size_t>(it - starts.begin()) - 1;
    // Ranges are merged only when their values are equal; walk the covering ranges.
    for (; i < starts.size() && starts[i] <= hi; ++i) {
        if (values[i] == CidrTable::kNone) {
            return false;
        }
    }
    return true;
}

}  // namespace

void CidrTable::build(const std::vector<std::pair<Cidr, std::int32_t>>& entries) {
    std::vector<Prefix<std::uint32_t>> v4;
    std::vector<Prefix<U128>> v6;
    for (const auto& [c, value] : entries) {
        if (c.network.is_v4()) {
            std::uint32_t lo = keyV4(c.network.to_v4());
            std::uint32_t span =
                c.prefixLength == 0 ? 0xffffffffu : (1u << (32 - c.prefixLength)) - 1u;
            if (c.prefixLength == 32) {
                span = 0;
            }
            v4.push_back({lo, lo | span, value});
        } else {
            U128 lo = keyV6(c.network.to_v6());
            U128 span = c.prefixLength == 0     ? ~U128{0}
                        : c.prefixLength == 128 ? U128{0}
                                                : ((U128{1} << (128 - c.prefixLength)) - 1);
            v6.push_back({lo, lo | span, value});
        }
    }
    empty_ = entries.empty();
    flatten(v4, v4Starts_, v4Values_);
    flatten(v6, v6Starts_, v6Values_);
}

std::int32_t CidrTable::lookupV4(std::uint32_t a) const noexcept {
    return find(v4Starts_, v4Values_, a);
}

std::int32_t CidrTable::lookupV6(U128 a) const noexcept {
    return find(v6Starts_, v6Values_, a);
}

std::int32_t CidrTable::lookup(const boost::asio::ip::address& a) const noexcept {
    if (a.is_v4()) {
        return lookupV4(keyV4(a.to_v4()));
    }
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) {
        return lookupV4(keyV4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6)));
    }
    return lookupV6(keyV6(v6));
}

bool CidrTable::covers(const Cidr& c) const noexcept {
    if (c.network.is_v4()) {
        std::uint32_t lo = keyV4(c.network.to_v4());
        std::uint32_t span =
            c.prefixLength >= 32
                ? 0u
                : (c.prefixLength == 0 ? 0xffffffffu : (1u << (32 - c.prefixLength)) - 1u);
        return coversRange(v4Starts_, v4Values_, lo, lo | span);
    }
    U128 lo = keyV6(c.network.to_v6());
    U128 span = c.prefixLength == 0     ? ~U128{0}
                : c.prefixLength >= 128 ? U128{0}
                                        : ((U128{1} << (128 - c.prefixLength)) - 1);
    return coversRange(v6Starts_, v6Values_, lo, lo | span);
}

}  // namespace sbc::policy
