#include "controlplane/policy/model.hpp"

#include <algorithm>

namespace sbc::policy {

bool Cidr::contains(const boost::asio::ip::address& a) const {
    if (a.is_v4() != network.is_v4()) {
        return false;
    }
    auto cmp = [this](const auto& x, const auto& y) {
        int bits = prefixLength;
        for (size_t i = 0; i < x.size() && bits > 0; ++i, bits -= 8) {
            unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
            if ((x[i] & mask) != (y[i] & mask)) {
                return false;
            }
        }
        return true;
    };
    if (a.is_v4()) {
        return cmp(a.to_v4().to_bytes(), network.to_v4().to_bytes());
    }
    return cmp(a.to_v6().to_bytes(), network.to_v6().to_bytes());
}

const Trunk* PolicySnapshot::inboundTrunk(const boost::asio::ip::address& source,
                                          std::uint16_t sourcePort, Transport transport) const {
    for (const Trunk& t : trunks) {
        if (t.transport && *t.transport != transport) {
            continue;
        }
        if (t.sourcePort && *t.sourcePort != sourcePort) {
            continue;
        }
        if (std::any_of(t.sources.begin(), t.sources.end(),
                        [&](const Cidr& c) { return c.contains(source); })) {
            return &t;
        }
    }
    return nullptr;
}

const Trunk* PolicySnapshot::trunk(std::string_view name) const {
    for (const Trunk& t : trunks) {
        if (t.name == name) {
            return &t;
        }
    }
    return nullptr;
}

const Route* PolicySnapshot::route(const Trunk& from, std::string_view user) const {
    for (const Route& r : routes) {
        if (!r.fromTrunks.empty() &&
            std::find(r.fromTrunks.begin(), r.fromTrunks.end(), from.name) == r.fromTrunks.end()) {
            continue;
        }
        if (!user.starts_with(r.userPrefix)) {
            continue;
        }
        if (r.userRegex && !std::regex_match(user.begin(), user.end(), *r.userRegex)) {
            continue;
        }
        return &r;
    }
    return nullptr;
}

}  // namespace sbc::policy
