#pragma once
// Bans of source addresses as plain, serialisable records behind a small interface, so that a
// shared store (Redis, DESIGN.md "Beyond one machine") can replace the local one.
//
// Threading: LocalBanStore is owned by the io_context thread (the PolicyGate and admin commands
// run there).
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/policy/source_table.hpp"

namespace sbc::policy {

struct BanRecord {
    std::string address;         // "192.0.2.7", "2001:db8::7"
    std::string reason;          // scanner, auth_failures, unknown_user, manual
    std::int64_t sinceUnix = 0;  // seconds since the epoch
    std::int64_t untilUnix = 0;
};

class BanStore {
  public:
    virtual ~BanStore() = default;
    // Hot path: no allocation.
    virtual bool isBanned(const AddressKey& key, std::int64_t nowUnix) const noexcept = 0;
    // False when the store is full (the ban is not recorded; counted by the caller).
    virtual bool ban(const boost::asio::ip::address& a, BanRecord record) = 0;
    virtual bool lift(const boost::asio::ip::address& a) = 0;
    virtual std::vector<BanRecord> list(std::int64_t nowUnix) const = 0;
    virtual std::size_t size() const = 0;
};

class LocalBanStore final : public BanStore {
  public:
    explicit LocalBanStore(std::size_t maxBans) : maxBans_(maxBans) { bans_.reserve(1024); }

    void setMaxBans(std::size_t maxBans) { maxBans_ = maxBans; }

    bool isBanned(const AddressKey& key, std::int64_t nowUnix) const noexcept override;
    bool ban(const boost::asio::ip::address& a, BanRecord record) override;
    bool lift(const boost::asio::ip::address& a) override;
    std::vector<BanRecord> list(std::int64_t nowUnix) const override;
    std::size_t size() const override { return bans_.size(); }

  private:
    struct KeyHash {
        std::size_t operator()(const AddressKey& k) const noexcept {
            return static_cast<std::size_t>(k.hash());
        }
    };
    void purgeExpired(std::int64_t nowUnix);

    std::unordered_map<AddressKey, BanRecord, KeyHash> bans_;
    std::size_t maxBans_;
};

}  // namespace sbc::policy
