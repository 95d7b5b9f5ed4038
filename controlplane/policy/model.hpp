#pragma once
// The compiled policy: what the policy files (policies/README.md) become once loaded and checked.
//
// Contract between controlplane/policy (loader, validator, compiler; owns this file and may add to
// it) and its readers (the SIP core's policy steps, the B2BUA's routing). A snapshot is immutable:
// readers hold a std::shared_ptr<const PolicySnapshot> for the duration of a decision or a call,
// and reload swaps the pointer (STYLE.md #4).
#include <re2/re2.h>

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controlplane/policy/cidr.hpp"
#include "controlplane/policy/cidr_table.hpp"

namespace sbc::policy {

enum class Transport : std::uint8_t { Udp, Tcp, Tls };

// Cidr lives in cidr.hpp (parsing and matching).

// --- ACLs (policies/README.md "acl") ---------------------------------------------------------

enum class AclAction : std::uint8_t { Allow, Deny };
// What a deny does: answer 403 (stateless) or drop silently (counted).
enum class DenyResponse : std::uint8_t { Reject, Drop };

// A regex as written plus its compiled form.
struct Pattern {
    std::string source;
    std::shared_ptr<const re2::RE2> regex;  // RE2: linear-time, no backtracking
};

// One ordered ACL rule: every condition present must hold (absent conditions match anything).
struct AclRule {
    std::string name;   // optional label, for messages and `sbc policy check`
    std::string where;  // "FILE:LINE:COL" of the rule, for messages
    AclAction action = AclAction::Deny;
    DenyResponse response = DenyResponse::Reject;
    std::vector<Cidr> sources;
    CidrTable sourceSet;                      // compiled `sources`
    std::vector<std::string> methods;         // upper case; empty: any
    std::optional<Pattern> userAgent;         // searched, case-insensitive
    std::optional<Pattern> fromUser;          // full match on the From URI user
    std::optional<Pattern> toUser;            // full match on the To URI user
    std::optional<Pattern> ruriUser;          // full match on the Request-URI user
    std::vector<std::string> numberPrefixes;  // sorted; Request-URI user starts with one

    bool sourceOnly() const {
        return methods.empty() && !userAgent && !fromUser && !toUser && !ruriUser &&
               numberPrefixes.empty();
    }
};

struct Acl {
    bool present = false;
    std::vector<AclRule> rules;  // first match wins
    AclAction defaultAction = AclAction::Allow;
    DenyResponse defaultResponse = DenyResponse::Reject;
    // Compiled: address -> index of the first rule whose sources contain it (rules without
    // sources contain every address). Lets the source alone decide before parsing.
    CidrTable firstRule;
};

// --- rate limits, bans, overload ----------------------------------------------------------

struct Rate {
    double perSecond = 0;  // 0: unlimited
    double burst = 0;
};

enum class UnknownSourceAction : std::uint8_t { Allow, Reject, Drop };

struct Limits {
    Rate requests;                    // every request from one source address
    Rate invite;                      // INVITEs from one source address
    Rate reg;                         // REGISTERs from one source address
    std::uint32_t tableSize = 65536;  // per-source entries kept (bounded; oldest evicted)
    int retryAfterSeconds = 5;        // Retry-After of every policy 503
    UnknownSourceAction unknownSource = UnknownSourceAction::Drop;
};

struct BanPolicy {
    bool enabled = true;
    std::chrono::seconds window{60};
    std::chrono::seconds duration{3600};
    std::uint32_t authFailures = 5;  // 401/407 answered within the window (0: off)
    std::uint32_t unknownUser = 10;  // 404 answered within the window (0: off)
    std::uint32_t maxBans = 100000;
    bool exemptTrunks = true;  // sources of a trunk are never banned automatically
    std::vector<std::string> scannerUserAgents;  // lower case; substring match bans at once
};

struct Overload {
    std::uint64_t maxTransactions = 0;  // active server transactions; new INVITEs past it: 503
    std::uint64_t maxCalls = 0;         // concurrent calls (the B2BUA's count); 0: unlimited
};

// A next hop of a trunk (RFC 3263 resolution is not done: host is an IP literal or a name the
// resolver of the machine knows).
struct Destination {
    std::string host;
    std::uint16_t port = 5060;
    Transport transport = Transport::Udp;
    int priority = 0;  // lower first; equal priorities share load by weight
    int weight = 1;
};

struct OptionsPing {
    bool enabled = false;
    std::chrono::milliseconds interval{30000};
    int failuresToDown = 2;  // consecutive timeouts / 5xx before a destination is down
    int successesToUp = 1;
};

struct HeaderRules {
    // Names (case-insensitive) of headers that may cross from the other leg into requests sent
    // to this trunk, beyond those the B2BUA builds itself. Everything else is dropped.
    std::vector<std::string> allow;
    // Removed even if allowed (e.g. internal X- headers).
    std::vector<std::string> strip;
};

enum class RedirectMode : std::uint8_t { Relay, Follow };

struct Trunk {
    std::string name;
    std::string side;  // "outside" or "inside": the listeners and media pool this trunk uses

    // Inbound match: a request from one of these sources (and, when set, on that transport /
    // from that port) belongs to this trunk.
    std::vector<Cidr> sources;
    std::optional<Transport> transport;
    std::optional<std::uint16_t> sourcePort;

    // Outbound: where calls routed to this trunk go.
    std::vector<Destination> destinations;
    OptionsPing ping;
    // Failover: try the next destination on these codes or when none arrives within the timeout.
    std::vector<int> failoverCodes{408, 500, 502, 503, 504};
    std::chrono::milliseconds failoverTimeout{4000};
    RedirectMode redirects = RedirectMode::Relay;

    HeaderRules headers;
    bool stripIce = true;  // ICE attributes removed from SDP sent to this trunk
    bool latchMedia = true;

    // Limits (0 = unlimited).
    std::uint32_t maxCallsPerSecond = 0;
    std::uint32_t maxConcurrentCalls = 0;

    // Name of an entry in the secrets file (digest credentials towards this trunk); empty: none.
    std::string credentials;

    // Added by the policy loader.
    std::string where;  // "FILE:LINE:COL" of the definition
    Acl acl;            // checked after the global ACL for requests from this trunk
};

struct Route {
    std::string name;
    std::vector<std::string> fromTrunks;        // empty: any inbound trunk
    std::string userPrefix;                     // Request-URI user starts with it ("" matches all)
    std::shared_ptr<const re2::RE2> userRegex;  // full match on the Request-URI user (RE2)
    std::string regexSource;                    // the regex as written, for messages
    std::string targetTrunk;
    std::string where;  // "FILE:LINE:COL" of the definition
};

class PolicySnapshot {
  public:
    std::vector<Trunk> trunks;
    std::vector<Route> routes;  // first match wins, in file order

    // The trunk a request received from `source` over `transport` belongs to; nullptr if none.
    const Trunk* inboundTrunk(const boost::asio::ip::address& source, std::uint16_t sourcePort,
                              Transport transport) const;
    const Trunk* trunk(std::string_view name) const;
    // The first route matching the inbound trunk and the Request-URI user; nullptr if none.
    const Route* route(const Trunk& from, std::string_view user) const;

    // Added by the policy loader (policies/README.md).
    std::vector<std::string> files;  // the files it was compiled from
    Acl acl;                         // global ACL
    Limits limits;
    BanPolicy bans;
    Overload overload;

    // Compiled lookups (built by compile(); the public vectors above stay the source of truth).
    void compile();
    // True when some trunk lists `source` among its sources (any transport or port).
    bool knownSource(const boost::asio::ip::address& source) const;
    std::size_t sourceEntries() const noexcept { return sourceEntries_; }

  private:
    CidrTable trunkSources_;  // address -> index of the first trunk listing it
    std::unordered_map<std::string, std::size_t> trunkByName_;
    std::size_t sourceEntries_ = 0;
    bool compiled_ = false;
};

using PolicyPtr = std::shared_ptr<const PolicySnapshot>;

}  // namespace sbc::policy
