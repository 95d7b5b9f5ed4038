#include "controlplane/policy/gate.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <unordered_map>

#include "controlplane/policy/acl.hpp"

namespace sbc::policy {

namespace {

Transport transportOf(transport::Protocol p) {
    switch (p) {
        case transport::Protocol::Udp:
            return Transport::Udp;
        case transport::Protocol::Tcp:
            return Transport::Tcp;
        default:
            return Transport::Tls;
    }
}

// Case-insensitive substring search; `needle` is lower case. No allocation.
bool containsLower(std::string_view hay, std::string_view needle) {
    if (needle.empty() || needle.size() > hay.size()) {
        return false;
    }
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
        std::size_t j = 0;
        while (j < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + j])) ==
                                        static_cast<unsigned char>(needle[j])) {
            ++j;
        }
        if (j == needle.size()) {
            return true;
        }
    }
    return false;
}

}  // namespace

GateClock GateClock::system() {
    GateClock c;
    c.steadyNs = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
    };
    c.unixSeconds = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    return c;
}

PolicyGate::PolicyGate(PolicyPtr policy, BanStore& bans, GateClock clock,
                       const std::uint64_t* activeServerTransactions)
    : bans_(bans), clock_(std::move(clock)), activeServerTransactions_(activeServerTransactions) {
    install(std::move(policy));
}

void PolicyGate::install(PolicyPtr policy) {
    if (!sources_ || sources_->capacity() < policy->limits.tableSize ||
        sources_->capacity() >= 2 * static_cast<std::size_t>(policy->limits.tableSize)) {
        evictionsBefore_ += sources_ ? sources_->evictions() : 0;
        sources_ = std::make_unique<SourceTable>(policy->limits.tableSize);
    }
    if (auto* local = dynamic_cast<LocalBanStore*>(&bans_)) {
        local->setMaxBans(policy->bans.maxBans);
    }
    std::unordered_map<std::string, TokenBucket> old;
    if (policy_) {
        for (std::size_t i = 0; i < policy_->trunks.size() && i < trunkCps_.size(); ++i) {
            old.emplace(policy_->trunks[i].name, trunkCps_[i]);
        }
    }
    std::vector<TokenBucket> cps(policy->trunks.size());
    for (std::size_t i = 0; i < policy->trunks.size(); ++i) {
        if (auto it = old.find(policy->trunks[i].name); it != old.end()) {
            cps[i] = it->second;
        }
    }
    trunkCps_ = std::move(cps);
    policy_ = std::move(policy);
    ctx_ = {};
}

const GateStats& PolicyGate::stats() noexcept {
    stats_.sourceEvictions = evictionsBefore_ + sources_->evictions();
    stats_.sourcesTracked = sources_->used();
    stats_.sourceCapacity = sources_->capacity();
    return stats_;
}

core::GateVerdict PolicyGate::refuse(Reason r, bool silently, int code, int retryAfter) noexcept {
    auto i = static_cast<std::size_t>(r);
    ctx_.valid = false;
    if (silently) {
        ++stats_.dropped[i];
        return core::GateVerdict::drop();
    }
    ++stats_.rejected[i];
    return core::GateVerdict::reject(code, retryAfter);
}

core::GateVerdict PolicyGate::overLimit(Reason r) noexcept {
    // Over a limit: 503 with Retry-After (RFC 3261 §21.5.4) for a trunk; a silent drop for
    // sources no trunk knows (answering them would feed a reflection flood).
    return refuse(r, ctx_.trunk == nullptr, 503, policy_->limits.retryAfterSeconds);
}

core::GateVerdict PolicyGate::beforeParse(const transport::InboundMessage& in) noexcept {
    const auto& addr = in.remote.address;
    ctx_ = {};
    AddressKey key = AddressKey::of(addr);
    if (bans_.isBanned(key, clock_.unixSeconds())) {
        return refuse(Reason::Banned, true, 0, 0);
    }
    const PolicySnapshot& p = *policy_;
    ctx_.trunk = p.inboundTrunk(addr, in.remote.port, transportOf(in.protocol));
    if (ctx_.trunk != nullptr) {
        ctx_.trunkIndex = static_cast<std::size_t>(ctx_.trunk - p.trunks.data());
    }
    if (p.acl.present) {
        AclDecision d = evaluateSource(p.acl, addr);
        if (d.decided && d.action == AclAction::Deny) {
            return refuse(Reason::SourceAcl, d.response == DenyResponse::Drop, 403, 0);
        }
        ctx_.aclDecided = d.decided;
        ctx_.aclNext = d.next;
    }
    std::int64_t now = clock_.steadyNs();
    SourceState& s = sources_->touch(key, now);
    if (!s.requests.take(p.limits.requests.perSecond, p.limits.requests.burst, now)) {
        return overLimit(Reason::RateRequests);
    }
    ctx_.source = &s;
    ctx_.valid = true;
    ++stats_.passed;
    return core::GateVerdict::pass();
}

core::GateVerdict PolicyGate::afterParse(const sip::Message& req,
                                         const transport::InboundMessage& in) noexcept {
    if (!ctx_.valid) {
        // Not screened by beforeParse (a caller that skipped it): do it now.
        core::GateVerdict v = beforeParse(in);
        if (v.kind != core::GateVerdict::Kind::Continue) {
            return v;
        }
        --stats_.passed;
    }
    ctx_.valid = false;
    const PolicySnapshot& p = *policy_;
    const auto& addr = in.remote.address;
    std::string_view ua;
    if (const sip::Header* h = req.find("User-Agent")) {
        ua = h->value;
    }
    if (p.bans.enabled && !ua.empty()) {
        for (const auto& s : p.bans.scannerUserAgents) {
            if (containsLower(ua.substr(0, 1024), s)) {
                if (!exempt(addr)) {
                    ban(addr, BanReason::Scanner);
                }
                return refuse(Reason::Scanner, true, 0, 0);
            }
        }
    }
    RequestView view{req.methodText(), ua, req.from().uri.user, req.to().uri.user,
                     req.requestUri().user};
    if (p.acl.present && !ctx_.aclDecided) {
        AclDecision d = evaluateRequest(p.acl, addr, view, ctx_.aclNext);
        if (d.action == AclAction::Deny) {
            return refuse(Reason::Acl, d.response == DenyResponse::Drop, 403, 0);
        }
    }
    const Trunk* trunk = ctx_.trunk;
    if (trunk == nullptr) {
        switch (p.limits.unknownSource) {
            case UnknownSourceAction::Drop:
                return refuse(Reason::UnknownSource, true, 0, 0);
            case UnknownSourceAction::Reject:
                return refuse(Reason::UnknownSource, false, 403, 0);
            case UnknownSourceAction::Allow:
                break;
        }
    } else if (trunk->acl.present) {
        AclDecision d = evaluateRequest(trunk->acl, addr, view, 0);
        if (d.action == AclAction::Deny) {
            return refuse(Reason::TrunkAcl, d.response == DenyResponse::Drop, 403, 0);
        }
    }
    std::int64_t now = clock_.steadyNs();
    SourceState* s = ctx_.source;
    if (s == nullptr) {
        s = &sources_->touch(AddressKey::of(addr), now);
    }
    sip::Method m = req.method();
    if (m == sip::Method::Invite &&
        !s->invite.take(p.limits.invite.perSecond, p.limits.invite.burst, now)) {
        return overLimit(Reason::RateInvite);
    }
    if (m == sip::Method::Register &&
        !s->reg.take(p.limits.reg.perSecond, p.limits.reg.burst, now)) {
        return overLimit(Reason::RateRegister);
    }
    bool initialInvite = m == sip::Method::Invite && req.to().tag().empty();
    if (initialInvite) {
        if (trunk != nullptr && trunk->maxCallsPerSecond != 0) {
            double cps = trunk->maxCallsPerSecond;
            if (!trunkCps_[ctx_.trunkIndex].take(cps, cps, now)) {
                return overLimit(Reason::TrunkCps);
            }
        }
        if (p.overload.maxTransactions != 0 && activeServerTransactions_ != nullptr &&
            *activeServerTransactions_ >= p.overload.maxTransactions) {
            return refuse(Reason::OverloadTransactions, false, 503, p.limits.retryAfterSeconds);
        }
        if (p.overload.maxCalls != 0 && activeCalls() >= p.overload.maxCalls) {
            return refuse(Reason::OverloadCalls, false, 503, p.limits.retryAfterSeconds);
        }
    }
    return core::GateVerdict::pass();
}

bool PolicyGate::exempt(const boost::asio::ip::address& a) const noexcept {
    // Trunk sources are exempt from automatic bans when the policy says so.
    return policy_->bans.exemptTrunks && policy_->knownSource(a);
}

void PolicyGate::ban(const boost::asio::ip::address& a, BanReason why) noexcept {
    try {
        std::int64_t now = clock_.unixSeconds();
        BanRecord rec{a.to_string(), std::string(kBanReasonLabels[static_cast<std::size_t>(why)]),
                      now, now + policy_->bans.duration.count()};
        if (!bans_.ban(a, rec)) {
            ++stats_.bansRefusedFull;
            return;
        }
        ++stats_.bansAdded[static_cast<std::size_t>(why)];
        if (onBan) {
            onBan(rec);
        }
    } catch (...) {
        ++stats_.bansRefusedFull;  // out of memory: the ban is not recorded, the drop stands
    }
}

void PolicyGate::countFailure(const boost::asio::ip::address& a, bool auth) noexcept {
    const BanPolicy& b = policy_->bans;
    std::uint32_t threshold = auth ? b.authFailures : b.unknownUser;
    if (!b.enabled || threshold == 0 || exempt(a)) {
        return;
    }
    std::int64_t now = clock_.steadyNs();
    SourceState& s = sources_->touch(AddressKey::of(a), now);
    std::int64_t window = std::chrono::duration_cast<std::chrono::nanoseconds>(b.window).count();
    if (s.windowStartNs == 0 || now - s.windowStartNs > window) {
        s.windowStartNs = now;
        s.authFailures = 0;
        s.unknownUser = 0;
    }
    std::uint32_t& n = auth ? s.authFailures : s.unknownUser;
    if (++n >= threshold) {
        n = 0;
        ban(a, auth ? BanReason::AuthFailures : BanReason::UnknownUser);
    }
}

void PolicyGate::responseSent(const transport::InboundMessage& in, int code) noexcept {
    if (code == 404) {
        countFailure(in.remote.address, false);
    } else if (code == 401 || code == 407) {
        countFailure(in.remote.address, true);
    }
}

void PolicyGate::noteFinalResponse(const boost::asio::ip::address& source, int code) noexcept {
    switch (code) {
        case 401:  // RFC 3261 §21.4.2: credentials wrong or missing
        case 403:  // §21.4.4: the core refused the caller (a B2BUA turns 401/407 into it)
        case 407:  // §21.4.8
            countFailure(source, true);
            break;
        case 404:  // §21.4.5: the user does not exist
        case 484:  // §21.4.22: address incomplete (number walking)
        case 604:  // §21.6.3: does not exist anywhere
            countFailure(source, false);
            break;
        default:
            break;
    }
}

bool PolicyGate::banManually(const boost::asio::ip::address& a, std::chrono::seconds duration) {
    std::int64_t now = clock_.unixSeconds();
    if (!bans_.ban(a, BanRecord{a.to_string(), "manual", now, now + duration.count()})) {
        ++stats_.bansRefusedFull;
        return false;
    }
    ++stats_.bansAdded[static_cast<std::size_t>(BanReason::Manual)];
    return true;
}

bool PolicyGate::lift(const boost::asio::ip::address& a) {
    if (bans_.lift(a)) {
        ++stats_.bansLifted;
        return true;
    }
    return false;
}

std::vector<BanRecord> PolicyGate::bans() const {
    return bans_.list(clock_.unixSeconds());
}

}  // namespace sbc::policy
