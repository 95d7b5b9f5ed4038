// SDP (RFC 8866) model, parser and serializer.
//
// The model owns its strings: SDP bodies are small and the B2BUA rewrites them (topology hiding,
// media relay), so values are edited in place and serialized again. Attributes are kept in order
// as (name, optional value) so unknown ones round-trip byte for byte; typed views (rtpmap, fmtp,
// crypto, rtcp, ICE candidates, direction) are parsed on demand from that list, which stays the
// single source of truth.
//
// The parser takes untrusted input: it never throws, asserts or loops unboundedly, enforces the
// bounds in `Limits`, and reports the first violation as an `ErrorCode` plus a message carrying
// the 1-based line number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sbc::sdp {

inline constexpr std::string_view kNetTypeIn = "IN";
inline constexpr std::string_view kAddrTypeIp4 = "IP4";
inline constexpr std::string_view kAddrTypeIp6 = "IP6";

// ---- Session-level and media-level fields ------------------------------------------------------

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). For IP4 the address may carry
// "/ttl[/count]", for IP6 "/count"; those suffixes are split out into `ttl` and `count`.
struct Connection {
    std::string netType{kNetTypeIn};
    std::string addrType{kAddrTypeIp4};
    std::string address;
    std::optional<unsigned> ttl;         // 0..255, IP4 only
    std::optional<std::uint32_t> count;  // number of addresses, >= 1

    // Parses the text after "c=". Returns nullopt if it is not valid.
    static std::optional<Connection> parse(std::string_view value);
    // "IN IP4 <ip>" or "IN IP6 <ip>" for an IPv4 / IPv6 literal; nullopt for anything else.
    static std::optional<Connection> fromAddress(std::string_view ip);

    bool isIp6() const noexcept;
    std::string toString() const;  // the text after "c="

    bool operator==(const Connection&) const = default;
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> (RFC 8866 §5.2).
struct Origin {
    std::string username{"-"};
    std::string sessionId;
    std::string sessionVersion;
    std::string netType{kNetTypeIn};
    std::string addrType{kAddrTypeIp4};
    std::string address;

    static std::optional<Origin> parse(std::string_view value);
    std::string toString() const;  // the text after "o="

    // Replaces the unicast address (IPv4 or IPv6 literal; the addrtype follows). False if `ip` is
    // not an IP literal (the origin is then unchanged).
    bool setAddress(std::string_view ip);
    // RFC 3264 §8: a modified offer carries sess-version + 1. Decimal, arbitrary length. False if
    // sessionVersion is not a decimal number (left unchanged).
    bool incrementVersion();

    bool operator==(const Origin&) const = default;
};

// b=<bwtype>:<bandwidth> (RFC 8866 §5.8).
struct Bandwidth {
    std::string type;  // "AS", "CT", "TIAS", "RS", "RR", ...
    std::uint64_t value = 0;

    std::string toString() const;  // the text after "b="

    bool operator==(const Bandwidth&) const = default;
};

// t=<start-time> <stop-time> with its r= lines and the z= line that follows them
// (RFC 8866 §5.9-5.11). r= and z= are kept verbatim.
struct Timing {
    std::string start{"0"};
    std::string stop{"0"};
    std::vector<std::string> repeats;  // r= values
    std::optional<std::string> zone;   // z= value

    bool operator==(const Timing&) const = default;
};

// ---- Attributes ---------------------------------------------------------------------------------

// a=<name> or a=<name>:<value> (RFC 8866 §5.13). "a=x" and "a=x:" are distinguished.
struct Attribute {
    std::string name;
    std::optional<std::string> value;

    std::string toString() const;  // the text after "a="

    bool operator==(const Attribute&) const = default;
};

// Ordered attribute list of one section (session or media). Names compare case-sensitively.
class AttributeList {
  public:
    using const_iterator = std::vector<Attribute>::const_iterator;

    AttributeList() = default;
    AttributeList(std::initializer_list<Attribute> items) : items_(items) {}

    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }
    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }
    const Attribute& operator[](std::size_t i) const { return items_[i]; }
    const std::vector<Attribute>& items() const noexcept { return items_; }

    bool has(std::string_view name) const noexcept;
    const Attribute* find(std::string_view name) const noexcept;  // first with that name
    // Value of the first attribute named `name` ("" for a property attribute); nullopt if absent.
    std::optional<std::string> value(std::string_view name) const;
    std::vector<std::string> values(std::string_view name) const;  // every value, in order

    void add(std::string name, std::optional<std::string> value = std::nullopt);
    // Replaces the first attribute named `name` in place and drops the others; appends if absent.
    void set(std::string_view name, std::optional<std::string> value = std::nullopt);
    std::size_t remove(std::string_view name);  // returns how many were removed
    template <typename Pred>
    std::size_t removeIf(Pred pred) {
        std::size_t before = items_.size();
        std::erase_if(items_, pred);
        return before - items_.size();
    }
    void clear() noexcept { items_.clear(); }

    bool operator==(const AttributeList&) const = default;

  private:
    std::vector<Attribute> items_;
};

// a=sendrecv / sendonly / recvonly / inactive (RFC 8866 §6.7, RFC 3264 §5.1).
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
std::string_view toString(Direction d) noexcept;
std::optional<Direction> directionFromString(std::string_view name) noexcept;

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] (RFC 8866 §6.6).
struct RtpMap {
    unsigned payloadType = 0;  // 0..127
    std::string encodingName;
    std::uint32_t clockRate = 0;
    std::optional<std::string> encodingParameters;  // e.g. channels "2"

    static std::optional<RtpMap> parse(std::string_view value);
    std::string toString() const;

    bool operator==(const RtpMap&) const = default;
};

// a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15). Parameters kept verbatim.
struct Fmtp {
    std::string format;
    std::string parameters;

    static std::optional<Fmtp> parse(std::string_view value);
    std::string toString() const;

    bool operator==(const Fmtp&) const = default;
};

// a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1).
struct Rtcp {
    std::uint16_t port = 0;
    std::optional<Connection> connection;

    static std::optional<Rtcp> parse(std::string_view value);
    std::string toString() const;

    bool operator==(const Rtcp&) const = default;
};

// One key-param of a=crypto (RFC 4568 §9.1): "<method>:<info>". For the "inline" method the info
// is split into key||salt, optional lifetime and optional MKI (RFC 4568 §6.1); for any other
// method `keySalt` holds the raw key-info and the optional fields are empty.
struct CryptoKeyParam {
    std::string method{"inline"};
    std::string keySalt;                  // base64
    std::optional<std::string> lifetime;  // "2^20" or decimal
    std::optional<std::string> mkiValue;  // decimal
    std::optional<unsigned> mkiLength;    // 1..128

    std::string toString() const;

    bool operator==(const CryptoKeyParam&) const = default;
};

// a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] (RFC 4568 §9.1).
struct Crypto {
    std::uint32_t tag = 0;  // 1*9DIGIT
    std::string suite;      // e.g. "AES_CM_128_HMAC_SHA1_80"
    std::vector<CryptoKeyParam> keyParams;
    std::vector<std::string> sessionParams;  // e.g. "KDR=1", "UNENCRYPTED_SRTCP"

    static std::optional<Crypto> parse(std::string_view value);
    std::string toString() const;

    bool operator==(const Crypto&) const = default;
};

// a=candidate (RFC 8839 §5.1).
struct IceCandidate {
    std::string foundation;
    unsigned component = 1;  // 1..256
    std::string transport{"UDP"};
    std::uint32_t priority = 0;
    std::string address;  // IP literal or FQDN (e.g. mDNS "<uuid>.local")
    std::uint16_t port = 0;
    std::string type;  // "host", "srflx", "prflx", "relay"
    std::optional<std::string> relatedAddress;
    std::optional<std::uint16_t> relatedPort;
    std::vector<std::pair<std::string, std::string>> extensions;  // e.g. {"generation","0"}

    static std::optional<IceCandidate> parse(std::string_view value);
    std::string toString() const;

    bool operator==(const IceCandidate&) const = default;
};

// ice-ufrag, ice-pwd, ice-options, ice-lite, ice-mismatch, ice-pacing, candidate,
// remote-candidates, end-of-candidates (RFC 8839 §5).
bool isIceAttribute(std::string_view name) noexcept;

// ---- Media and session descriptions -------------------------------------------------------------

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... and its i=, c=, b=, k=, a= lines
// (RFC 8866 §5.14).
struct MediaDescription {
    std::string media;  // "audio", "video", "application", ...
    std::uint16_t port = 0;
    std::optional<std::uint32_t> portCount;
    std::string proto;  // "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ...
    std::vector<std::string> formats;
    std::optional<std::string> information;
    std::vector<Connection> connections;
    std::vector<Bandwidth> bandwidths;
    std::optional<std::string> key;  // k=, verbatim
    AttributeList attributes;

    // RFC 3264 §6: a stream is rejected (or disabled) with port 0.
    bool isRejected() const noexcept { return port == 0; }
    void reject() noexcept;
    void setPort(std::uint16_t newPort) noexcept;
    // Replaces the media-level c= line(s) with a single "IN IP4|IP6 <ip>". False (unchanged) if
    // `ip` is not an IPv4/IPv6 literal. a=rtcp is not touched: see setRtcp().
    bool setConnectionAddress(std::string_view ip);
    // True when proto is an RTP profile (a "RTP" component, e.g. RTP/AVP, UDP/TLS/RTP/SAVPF).
    bool isRtp() const noexcept;

    std::vector<RtpMap> rtpMaps() const;  // every valid a=rtpmap, in order
    std::optional<RtpMap> rtpMap(unsigned payloadType) const;
    std::optional<Fmtp> fmtp(std::string_view format) const;
    std::optional<Fmtp> fmtp(unsigned payloadType) const;

    std::optional<Direction> direction() const noexcept;  // explicit media-level attribute
    void setDirection(Direction d);

    std::optional<Rtcp> rtcp() const;
    void setRtcp(const Rtcp& rtcp);
    bool hasRtcpMux() const noexcept;  // a=rtcp-mux (RFC 5761 §5.1.3)

    std::vector<Crypto> cryptos() const;  // every valid a=crypto, in order
    std::vector<IceCandidate> candidates() const;
    std::size_t removeIceAttributes();  // returns how many attributes were removed

    bool operator==(const MediaDescription&) const = default;
};

struct SessionDescription {
    unsigned version = 0;  // v=0 (RFC 8866 §5.1)
    Origin origin;
    std::string sessionName{" "};  // s= (RFC 8866 §5.3: a single space when there is no name)
    std::optional<std::string> information;
    std::optional<std::string> uri;
    std::vector<std::string> emails;
    std::vector<std::string> phones;
    std::optional<Connection> connection;
    std::vector<Bandwidth> bandwidths;
    std::vector<Timing> timings;
    std::optional<std::string> key;  // k=, verbatim
    AttributeList attributes;
    std::vector<MediaDescription> media;

    std::optional<Direction> direction() const noexcept;  // explicit session-level attribute
    void setDirection(Direction d);
    // Media-level direction, else session-level, else sendrecv (RFC 8866 §6.7).
    Direction effectiveDirection(const MediaDescription& m) const noexcept;
    // Media-level c= if any, else session-level c=, else nullptr (RFC 8866 §5.7).
    const Connection* effectiveConnection(const MediaDescription& m) const noexcept;

    bool isIceLite() const noexcept;  // a=ice-lite (session level, RFC 8839 §5.3)
    // Removes ICE attributes at session level and in every media description.
    std::size_t removeIceAttributes();
    // Makes `ip` the connection address of every media description: rewrites the session-level
    // c= (adding one if some media description has none of its own) and every media-level c=.
    // False (unchanged) if `ip` is not an IPv4/IPv6 literal.
    bool setConnectionAddress(std::string_view ip);

    bool operator==(const SessionDescription&) const = default;
};

// ---- Parsing ------------------------------------------------------------------------------------

struct Limits {
    std::size_t maxBodySize = 64 * 1024;
    std::size_t maxLineLength = 4096;  // bytes, excluding the line terminator
    std::size_t maxMediaDescriptions = 64;
    std::size_t maxAttributesPerSection = 256;
    // Per section and per line type for the other repeatable lines (e=, p=, c=, b=, t=, r=).
    std::size_t maxRepeatedFields = 32;
};

enum class ErrorCode {
    kBodyTooLarge,        // body longer than Limits::maxBodySize (line 0)
    kLineTooLong,         // line longer than Limits::maxLineLength
    kNulByte,             // NUL inside a line
    kMalformedLine,       // not "<letter>=<value>", stray CR, empty line inside the body
    kUnknownLineType,     // RFC 8866 §5: unknown type letters make the description invalid
    kMissingVersion,      // first line is not v=
    kBadVersion,          // v= other than 0
    kMissingOrigin,       // no o= before the first m= (or the end)
    kMissingSessionName,  // no s= before the first m= (or the end)
    kDuplicateField,      // a line that may appear once per section appears twice
    kMisplacedField,      // a line in a section where it is not allowed (e.g. o= after m=)
    kBadOrigin,
    kBadConnection,
    kBadBandwidth,
    kBadTiming,
    kBadMedia,  // malformed m= line (other than its port)
    kBadPort,   // m= port or port count out of range
    kBadAttribute,
    kBadRtpmap,
    kBadFmtp,
    kBadCrypto,
    kBadRtcp,
    kBadCandidate,
    kTooManyMedia,
    kTooManyAttributes,
    kTooManyFields,
    kOutOfMemory,
};
std::string_view toString(ErrorCode code) noexcept;

struct ParseError {
    ErrorCode code = ErrorCode::kMalformedLine;
    std::size_t line = 0;  // 1-based; 0 when the error concerns the whole body
    std::string message;   // "line <n>: ..." (or "body: ...")
};

// Either the description or the error. Implicit constructors so a parser can `return` either.
class ParseResult {
  public:
    ParseResult(SessionDescription sd) : result_(std::move(sd)) {}
    ParseResult(ParseError err) : result_(std::move(err)) {}

    bool ok() const noexcept { return result_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // Precondition: ok() (otherwise std::bad_variant_access).
    const SessionDescription& value() const& { return std::get<0>(result_); }
    SessionDescription& value() & { return std::get<0>(result_); }
    SessionDescription&& value() && { return std::get<0>(std::move(result_)); }
    // Precondition: !ok() (otherwise std::bad_variant_access).
    const ParseError& error() const& { return std::get<1>(result_); }

  private:
    std::variant<SessionDescription, ParseError> result_;
};

// Parses an SDP body. Accepts CRLF and bare LF line endings, a missing final line terminator and
// trailing empty lines. Never throws.
ParseResult parse(std::string_view body, const Limits& limits = Limits{}) noexcept;

// ---- Serialization ------------------------------------------------------------------------------

// Writes CRLF-terminated lines in RFC 8866 §5 order. CR, LF and NUL bytes inside free-text fields
// are dropped so a rewritten description cannot inject lines.
std::string serialize(const SessionDescription& sd);

}  // namespace sbc::sdp
