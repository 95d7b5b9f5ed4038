#include "controlplane/sip/header.hpp"

#include <array>

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

namespace {

struct Entry {
    std::string_view name;
    char compact;
};

constexpr std::array<Entry, static_cast<size_t>(HeaderId::Count)> kEntries = {
    {{"", 0},
#define SBC_X(id, name, compact) {name, compact},
     SBC_SIP_HEADERS(SBC_X)
#undef SBC_X
    }};

// Buckets by (first letter, length) keep the lookup to one or two comparisons for real messages.
struct Index {
    // compact forms: 'a'..'z'
    std::array<HeaderId, 26> compact{};
    std::array<std::array<HeaderId, 4>, 26 * 24> byFirstAndLen{};

    constexpr Index() {
        for (size_t i = 1; i < kEntries.size(); ++i) {
            const Entry& e = kEntries[i];
            if (e.compact != 0) {
                compact[static_cast<size_t>(e.compact - 'a')] = static_cast<HeaderId>(i);
            }
            size_t bucket = static_cast<size_t>(chars::lower(e.name[0]) - 'a') * 24 + e.name.size();
            for (auto& slot : byFirstAndLen[bucket]) {
                if (slot == HeaderId::Unknown) {
                    slot = static_cast<HeaderId>(i);
                    break;
                }
            }
        }
    }
};

constexpr Index kIndex{};

}  // namespace

HeaderId headerIdOf(std::string_view name) noexcept {
    if (name.empty()) {
        return HeaderId::Unknown;
    }
    char first = chars::lower(name[0]);
    if (first < 'a' || first > 'z') {
        return HeaderId::Unknown;
    }
    if (name.size() == 1) {
        return kIndex.compact[static_cast<size_t>(first - 'a')];
    }
    if (name.size() >= 24) {
        return HeaderId::Unknown;
    }
    for (HeaderId id : kIndex.byFirstAndLen[static_cast<size_t>(first - 'a') * 24 + name.size()]) {
        if (id == HeaderId::Unknown) {
            break;
        }
        if (chars::iequals(kEntries[static_cast<size_t>(id)].name, name)) {
            return id;
        }
    }
    return HeaderId::Unknown;
}

std::string_view canonicalName(HeaderId id) noexcept {
    size_t i = static_cast<size_t>(id);
    return i < kEntries.size() ? kEntries[i].name : std::string_view{};
}

}  // namespace sbc::sip
