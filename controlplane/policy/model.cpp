#include "controlplane/policy/model.hpp"

#include <algorithm>

namespace sbc::policy {

namespace {

bool filtersMatch(const Trunk& t, std::uint16_t sourcePort, Transport transport) {
    if (t.transport && *t.transport != transport) {
        return false;
    }
    return !(t.sourcePort && *t.sourcePort != sourcePort);
}

}  // namespace

void PolicySnapshot::compile() {
    std::vector<std::pair<Cidr, std::int32_t>> entries;
    trunkByName_.clear();
    for (std::size_t i = 0; i < trunks.size(); ++i) {
        trunkByName_.emplace(trunks[i].name, i);
        for (const Cidr& c : trunks[i].sources) {
            entries.emplace_back(c, static_cast<std::int32_t>(i));
        }
    }
    sourceEntries_ = entries.size();
    trunkSources_.build(entries);
    compiled_ = true;
}

const Trunk* PolicySnapshot::inboundTrunk(const boost::asio::ip::address& source,
                                          std::uint16_t sourcePort, Transport transport) const {
    if (compiled_) {
        std::int32_t i = trunkSources_.lookup(source);
        if (i == CidrTable::kNone) {
            return nullptr;
        }
        const Trunk& first = trunks[static_cast<std::size_t>(i)];
        if (filtersMatch(first, sourcePort, transport)) {
            return &first;
        }
        // The first trunk listing the source filters on transport or port: fall back to the
        // definition (rare: only for sources shared by trunks that differ by port/transport).
    }
    for (const Trunk& t : trunks) {
        if (!filtersMatch(t, sourcePort, transport)) {
            continue;
        }
        if (std::any_of(t.sources.begin(), t.sources.end(),
                        [&](const Cidr& c) { return c.contains(source); })) {
            return &t;
        }
    }
    return nullptr;
}

bool PolicySnapshot::knownSource(const boost::asio::ip::address& source) const {
    if (compiled_) {
        return trunkSources_.lookup(source) != CidrTable::kNone;
    }
    return std::any_of(trunks.begin(), trunks.end(), [&](const Trunk& t) {
        return std::any_of(t.sources.begin(), t.sources.end(),
                           [&](const Cidr& c) { return c.contains(source); });
    });
}

const Trunk* PolicySnapshot::trunk(std::string_view name) const {
    if (compiled_) {
        auto it = trunkByName_.find(std::string(name));
        return it == trunkByName_.end() ? nullptr : &trunks[it->second];
    }
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
        if (r.userRegex &&
            !re2::RE2::FullMatch(re2::StringPiece(user.data(), user.size()), *r.userRegex)) {
            continue;
        }
        return &r;
    }
    return nullptr;
}

}  // namespace sbc::policy
