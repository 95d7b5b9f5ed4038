#pragma once
// Counters of the policy gate, declared once (STYLE.md #9): the struct, the JSON status and the
// Prometheus families (sbc/status.cpp) are generated from these lists.
#include <array>
#include <cstdint>
#include <string_view>

namespace sbc::policy {

// Why a request was refused (bounded label values of sbc_policy_*_total{reason=...}).
#define SBC_POLICY_REASONS(X)                        \
    X(Banned, "banned")                              \
    X(SourceAcl, "source_acl")                       \
    X(RateRequests, "rate_requests")                 \
    X(RateInvite, "rate_invite")                     \
    X(RateRegister, "rate_register")                 \
    X(Scanner, "scanner")                            \
    X(Acl, "acl")                                    \
    X(TrunkAcl, "trunk_acl")                         \
    X(UnknownSource, "unknown_source")               \
    X(TrunkCps, "trunk_cps")                         \
    X(OverloadTransactions, "overload_transactions") \
    X(OverloadCalls, "overload_calls")

enum class Reason : std::uint8_t {
#define SBC_X(id, label) id,
    SBC_POLICY_REASONS(SBC_X)
#undef SBC_X
        Count
};

inline constexpr std::array<std::string_view, static_cast<std::size_t>(Reason::Count)>
    kReasonLabels = {
#define SBC_X(id, label) label,
        SBC_POLICY_REASONS(SBC_X)
#undef SBC_X
};

// Why a source was banned.
#define SBC_BAN_REASONS(X)           \
    X(Scanner, "scanner")            \
    X(AuthFailures, "auth_failures") \
    X(UnknownUser, "unknown_user")   \
    X(Manual, "manual")

enum class BanReason : std::uint8_t {
#define SBC_X(id, label) id,
    SBC_BAN_REASONS(SBC_X)
#undef SBC_X
        Count
};

inline constexpr std::array<std::string_view, static_cast<std::size_t>(BanReason::Count)>
    kBanReasonLabels = {
#define SBC_X(id, label) label,
        SBC_BAN_REASONS(SBC_X)
#undef SBC_X
};

struct GateStats {
    std::uint64_t passed = 0;  // requests (and responses) the gate let through
    std::array<std::uint64_t, static_cast<std::size_t>(Reason::Count)> rejected{};
    std::array<std::uint64_t, static_cast<std::size_t>(Reason::Count)> dropped{};
    std::array<std::uint64_t, static_cast<std::size_t>(BanReason::Count)> bansAdded{};
    std::uint64_t bansRefusedFull = 0;
    std::uint64_t bansLifted = 0;
    std::uint64_t sourceEvictions = 0;  // per-source entries evicted by newer sources
    std::uint64_t sourcesTracked = 0;   // gauge
    std::uint64_t sourceCapacity = 0;   // gauge
    std::uint64_t reloads = 0;
    std::uint64_t reloadFailures = 0;
    double lastCompileSeconds = 0;  // gauge: the last successful compile (worker thread)
    double lastSwapSeconds = 0;     // gauge: installing it on the io thread
};

}  // namespace sbc::policy
