#pragma once
#include <cstdint>
#include <string_view>

namespace sbc::sip {

// Why a message was refused. Each hard limit has its own value so that drops are counted by reason.
enum class ParseError : uint8_t {
    None,
    Empty,               // nothing but whitespace
    TooLarge,            // over ParseLimits::maxMessageBytes
    TooManyHeaders,      // over ParseLimits::maxHeaders
    HeaderTooLong,       // over ParseLimits::maxHeaderBytes
    BadStartLine,        // not "Method SP URI SP SIP/x.y" nor "SIP/x.y SP code SP reason"
    UnsupportedVersion,  // well-formed but not SIP/2.0 (505)
    BadRequestUri,       // Request-URI syntax, or headers in it (§19.1.1)
    BadStatusCode,       // not three digits in 100..699
    BadHeaderLine,       // no colon, bad name, or a continuation line with nothing to continue
    NoEndOfHeaders,      // the header section never ends (no empty line)
    MissingHeader,       // a mandatory header is absent (errorHeader() says which)
    DuplicateHeader,     // a single-valued header appears twice
    BadHeaderValue,      // a parsed header's value is malformed (errorHeader() says which)
    BodyTruncated,       // Content-Length larger than the bytes that follow (§18.3)
    CSeqMethodMismatch,  // CSeq method differs from the request method (§8.1.1.5)
    Count
};

std::string_view toString(ParseError e) noexcept;

}  // namespace sbc::sip
