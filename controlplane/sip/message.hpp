#pragma once
// A parsed SIP message (RFC 3261 §7): the received bytes, owned once, and views into them.
//
// Parse once: the start line and every header are split into views; the headers a SIP element
// always needs (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length, Content-Type, Contact,
// Route, Record-Route) are parsed into typed views at the same time. Everything else stays raw
// until someone asks. Line folding (§7.3.1) is undone in place, so every view is a plain single
// line.
//
// Untrusted input never asserts: a malformed message yields error() != None and keeps whatever
// was split before the error, so that a 400 can still be formed from the raw headers.
//
// Thread-safety: a Message is a value; it is not shared between threads while being modified.
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "controlplane/sip/header.hpp"
#include "controlplane/sip/method.hpp"
#include "controlplane/sip/name_addr.hpp"
#include "controlplane/sip/parse_error.hpp"
#include "controlplane/sip/uri.hpp"
#include "controlplane/sip/via.hpp"

namespace sbc::sip {

// Hard limits; every violation is its own ParseError. Configurable per listener.
struct ParseLimits {
    size_t maxMessageBytes = 65535;  // whole message, start line to end of body
    size_t maxHeaders = 100;         // header lines, and values of list headers (Via, Contact, ...)
    size_t maxHeaderBytes = 4096;    // one header field including folded continuation lines
};

// How the message was delimited: a UDP datagram (Content-Length optional, trailing octets
// ignored, RFC 3261 §18.3) or a stream frame cut by Content-Length (TCP/TLS).
enum class Framing : uint8_t { Datagram, Stream };

struct Header {
    HeaderId id = HeaderId::Unknown;
    std::string_view name;   // as received (may be compact)
    std::string_view value;  // trimmed; folding replaced by spaces
};

struct CSeq {
    uint32_t number = 0;
    std::string_view method;
    Method methodId = Method::Unknown;
};

class Message {
  public:
    using Headers = boost::container::small_vector<Header, 20>;
    using Vias = boost::container::small_vector<Via, 3>;
    using NameAddrs = boost::container::small_vector<NameAddr, 2>;

    // Copies `bytes` into the message and parses them.
    static Message parse(std::string_view bytes, const ParseLimits& limits = {},
                         Framing framing = Framing::Datagram);

    Message() = default;
    Message(Message&&) noexcept = default;
    Message& operator=(Message&&) noexcept = default;
    Message(const Message&) = delete;
    Message& operator=(const Message&) = delete;

    bool ok() const noexcept { return error_ == ParseError::None; }
    ParseError error() const noexcept { return error_; }
    HeaderId errorHeader() const noexcept { return errorHeader_; }
    // "bad header value: CSeq" and the like.
    std::string errorText() const;

    bool isRequest() const noexcept { return isRequest_; }
    bool isResponse() const noexcept { return !isRequest_ && statusCode_ != 0; }

    // Request line.
    std::string_view methodText() const noexcept { return method_; }
    Method method() const noexcept { return methodId_; }
    std::string_view requestUriText() const noexcept { return requestUriText_; }
    const Uri& requestUri() const noexcept { return requestUri_; }
    std::string_view version() const noexcept { return version_; }

    // Status line.
    int statusCode() const noexcept { return statusCode_; }
    std::string_view reasonPhrase() const noexcept { return reason_; }

    std::span<const Header> headers() const noexcept { return {headers_.data(), headers_.size()}; }
    const Header* find(HeaderId id) const noexcept;
    const Header* find(std::string_view name) const noexcept;  // any name, case-insensitive
    size_t count(HeaderId id) const noexcept;

    // Typed views (valid when ok()).
    const Vias& vias() const noexcept { return vias_; }
    const NameAddr& from() const noexcept { return from_; }
    const NameAddr& to() const noexcept { return to_; }
    std::string_view callId() const noexcept { return callId_; }
    const CSeq& cseq() const noexcept { return cseq_; }
    int maxForwards() const noexcept { return maxForwards_; }  // -1: absent
    bool hasContentLength() const noexcept { return hasContentLength_; }
    const NameAddrs& contacts() const noexcept { return contacts_; }
    bool contactIsStar() const noexcept { return contactStar_; }
    const NameAddrs& routes() const noexcept { return routes_; }
    const NameAddrs& recordRoutes() const noexcept { return recordRoutes_; }
    std::string_view contentType() const noexcept { return contentType_; }  // type/subtype only
    std::string_view body() const noexcept { return body_; }

    std::string_view raw() const noexcept { return {buf_.get(), size_}; }

  private:
    void parseAll(const ParseLimits& limits, Framing framing);
    bool splitStartLine(std::string_view line);
    bool splitHeaders(size_t& pos, const ParseLimits& limits);
    bool parseTypedHeaders(const ParseLimits& limits);
    bool fail(ParseError e, HeaderId h = HeaderId::Unknown) noexcept;

    std::unique_ptr<char[]> buf_;  // owned bytes; views below point into it (stable across moves)
    size_t size_ = 0;
    ParseError error_ = ParseError::Empty;
    HeaderId errorHeader_ = HeaderId::Unknown;

    bool isRequest_ = false;
    std::string_view method_;
    Method methodId_ = Method::Unknown;
    std::string_view requestUriText_;
    Uri requestUri_;
    std::string_view version_;
    int statusCode_ = 0;
    std::string_view reason_;

    Headers headers_;
    Vias vias_;
    NameAddr from_;
    NameAddr to_;
    std::string_view callId_;
    CSeq cseq_;
    int maxForwards_ = -1;
    bool hasContentLength_ = false;
    size_t contentLength_ = 0;
    NameAddrs contacts_;
    bool contactStar_ = false;
    NameAddrs routes_;
    NameAddrs recordRoutes_;
    std::string_view contentType_;
    std::string_view body_;
};

}  // namespace sbc::sip
