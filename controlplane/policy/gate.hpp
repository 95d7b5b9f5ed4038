#pragma once
// The policy gate: screens every inbound SIP message for SipServer (core/inbound_gate.hpp).
//
// Before parsing (the source alone): ban list, source-only ACL rules, per-source token bucket for
// all requests. After parsing (requests): scanner user agents (ban at once), the rest of the
// global ACL (method, user agent, From/To/Request-URI users, number prefixes), unknown sources,
// the trunk's ACL, per-source INVITE/REGISTER buckets, and for new INVITEs the trunk's calls per
// second and overload (active transactions, concurrent calls) — in-dialog requests are never shed.
// Verdicts: continue, reject (403; 503 with Retry-After for limits, RFC 3261 §21.5.4) or a silent
// counted drop (for sources no trunk knows, by policy). Every answer is the same whoever the user
// is: the gate never looks up users, so it cannot reveal which exist.
//
// Calls are counted once, by the B2BUA (controlplane/b2bua): it enforces each trunk's
// `limits.concurrent` (503 Trunk Busy) and owns the live call count the gate reads for
// overload.max_calls. The gate keeps what needs no call state: the trunk's calls per second.
//
// Failures that lead to bans: responses SipServer originates (responseSent()) and final
// responses the B2BUA sends to a caller, its own or relayed from the core (noteFinalResponse()).
//
// Threading: owned by the io_context thread; install() is called there too (reload compiles on a
// worker and posts the swap).
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "controlplane/core/inbound_gate.hpp"
#include "controlplane/policy/ban_store.hpp"
#include "controlplane/policy/gate_stats.hpp"
#include "controlplane/policy/model.hpp"
#include "controlplane/policy/source_table.hpp"

namespace sbc::policy {

struct GateClock {
    std::function<std::int64_t()> steadyNs;     // monotonic
    std::function<std::int64_t()> unixSeconds;  // wall clock, for ban records
    static GateClock system();
};

class PolicyGate final : public core::InboundGate {
  public:
    // `activeServerTransactions` feeds overload.max_transactions (may be null).
    PolicyGate(PolicyPtr policy, BanStore& bans, GateClock clock = GateClock::system(),
               const std::uint64_t* activeServerTransactions = nullptr);

    // The live call count that overload.max_calls is checked against. The B2BUA owns it (it
    // alone knows when a call really ends, and it enforces each trunk's `limits.concurrent`);
    // the gate only reads it. Null (no B2BUA): max_calls has nothing to count.
    void setActiveCalls(const std::uint64_t* activeCalls) noexcept { activeCalls_ = activeCalls; }
    std::uint64_t activeCalls() const noexcept {
        return activeCalls_ != nullptr ? *activeCalls_ : 0;
    }

    // Swaps in a new policy (calls keep the snapshot they hold). Per-source state is kept unless
    // the table size changed; per-trunk CPS buckets are kept by trunk name.
    void install(PolicyPtr policy);
    const PolicyPtr& policy() const noexcept { return policy_; }

    core::GateVerdict beforeParse(const transport::InboundMessage& in) noexcept override;
    core::GateVerdict afterParse(const sip::Message& req,
                                 const transport::InboundMessage& in) noexcept override;
    void responseSent(const transport::InboundMessage& in, int code) noexcept override;

    // For the B2BUA: the final response `code` it sent to `source` for an initial INVITE.
    // 401/403/407 count towards auth_failures bans, 404/484/604 towards unknown_user bans
    // (trunk sources are exempt when bans.exempt_trunks says so).
    void noteFinalResponse(const boost::asio::ip::address& source, int code) noexcept;

    // Admin: bans.
    bool banManually(const boost::asio::ip::address& a, std::chrono::seconds duration);
    bool lift(const boost::asio::ip::address& a);
    std::vector<BanRecord> bans() const;

    const GateStats& stats() noexcept;
    GateStats& mutableStats() noexcept { return stats_; }

    // Called after each ban (for logs).
    std::function<void(const BanRecord&)> onBan;

  private:
    core::GateVerdict refuse(Reason r, bool silently, int code, int retryAfter) noexcept;
    core::GateVerdict overLimit(Reason r) noexcept;
    void ban(const boost::asio::ip::address& a, BanReason why) noexcept;
    void countFailure(const boost::asio::ip::address& a, bool auth) noexcept;
    bool exempt(const boost::asio::ip::address& a) const noexcept;

    // Context of the message between beforeParse() and afterParse() (single-threaded, sequential).
    struct Context {
        bool valid = false;
        const Trunk* trunk = nullptr;
        std::size_t trunkIndex = 0;
        bool aclDecided = true;
        std::size_t aclNext = 0;
        SourceState* source = nullptr;
    };

    PolicyPtr policy_;
    BanStore& bans_;
    GateClock clock_;
    const std::uint64_t* activeServerTransactions_;
    const std::uint64_t* activeCalls_ = nullptr;  // the B2BUA's gauge (setActiveCalls)
    std::unique_ptr<SourceTable> sources_;
    std::vector<TokenBucket> trunkCps_;  // by trunk index in policy_
    Context ctx_;
    GateStats stats_;
    std::uint64_t evictionsBefore_ = 0;  // of source tables replaced by install()
};

}  // namespace sbc::policy
