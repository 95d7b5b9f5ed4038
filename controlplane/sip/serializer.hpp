#pragma once
// Writing SIP messages: a whole parsed message as it stands, a fresh message from parts, and a
// response to a request (RFC 3261 §8.2.6.2), which also works for requests that failed to parse.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "controlplane/sip/message.hpp"

namespace sbc::sip {

// The message as parsed: start line, each header as "Name: value" with the received name, the
// empty line and the body. Folded lines come out unfolded; trailing octets of a datagram are gone.
std::string serialize(const Message& m);

// Builds a message line by line into one buffer; finish() adds Content-Length (always: it is
// mandatory on streams and harmless on datagrams).
class MessageWriter {
  public:
    explicit MessageWriter(size_t reserve = 768) { out_.reserve(reserve); }

    MessageWriter& requestLine(std::string_view method, std::string_view uri);
    MessageWriter& statusLine(int code, std::string_view reason);
    MessageWriter& header(std::string_view name, std::string_view value);
    MessageWriter& header(HeaderId id, std::string_view value) {
        return header(canonicalName(id), value);
    }
    // Adds Content-Type (when body is not empty) and Content-Length, the empty line and the body.
    std::string finish(std::string_view body = {}, std::string_view contentType = {});

  private:
    std::string out_;
};

using ExtraHeaders = std::span<const std::pair<std::string_view, std::string_view>>;

struct ResponseSpec {
    int code = 200;
    std::string_view reason;  // empty: the RFC 3261 §21 default phrase
    std::string_view toTag;   // added to To when the request's To has no tag and code > 100
    std::string_view topVia;  // replaces the first Via value (rport/received added, RFC 3581)
    ExtraHeaders extra;       // appended after the mandatory headers
    std::string_view body;
    std::string_view contentType;
};

// The default reason phrase of a status code ("Not Found"); "Unknown" for unlisted codes.
std::string_view defaultReason(int code) noexcept;

// Copies Via (all, in order), From, To, Call-ID and CSeq from the request's raw headers. Returns
// nullopt when they cannot be found (then no response can be formed, RFC 3261 §8.2.6.2).
std::optional<std::string> buildResponse(const Message& request, const ResponseSpec& spec);

// The top Via value with received= (when the source address differs from sent-by) and rport=
// filled in (when the request asked for it), RFC 3261 §18.2.1 and RFC 3581 §4.
std::string viaWithReceived(const Via& via, std::string_view sourceAddress, uint16_t sourcePort);

}  // namespace sbc::sip
