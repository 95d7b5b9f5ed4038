#pragma once
// The control-channel protocol between sbc (the control plane, controlplane/media) and
// sbc-dataplane. One written contract for both processes (STYLE.md #1); byte layouts, semantics,
// error codes and the resync procedure are documented field by field in dataplane/README.md.
//
// Transport: a Unix SOCK_SEQPACKET socket, one message per datagram, at most kMaxMessageSize
// bytes. Every message starts with a 16-byte header {magic, version, type, length, seq}; integers
// are little-endian. Requests carry a client-chosen non-zero seq which the reply echoes;
// unsolicited events carry seq 0.
//
// decode() never trusts its input: every length, enum, address family, port, count and reserved
// byte is checked, and a rejected message yields a DecodeError (code + text), never a partial
// message. encode() of a message that decode() would reject is a programming error; encode()
// validates too and throws std::invalid_argument, so a bad message is never sent.
//
// Threading: free functions and value types, no shared state; usable from any thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

namespace sbc::dpapi {

inline constexpr std::uint32_t kMagic = 0x50444253;  // "SBDP" as little-endian bytes
inline constexpr std::uint16_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 16;
inline constexpr std::size_t kMaxMessageSize = 65536;
inline constexpr std::size_t kMaxInterfaceNameLength = 31;
inline constexpr std::size_t kMaxInterfaces = 16;
inline constexpr std::size_t kMaxAddressesPerInterface = 8;
inline constexpr std::size_t kMaxErrorTextLength = 1024;
inline constexpr std::size_t kMaxCounterNameLength = 63;
inline constexpr std::size_t kMaxCounters = 256;
inline constexpr std::uint16_t kMaxListPage = 64;
inline constexpr std::uint32_t kMaxIdleTimeoutMs = 86'400'000;  // one day
inline constexpr std::uint32_t kMaxClockRate = 1'000'000;

enum class MessageType : std::uint16_t {
    Hello = 0x0001,
    CreateFlow = 0x0002,
    UpdateFlow = 0x0003,
    DeleteFlow = 0x0004,
    ListFlows = 0x0005,
    Stats = 0x0006,
    ResyncDone = 0x0007,
    HelloReply = 0x0081,
    CreateFlowReply = 0x0082,
    UpdateFlowReply = 0x0083,
    DeleteFlowReply = 0x0084,
    ListFlowsReply = 0x0085,
    StatsReply = 0x0086,
    ResyncDoneReply = 0x0087,
    FlowIdle = 0x0101,  // event, seq 0
    Error = 0x00ff,
};

// Error codes carried in an Error reply (and DecodeError). Stable numbers: part of the protocol.
enum class ErrorCode : std::uint16_t {
    BadMessage = 1,          // malformed: a length, enum, address, port or reserved byte is wrong
    UnsupportedVersion = 2,  // header version is not kProtocolVersion
    UnknownType = 3,         // header type is not a request this side accepts
    HelloRequired = 4,       // a request other than Hello before the first Hello
    NoSuchFlow = 5,          // Update/Delete of a flow id that does not exist
    FlowConflict = 6,        // CreateFlow of an existing id with different local addresses/ports
    TableFull = 7,           // flow capacity reached
    UnknownInterface = 8,    // an end names an interface the data plane does not have
    AddressNotOwned = 9,     // a local IP is not one of that interface's media addresses
    PortInUse = 10,          // a local IP:port is already used by another flow
    StaleGeneration = 11,    // the request's generation is not the current one
    Internal = 12,           // the data plane could not apply a valid request (logged there)
};
const char* errorCodeName(ErrorCode c) noexcept;

enum class LatchMode : std::uint8_t {
    Off = 0,        // send to the configured remote only; packets from elsewhere are dropped
    AnySource = 1,  // RFC 7362 symmetric RTP: the first packet from anywhere sets the remote
    SameHost = 2,   // latch a new port only from the configured remote's IP address
};

// An IPv4 or IPv6 address, or none. Wire: u8 family (0 none, 4, 6), 3 reserved zero bytes,
// 16 address bytes (IPv4 in the first 4, the other 12 zero; all zero for none).
struct IpAddress {
    std::uint8_t family = 0;  // 0, 4 or 6
    std::array<std::uint8_t, 16> bytes{};

    bool isSet() const noexcept { return family != 0; }
    static IpAddress v4(std::uint32_t hostOrder) noexcept;
    static std::optional<IpAddress> parse(const std::string& text);  // literal, no brackets
    std::string toString() const;                                    // "" when unset
    bool operator==(const IpAddress&) const = default;
};

// One end of a flow: where sbc receives (local) and where it sends (remote) on one side.
struct FlowEnd {
    std::string interface;             // data-plane interface name, 1..31 of [A-Za-z0-9_.-]
    IpAddress local;                   // one of that interface's media addresses (set)
    std::uint16_t localRtpPort = 0;    // 1..65535
    std::uint16_t localRtcpPort = 0;   // 0 with rtcpMux, else 1..65535 and != localRtpPort
    bool rtcpMux = false;              // RFC 5761: RTCP on the RTP port
    IpAddress remote;                  // unset until known; else same family as local
    std::uint16_t remoteRtpPort = 0;   // 0 = not known yet (only with remote unset or latching)
    std::uint16_t remoteRtcpPort = 0;  // 0 = remoteRtpPort + 1 (or the RTP port with rtcpMux)
    LatchMode latch = LatchMode::AnySource;
    std::uint32_t clockRate = 8000;  // RTP clock (Hz) for the RFC 3550 A.8 jitter; 1..1,000,000
    bool operator==(const FlowEnd&) const = default;
};

// CreateFlow and UpdateFlow carry the same body (both ends of a call leg in one command).
struct FlowSpec {
    std::uint64_t flowId = 0;         // non-zero, chosen by the control plane
    std::uint64_t generation = 0;     // non-zero; must equal the session's Hello generation
    std::uint32_t idleTimeoutMs = 0;  // 0 = the data plane's configured default
    FlowEnd a;
    FlowEnd b;
    bool operator==(const FlowSpec&) const = default;
};

// Counters of one flow end: what arrived at that end's local ports. Written by the owning lcore.
#define SBC_DP_END_STATS(X)                                                      \
    X(packets, "RTP packets received and relayed")                               \
    X(bytes, "UDP payload bytes of those packets")                               \
    X(rtcpPackets, "RTCP packets received and relayed")                          \
    X(rtcpBytes, "UDP payload bytes of those RTCP packets")                      \
    X(lost, "RTP sequence gaps (packets expected but not seen)")                 \
    X(jitter, "RFC 3550 A.8 interarrival jitter, in RTP timestamp units")        \
    X(lastSeenMs, "Unix time (ms) of the last packet received, 0 = never")       \
    X(dropsNotRtp, "dropped: not RTP/RTCP (version, length, payload type)")      \
    X(dropsLatch, "dropped: source refused by the latch mode")                   \
    X(dropsNoRemote, "dropped: the other end has no remote yet")                 \
    X(dropsNoNeighbour, "dropped: no MAC for the next hop yet (ARP/ND pending)") \
    X(dropsTxFull, "dropped: transmit queue full")

struct EndStats {
#define SBC_DP_FIELD(name, help) std::uint64_t name = 0;
    SBC_DP_END_STATS(SBC_DP_FIELD)
#undef SBC_DP_FIELD
    bool operator==(const EndStats&) const = default;
};

struct InterfaceInfo {
    std::string name;
    std::array<std::uint8_t, 6> mac{};
    std::uint16_t mtu = 0;
    struct Address {
        IpAddress ip;
        std::uint8_t prefixLength = 0;
        bool operator==(const Address&) const = default;
    };
    std::vector<Address> addresses;  // the media addresses it answers ARP/ND for; 1..8
    bool operator==(const InterfaceInfo&) const = default;
};

// A flow as the data plane holds it now: remotes are the latched ones once latched.
struct FlowInfo {
    FlowSpec spec;
    EndStats statsA;
    EndStats statsB;
    bool operator==(const FlowInfo&) const = default;
};

struct Counter {
    std::string name;  // 1..63 of [a-z0-9_]
    std::uint64_t value = 0;
    bool operator==(const Counter&) const = default;
};

// ---- messages -------------------------------------------------------------------------------

struct Hello {
    std::uint64_t generation = 0;  // non-zero; a new one on every (re)connect
    bool operator==(const Hello&) const = default;
};
struct HelloReply {
    std::uint16_t protocolVersion = kProtocolVersion;
    std::uint64_t bootId = 0;      // random per data-plane start: a change means flows are gone
    std::uint64_t generation = 0;  // the generation flows are now claimed under
    std::uint64_t previousGeneration = 0;  // the one before this Hello (0 = none)
    std::uint32_t flowCount = 0;
    std::uint32_t flowCapacity = 0;
    std::vector<InterfaceInfo> interfaces;
    bool operator==(const HelloReply&) const = default;
};
struct CreateFlow {
    FlowSpec spec;
    bool operator==(const CreateFlow&) const = default;
};
struct CreateFlowReply {
    std::uint64_t flowId = 0;
    bool reclaimed = false;  // the flow existed with the same locals: counters and latches kept
    bool operator==(const CreateFlowReply&) const = default;
};
struct UpdateFlow {
    FlowSpec spec;
    bool operator==(const UpdateFlow&) const = default;
};
struct UpdateFlowReply {
    std::uint64_t flowId = 0;
    bool operator==(const UpdateFlowReply&) const = default;
};
struct DeleteFlow {
    std::uint64_t flowId = 0;
    bool operator==(const DeleteFlow&) const = default;
};
struct DeleteFlowReply {
    std::uint64_t flowId = 0;
    EndStats statsA;  // final counters
    EndStats statsB;
    bool operator==(const DeleteFlowReply&) const = default;
};
struct ListFlows {
    std::uint64_t cursor = 0;  // 0 = from the start; else a nextCursor from the previous page
    std::uint16_t maxCount = kMaxListPage;  // 1..kMaxListPage
    bool operator==(const ListFlows&) const = default;
};
struct ListFlowsReply {
    std::uint64_t nextCursor = 0;  // 0 = no more flows
    std::vector<FlowInfo> flows;   // at most kMaxListPage
    bool operator==(const ListFlowsReply&) const = default;
};
struct Stats {
    bool operator==(const Stats&) const = default;
};
struct StatsReply {
    std::vector<Counter> counters;  // at most kMaxCounters, names unique
    bool operator==(const StatsReply&) const = default;
};
struct ResyncDone {
    std::uint64_t generation = 0;  // the Hello generation; flows not re-claimed under it go
    bool operator==(const ResyncDone&) const = default;
};
struct ResyncDoneReply {
    std::uint32_t removed = 0;  // flows deleted because nobody re-claimed them
    bool operator==(const ResyncDoneReply&) const = default;
};
struct FlowIdleEvent {
    std::uint64_t flowId = 0;
    std::uint64_t generation = 0;
    std::uint32_t idleMs = 0;  // no packet at either end for this long (>= the idle timeout)
    EndStats statsA;
    EndStats statsB;
    bool operator==(const FlowIdleEvent&) const = default;
};
struct ErrorReply {
    ErrorCode code = ErrorCode::BadMessage;
    std::string text;  // human-readable, at most kMaxErrorTextLength bytes
    bool operator==(const ErrorReply&) const = default;
};

using Message =
    std::variant<Hello, HelloReply, CreateFlow, CreateFlowReply, UpdateFlow, UpdateFlowReply,
                 DeleteFlow, DeleteFlowReply, ListFlows, ListFlowsReply, Stats, StatsReply,
                 ResyncDone, ResyncDoneReply, FlowIdleEvent, ErrorReply>;

MessageType messageType(const Message& m) noexcept;
const char* messageTypeName(MessageType t) noexcept;
bool isRequest(MessageType t) noexcept;

struct Envelope {
    std::uint32_t seq = 0;
    Message message;
};

struct DecodeError {
    ErrorCode code = ErrorCode::BadMessage;
    std::string text;
    std::uint32_t seq = 0;  // the header's seq when the header was readable (for the Error reply)
};

// Encodes one message with the given seq. Throws std::invalid_argument when the message violates
// a rule decode() checks (so nothing invalid ever leaves this process).
std::vector<std::uint8_t> encode(const Message& m, std::uint32_t seq);

// Decodes and validates one whole datagram. Never throws on bad input.
struct DecodeResult {
    std::optional<Envelope> envelope;
    DecodeError error;  // meaningful when !envelope
    bool ok() const noexcept { return envelope.has_value(); }
};
DecodeResult decode(std::span<const std::uint8_t> datagram);

// Validation shared by encode() and decode() (and the data plane for semantic checks): returns
// an empty string when valid, else what is wrong.
std::string validate(const FlowSpec& spec);

}  // namespace sbc::dpapi
