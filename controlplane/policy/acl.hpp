#pragma once
// Evaluation of a compiled Acl (model.hpp) against a source address and, when the source alone
// does not decide, against the parsed request.
//
// Threading: pure functions over immutable snapshots; the io_context thread calls them.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string_view>

#include "controlplane/policy/model.hpp"

namespace sbc::policy {

// What the message-level conditions look at. Users are the URI user parts as received (escaped);
// they are unescaped before matching (RFC 3261 §19.1.4), and visual separators are removed
// before number-prefix matching (RFC 3966 §5.1.1), so "%2B881" and "+88-1" match "+881".
struct RequestView {
    std::string_view method;
    std::string_view userAgent;
    std::string_view fromUser;
    std::string_view toUser;
    std::string_view ruriUser;
};

struct AclDecision {
    bool decided = false;  // false: the message is needed (start evaluating at `next`)
    AclAction action = AclAction::Allow;
    DenyResponse response = DenyResponse::Reject;
    std::int32_t rule = -1;  // matching rule, -1: the default
    std::size_t next = 0;
};

// Values longer than this are matched on their first kMaxMatchBytes bytes (bounded regex work).
inline constexpr std::size_t kMaxMatchBytes = 256;

// Source-only phase: decided when the first rule that can match the address has no message
// conditions, or no rule can match.
AclDecision evaluateSource(const Acl& acl, const boost::asio::ip::address& source) noexcept;
// Full evaluation from rule `start` (from evaluateSource().next, or 0).
AclDecision evaluateRequest(const Acl& acl, const boost::asio::ip::address& source,
                            const RequestView& req, std::size_t start) noexcept;

// True when `user` (escaped URI user) starts with one of the sorted prefixes.
bool matchesNumberPrefix(const std::vector<std::string>& sortedPrefixes,
                         std::string_view user) noexcept;

}  // namespace sbc::policy
