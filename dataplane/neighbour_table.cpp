#include "dataplane/neighbour_table.hpp"

#include <rte_cycles.h>

#include <cstring>

namespace sbc::dataplane {

namespace {
constexpr unsigned kProbes = 8;
constexpr unsigned kReadRetries = 4;
}  // namespace

struct NeighbourTable::Entry {
    std::uint32_t seq = 0;    // odd while a writer holds it
    std::uint8_t family = 0;  // 0 = empty
    bool resolved = false;
    rte_ether_addr mac{};
    std::uint8_t ip[16] = {};
    std::uint64_t updated = 0;      // TSC of the last learn
    std::uint64_t lastRequest = 0;  // TSC of the last request sent
};

NeighbourTable::NeighbourTable(std::uint32_t capacity) {
    std::uint32_t n = 16;
    while (n < capacity) {
        n <<= 1;
    }
    entries_ = std::make_unique<Entry[]>(n);
    mask_ = n - 1;
    reachableTsc_ = rte_get_tsc_hz() * 300;  // 5 minutes, then re-resolved
    retryTsc_ = rte_get_tsc_hz();            // one request per second per address
}

NeighbourTable::~NeighbourTable() = default;

std::uint32_t NeighbourTable::hash(std::uint8_t family, const std::uint8_t* ip) noexcept {
    std::uint32_t words[4] = {};
    std::memcpy(words, ip, family == 4 ? 4 : 16);
    std::uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (auto w : words) {
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
    }
    return static_cast<std::uint32_t>(h >> 32);
}

const NeighbourTable::Entry* NeighbourTable::findConst(std::uint8_t family,
                                                       const std::uint8_t* ip) const noexcept {
    std::size_t len = family == 4 ? 4 : 16;
    std::uint32_t h = hash(family, ip);
    for (unsigned i = 0; i < kProbes; ++i) {
        const Entry& e = entries_[(h + i) & mask_];
        std::uint8_t f = __atomic_load_n(&e.family, __ATOMIC_ACQUIRE);
        if (f == family && std::memcmp(e.ip, ip, len) == 0) {
            return &e;
        }
        if (f == 0) {
            return nullptr;
        }
    }
    return nullptr;
}

bool NeighbourTable::contains(std::uint8_t family, const std::uint8_t* ip) const noexcept {
    return findConst(family, ip) != nullptr;
}

bool NeighbourTable::lookup(std::uint8_t family, const std::uint8_t* ip, rte_ether_addr& mac,
                            std::uint64_t now) const noexcept {
    const Entry* e = findConst(family, ip);
    if (e == nullptr) {
        return false;
    }
    for (unsigned r = 0; r < kReadRetries; ++r) {
        std::uint32_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
        if (s1 & 1u) {
            continue;
        }
        bool resolved = e->resolved;
        rte_ether_addr m = e->mac;
        std::uint64_t updated = e->updated;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) == s1) {
            if (!resolved || now - updated > reachableTsc_) {
                return false;
            }
            mac = m;
            return true;
        }
    }
    return false;
}

// Finds the entry of `ip`, or claims an empty one for it when `create`. The returned entry is
// held by the caller (seq odd) and must be released with seq + 1; nullptr when full or busy.
NeighbourTable::Entry* NeighbourTable::find(std::uint8_t family, const std::uint8_t* ip,
                                            bool create) noexcept {
    std::size_t len = family == 4 ? 4 : 16;
    std::uint32_t h = hash(family, ip);
    for (unsigned i = 0; i < kProbes; ++i) {
        Entry& e = entries_[(h + i) & mask_];
        std::uint32_t s = __atomic_load_n(&e.seq, __ATOMIC_ACQUIRE);
        if (s & 1u) {
            return nullptr;  // another lcore is writing here
        }
        std::uint8_t f = __atomic_load_n(&e.family, __ATOMIC_ACQUIRE);
        bool match = f == family && std::memcmp(e.ip, ip, len) == 0;
        if (!match && !(f == 0 && create)) {
            if (f == 0) {
                return nullptr;
            }
            continue;
        }
        if (!__atomic_compare_exchange_n(&e.seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
                                         __ATOMIC_RELAXED)) {
            return nullptr;
        }
        // Re-check under the claim (another writer may have filled the empty entry).
        if (e.family != 0 && !(e.family == family && std::memcmp(e.ip, ip, len) == 0)) {
            __atomic_store_n(&e.seq, s + 2, __ATOMIC_RELEASE);
            continue;
        }
        if (e.family == 0) {
            std::memset(e.ip, 0, sizeof e.ip);
            std::memcpy(e.ip, ip, len);
            e.resolved = false;
            e.lastRequest = 0;
            __atomic_store_n(&e.family, family, __ATOMIC_RELEASE);
        }
        return &e;
    }
    return nullptr;
}

NeighbourTable::Update NeighbourTable::learn(std::uint8_t family, const std::uint8_t* ip,
                                             const rte_ether_addr& mac,
                                             std::uint64_t now) noexcept {
    Entry* e = find(family, ip, true);
    if (e == nullptr) {
        return findConst(family, ip) != nullptr ? Update::Busy : Update::Full;
    }
    e->mac = mac;
    e->resolved = true;
    e->updated = now;
    __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
    return Update::Stored;
}

bool NeighbourTable::shouldRequest(std::uint8_t family, const std::uint8_t* ip,
                                   std::uint64_t now) noexcept {
    Entry* e = find(family, ip, true);
    if (e == nullptr) {
        return false;
    }
    bool send = e->lastRequest == 0 || now - e->lastRequest >= retryTsc_;
    if (send) {
        e->lastRequest = now;
    }
    __atomic_store_n(&e->seq, e->seq + 1, __ATOMIC_RELEASE);
    return send;
}

}  // namespace sbc::dataplane
