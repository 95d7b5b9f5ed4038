#include "controlplane/policy/source_table.hpp"

#include <random>

namespace sbc::policy {

AddressKey AddressKey::of(const boost::asio::ip::address& a) noexcept {
    AddressKey k;
    if (a.is_v4()) {
        auto b = a.to_v4().to_bytes();
        k.bytes[10] = 0xff;
        k.bytes[11] = 0xff;
        for (std::size_t i = 0; i < 4; ++i) {
            k.bytes[12 + i] = b[i];
        }
    } else {
        k.bytes = a.to_v6().to_bytes();
    }
    return k;
}

std::uint64_t AddressKey::hash() const noexcept {
    std::uint64_t h = 14695981039346656037ULL;
    for (std::uint8_t c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

SourceTable::SourceTable(std::size_t capacity) {
    std::size_t sets = 1;
    while (sets * kWays < capacity) {
        sets <<= 1;
    }
    sets_ = sets;
    entries_.resize(sets * kWays);
    std::random_device rd;
    // A per-process seed, so an attacker cannot aim spoofed sources at one set.
    seed_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

SourceState* SourceTable::find(const AddressKey& key) noexcept {
    std::size_t set =
        static_cast<std::size_t>((key.hash() ^ seed_) * 0x9e3779b97f4a7c15ULL >> 20) & (sets_ - 1);
    SourceState* base = &entries_[set * kWays];
    for (std::size_t i = 0; i < kWays; ++i) {
        if (base[i].used && base[i].key == key) {
            return &base[i];
        }
    }
    return nullptr;
}

SourceState& SourceTable::touch(const AddressKey& key, std::int64_t nowNs) noexcept {
    std::size_t set =
        static_cast<std::size_t>((key.hash() ^ seed_) * 0x9e3779b97f4a7c15ULL >> 20) & (sets_ - 1);
    SourceState* base = &entries_[set * kWays];
    SourceState* victim = &base[0];
    for (std::size_t i = 0; i < kWays; ++i) {
        SourceState& e = base[i];
        if (e.used && e.key == key) {
            e.lastSeenNs = nowNs;
            return e;
        }
        if (!e.used) {
            if (victim->used) {
                victim = &e;
            }
        } else if (victim->used && e.lastSeenNs < victim->lastSeenNs) {
            victim = &e;
        }
    }
    if (victim->used) {
        ++evictions_;
    } else {
        ++used_;
    }
    *victim = SourceState{};
    victim->used = true;
    victim->key = key;
    victim->lastSeenNs = nowNs;
    return *victim;
}

}  // namespace sbc::policy
