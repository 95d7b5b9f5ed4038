#include "controlplane/policy/ban_store.hpp"

#include <algorithm>

namespace sbc::policy {

bool LocalBanStore::isBanned(const AddressKey& key, std::int64_t nowUnix) const noexcept {
    auto it = bans_.find(key);
    return it != bans_.end() && it->second.untilUnix > nowUnix;
}

void LocalBanStore::purgeExpired(std::int64_t nowUnix) {
    std::erase_if(bans_, [nowUnix](const auto& kv) { return kv.second.untilUnix <= nowUnix; });
}

bool LocalBanStore::ban(const boost::asio::ip::address& a, BanRecord record) {
    AddressKey key = AddressKey::of(a);
    auto it = bans_.find(key);
    if (it != bans_.end()) {
        it->second = std::move(record);
        return true;
    }
    if (bans_.size() >= maxBans_) {
        purgeExpired(record.sinceUnix);
        if (bans_.size() >= maxBans_) {
            return false;
        }
    }
    bans_.emplace(key, std::move(record));
    return true;
}

bool LocalBanStore::lift(const boost::asio::ip::address& a) {
    return bans_.erase(AddressKey::of(a)) > 0;
}

std::vector<BanRecord> LocalBanStore::list(std::int64_t nowUnix) const {
    std::vector<BanRecord> out;
    for (const auto& [key, rec] : bans_) {
        if (rec.untilUnix > nowUnix) {
            out.push_back(rec);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const BanRecord& x, const BanRecord& y) { return x.address < y.address; });
    return out;
}

}  // namespace sbc::policy
