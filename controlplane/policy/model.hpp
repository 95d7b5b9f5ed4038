#pragma once
// The compiled policy: what the policy files (policies/README.md) become once loaded and checked.
//
// Contract between controlplane/policy (loader, validator, compiler; owns this file and may add to
// it) and its readers (the SIP core's policy steps, the B2BUA's routing). A snapshot is immutable:
// readers hold a std::shared_ptr<const PolicySnapshot> for the duration of a decision or a call,
// and reload swaps the pointer (STYLE.md #4).
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::policy {

enum class Transport : std::uint8_t { Udp, Tcp, Tls };

struct Cidr {
    boost::asio::ip::address network;  // host bits zero
    std::uint8_t prefixLength = 0;     // 0..32 (IPv4) or 0..128 (IPv6)

    bool contains(const boost::asio::ip::address& a) const;
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
};

struct Route {
    std::string name;
    std::vector<std::string> fromTrunks;  // empty: any inbound trunk
    std::string userPrefix;               // Request-URI user starts with it ("" matches all)
    std::optional<std::regex> userRegex;  // full match on the Request-URI user
    std::string regexSource;              // the regex as written, for messages
    std::string targetTrunk;
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
};

using PolicyPtr = std::shared_ptr<const PolicySnapshot>;

}  // namespace sbc::policy
