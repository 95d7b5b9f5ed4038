// SDP parser (RFC 8866). Single pass over the body, linear in its size, bounded by Limits.
#include <string>

#include "controlplane/sdp/grammar.hpp"
#include "controlplane/sdp/sdp.hpp"

namespace sbc::sdp {
namespace {

using detail::quote;

std::string typeName(char type) {
    return std::string(1, type) + '=';
}

class Parser {
  public:
    Parser(std::string_view body, const Limits& limits) : body_(body), limits_(limits) {}

    ParseResult run();

  private:
    bool parseLine(char type, std::string_view value);
    bool parseSessionField(char type, std::string_view value);
    bool parseMediaField(char type, std::string_view value, MediaDescription& m);
    bool parseMedia(std::string_view value);
    bool parseTiming(std::string_view value);
    bool parseConnection(std::string_view value, Connection& out);
    bool parseBandwidth(std::string_view value, std::vector<Bandwidth>& out);
    bool parseAttribute(std::string_view value, AttributeList& attrs);
    bool checkSessionComplete();
    bool checkRepeat(std::size_t count, char type);
    bool fail(ErrorCode code, std::string message);

    std::string_view body_;
    const Limits& limits_;
    SessionDescription sd_;
    std::size_t line_ = 0;  // 1-based number of the line being parsed
    bool seenVersion_ = false;
    bool seenOrigin_ = false;
    bool seenSessionName_ = false;
    std::optional<ParseError> error_;
};

bool Parser::fail(ErrorCode code, std::string message) {
    std::string prefix = line_ == 0 ? "body: " : "line " + std::to_string(line_) + ": ";
    error_ = ParseError{code, line_, prefix + message};
    return false;
}

ParseResult Parser::run() {
    if (body_.size() > limits_.maxBodySize) {
        fail(ErrorCode::kBodyTooLarge, std::to_string(body_.size()) +
                                           " bytes exceed the limit of " +
                                           std::to_string(limits_.maxBodySize));
        return std::move(*error_);
    }
    std::size_t pos = 0;
    std::size_t lastContentLine = 0;
    while (pos < body_.size()) {
        ++line_;
        std::size_t nl = body_.find('\n', pos);
        std::size_t end = nl == std::string_view::npos ? body_.size() : nl;
        std::string_view line = body_.substr(pos, end - pos);
        std::size_t next = nl == std::string_view::npos ? body_.size() : nl + 1;
        // RFC 8866 §5: lines end with CRLF, but parsers should also accept a bare LF.
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > limits_.maxLineLength) {
            fail(ErrorCode::kLineTooLong, std::to_string(line.size()) +
                                              " bytes exceed the line limit of " +
                                              std::to_string(limits_.maxLineLength));
            return std::move(*error_);
        }
        // RFC 8866 §9: byte-string excludes NUL, CR and LF.
        if (auto nul = line.find('\0'); nul != std::string_view::npos) {
            fail(ErrorCode::kNulByte, "NUL byte at column " + std::to_string(nul + 1));
            return std::move(*error_);
        }
        if (line.find('\r') != std::string_view::npos) {
            fail(ErrorCode::kMalformedLine, "stray CR (lines must end with CRLF or LF)");
            return std::move(*error_);
        }
        if (line.empty()) {
            // Tolerate trailing empty lines (a body ending in an extra CRLF), nothing else.
            if (body_.substr(pos).find_first_not_of("\r\n") == std::string_view::npos) {
                break;
            }
            fail(ErrorCode::kMalformedLine, "empty line");
            return std::move(*error_);
        }
        // RFC 8866 §5: <type>=<value>, <type> a single letter, no whitespace around '='.
        if (line.size() < 2 || line[1] != '=' || !detail::isAlpha(line[0])) {
            fail(ErrorCode::kMalformedLine, "expected '<letter>=<value>', got " + quote(line));
            return std::move(*error_);
        }
        char type = line[0];
        if (line_ == 1 && type != 'v') {
            fail(ErrorCode::kMissingVersion, "the first line must be v=0, got " + quote(line));
            return std::move(*error_);
        }
        if (!parseLine(type, line.substr(2))) {
            return std::move(*error_);
        }
        lastContentLine = line_;
        pos = next;
    }
    if (!seenVersion_) {
        line_ = 1;
        fail(ErrorCode::kMissingVersion, "empty body (expected v=0)");
        return std::move(*error_);
    }
    line_ = lastContentLine;
    if (sd_.media.empty() && !checkSessionComplete()) {
        return std::move(*error_);
    }
    return std::move(sd_);
}

bool Parser::parseLine(char type, std::string_view value) {
    switch (type) {
        case 'v':
            if (line_ != 1) {
                return fail(ErrorCode::kMisplacedField, "v= is only allowed as the first line");
            }
            // RFC 8866 §5.1: the only version is 0.
            if (value != "0") {
                return fail(ErrorCode::kBadVersion, "unsupported version " + quote(value));
            }
            seenVersion_ = true;
            return true;
        case 'm':
            return parseMedia(value);
        case 'o':
        case 's':
        case 'u':
        case 'e':
        case 'p':
        case 't':
        case 'r':
        case 'z':
            // RFC 8866 §5: these belong to the session section, before the first m=.
            if (!sd_.media.empty()) {
                return fail(ErrorCode::kMisplacedField,
                            typeName(type) + " is not allowed in a media section");
            }
            return parseSessionField(type, value);
        default:
            break;
    }
    if (sd_.media.empty()) {
        return parseSessionField(type, value);
    }
    return parseMediaField(type, value, sd_.media.back());
}

bool Parser::checkRepeat(std::size_t count, char type) {
    if (count >= limits_.maxRepeatedFields) {
        return fail(ErrorCode::kTooManyFields, "more than " +
                                                   std::to_string(limits_.maxRepeatedFields) + " " +
                                                   typeName(type) + " lines in one section");
    }
    return true;
}

bool Parser::parseSessionField(char type, std::string_view value) {
    switch (type) {
        case 'o': {
            if (seenOrigin_) {
                return fail(ErrorCode::kDuplicateField, "duplicate o= line");
            }
            std::string why;
            if (!detail::parseOrigin(value, sd_.origin, why)) {
                return fail(ErrorCode::kBadOrigin, why);
            }
            seenOrigin_ = true;
            return true;
        }
        case 's':
            if (seenSessionName_) {
                return fail(ErrorCode::kDuplicateField, "duplicate s= line");
            }
            sd_.sessionName = value;
            seenSessionName_ = true;
            return true;
        case 'i':
            if (sd_.information) {
                return fail(ErrorCode::kDuplicateField, "duplicate session-level i= line");
            }
            sd_.information = std::string(value);
            return true;
        case 'u':
            if (sd_.uri) {
                return fail(ErrorCode::kDuplicateField, "duplicate u= line");
            }
            sd_.uri = std::string(value);
            return true;
        case 'e':
            if (!checkRepeat(sd_.emails.size(), type)) {
                return false;
            }
            sd_.emails.emplace_back(value);
            return true;
        case 'p':
            if (!checkRepeat(sd_.phones.size(), type)) {
                return false;
            }
            sd_.phones.emplace_back(value);
            return true;
        case 'c': {
            if (sd_.connection) {
                return fail(ErrorCode::kDuplicateField, "duplicate session-level c= line");
            }
            Connection c;
            if (!parseConnection(value, c)) {
                return false;
            }
            sd_.connection = std::move(c);
            return true;
        }
        case 'b':
            return parseBandwidth(value, sd_.bandwidths);
        case 't':
            return parseTiming(value);
        case 'r': {
            // RFC 8866 §5.10: r= lines belong to the preceding t= line.
            if (sd_.timings.empty()) {
                return fail(ErrorCode::kMisplacedField, "r= without a preceding t=");
            }
            auto& t = sd_.timings.back();
            if (!checkRepeat(t.repeats.size(), type)) {
                return false;
            }
            if (detail::splitSpaces(value).size() < 3) {
                return fail(ErrorCode::kBadTiming,
                            "r= needs '<interval> <duration> <offsets>', got " + quote(value));
            }
            t.repeats.emplace_back(value);
            return true;
        }
        case 'z': {
            // RFC 8866 §5.11: z= follows the t= (and r=) lines it adjusts.
            if (sd_.timings.empty()) {
                return fail(ErrorCode::kMisplacedField, "z= without a preceding t=");
            }
            auto& t = sd_.timings.back();
            if (t.zone) {
                return fail(ErrorCode::kDuplicateField, "duplicate z= line");
            }
            auto f = detail::splitSpaces(value);
            if (f.empty() || f.size() % 2 != 0) {
                return fail(ErrorCode::kBadTiming,
                            "z= needs '<adjustment time> <offset>' pairs, got " + quote(value));
            }
            t.zone = std::string(value);
            return true;
        }
        case 'k':
            if (sd_.key) {
                return fail(ErrorCode::kDuplicateField, "duplicate session-level k= line");
            }
            sd_.key = std::string(value);
            return true;
        case 'a':
            return parseAttribute(value, sd_.attributes);
        default:
            return fail(ErrorCode::kUnknownLineType,
                        "unknown line type " + quote(typeName(type)) + " (RFC 8866 §5)");
    }
}

bool Parser::parseMediaField(char type, std::string_view value, MediaDescription& m) {
    switch (type) {
        case 'i':
            if (m.information) {
                return fail(ErrorCode::kDuplicateField, "duplicate media-level i= line");
            }
            m.information = std::string(value);
            return true;
        case 'c': {
            // RFC 8866 §5.7: several media-level c= lines are allowed (multicast).
            if (!checkRepeat(m.connections.size(), type)) {
                return false;
            }
            Connection c;
            if (!parseConnection(value, c)) {
                return false;
            }
            m.connections.push_back(std::move(c));
            return true;
        }
        case 'b':
            return parseBandwidth(value, m.bandwidths);
        case 'k':
            if (m.key) {
                return fail(ErrorCode::kDuplicateField, "duplicate media-level k= line");
            }
            m.key = std::string(value);
            return true;
        case 'a':
            return parseAttribute(value, m.attributes);
        default:
            return fail(ErrorCode::kUnknownLineType,
                        "unknown line type " + quote(typeName(type)) + " (RFC 8866 §5)");
    }
}

bool Parser::checkSessionComplete() {
    // RFC 8866 §5: o= and s= are mandatory. t= is mandatory too, but some deployed user agents
    // omit it, and nothing downstream depends on it, so its absence is tolerated.
    if (!seenOrigin_) {
        return fail(ErrorCode::kMissingOrigin, "the session section has no o= line");
    }
    if (!seenSessionName_) {
        return fail(ErrorCode::kMissingSessionName, "the session section has no s= line");
    }
    return true;
}

bool Parser::parseMedia(std::string_view value) {
    if (sd_.media.empty() && !checkSessionComplete()) {
        return false;
    }
    if (sd_.media.size() >= limits_.maxMediaDescriptions) {
        return fail(ErrorCode::kTooManyMedia,
                    "more than " + std::to_string(limits_.maxMediaDescriptions) + " m= lines");
    }
    // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
    auto f = detail::splitSpaces(value);
    if (f.size() < 3) {
        return fail(ErrorCode::kBadMedia,
                    "m= needs '<media> <port> <proto> <fmt> ...', got " + quote(value));
    }
    MediaDescription m;
    if (!detail::isToken(f[0])) {
        return fail(ErrorCode::kBadMedia, "invalid media type " + quote(f[0]));
    }
    m.media = f[0];
    auto slash = f[1].find('/');
    auto portText = f[1].substr(0, slash);
    auto port = detail::parseUnsigned<std::uint16_t>(portText);
    if (!port) {
        return fail(ErrorCode::kBadPort, "m= port " + quote(portText) + " is not in 0..65535");
    }
    m.port = *port;
    if (slash != std::string_view::npos) {
        auto countText = f[1].substr(slash + 1);
        auto count = detail::parseUnsigned<std::uint32_t>(countText);
        if (!count || *count == 0) {
            return fail(ErrorCode::kBadPort, "invalid m= port count " + quote(countText));
        }
        m.portCount = *count;
    }
    // proto = token *("/" token)
    for (auto part : detail::split(f[2], '/')) {
        if (!detail::isToken(part)) {
            return fail(ErrorCode::kBadMedia, "invalid transport protocol " + quote(f[2]));
        }
    }
    m.proto = f[2];
    bool rtp = m.isRtp();
    m.formats.reserve(f.size() - 3);
    for (std::size_t i = 3; i < f.size(); ++i) {
        if (!detail::isToken(f[i])) {
            return fail(ErrorCode::kBadMedia, "invalid media format " + quote(f[i]));
        }
        // RFC 3551 §3: RTP payload types are 7 bits.
        if (rtp && !detail::parseUnsigned<unsigned>(f[i], 127)) {
            return fail(ErrorCode::kBadMedia,
                        "RTP payload type " + quote(f[i]) + " is not in 0..127");
        }
        m.formats.emplace_back(f[i]);
    }
    sd_.media.push_back(std::move(m));
    return true;
}

bool Parser::parseTiming(std::string_view value) {
    if (!checkRepeat(sd_.timings.size(), 't')) {
        return false;
    }
    // RFC 8866 §5.9: t=<start-time> <stop-time>, decimal NTP times.
    auto f = detail::splitSpaces(value);
    if (f.size() != 2 || !detail::isDigits(f[0]) || !detail::isDigits(f[1])) {
        return fail(ErrorCode::kBadTiming,
                    "t= needs '<start-time> <stop-time>' in decimal, got " + quote(value));
    }
    Timing t;
    t.start = f[0];
    t.stop = f[1];
    sd_.timings.push_back(std::move(t));
    return true;
}

bool Parser::parseConnection(std::string_view value, Connection& out) {
    std::string why;
    if (!detail::parseConnection(value, out, why)) {
        return fail(ErrorCode::kBadConnection, why);
    }
    return true;
}

bool Parser::parseBandwidth(std::string_view value, std::vector<Bandwidth>& out) {
    if (!checkRepeat(out.size(), 'b')) {
        return false;
    }
    Bandwidth b;
    std::string why;
    if (!detail::parseBandwidth(value, b, why)) {
        return fail(ErrorCode::kBadBandwidth, why);
    }
    out.push_back(std::move(b));
    return true;
}

bool Parser::parseAttribute(std::string_view value, AttributeList& attrs) {
    if (attrs.size() >= limits_.maxAttributesPerSection) {
        return fail(ErrorCode::kTooManyAttributes,
                    "more than " + std::to_string(limits_.maxAttributesPerSection) +
                        " attributes in one section");
    }
    // RFC 8866 §5.13: a=<attribute-name> or a=<attribute-name>:<attribute-value>.
    auto colon = value.find(':');
    auto name = value.substr(0, colon);
    if (!detail::isToken(name)) {
        return fail(ErrorCode::kBadAttribute, "invalid attribute name " + quote(name));
    }
    std::optional<std::string_view> attrValue;
    if (colon != std::string_view::npos) {
        attrValue = value.substr(colon + 1);
    }

    // Attributes the SBC interprets are validated here, so their typed views cannot fail later.
    using Check = bool (*)(std::string_view, std::string&);
    ErrorCode code = ErrorCode::kBadAttribute;
    Check check = nullptr;
    if (name == "rtpmap") {
        code = ErrorCode::kBadRtpmap;
        check = [](std::string_view v, std::string& why) {
            RtpMap r;
            return detail::parseRtpMap(v, r, why);
        };
    } else if (name == "fmtp") {
        code = ErrorCode::kBadFmtp;
        check = [](std::string_view v, std::string& why) {
            Fmtp f;
            return detail::parseFmtp(v, f, why);
        };
    } else if (name == "crypto") {
        code = ErrorCode::kBadCrypto;
        check = [](std::string_view v, std::string& why) {
            Crypto c;
            return detail::parseCrypto(v, c, why);
        };
    } else if (name == "rtcp") {
        code = ErrorCode::kBadRtcp;
        check = [](std::string_view v, std::string& why) {
            Rtcp r;
            return detail::parseRtcp(v, r, why);
        };
    } else if (name == "candidate") {
        code = ErrorCode::kBadCandidate;
        check = [](std::string_view v, std::string& why) {
            IceCandidate c;
            return detail::parseCandidate(v, c, why);
        };
    }
    if (check != nullptr) {
        std::string why;
        if (!attrValue) {
            return fail(code, "a=" + std::string(name) + " needs a value");
        }
        if (!check(*attrValue, why)) {
            return fail(code, "a=" + std::string(name) + ": " + why);
        }
    }
    attrs.add(std::string(name), attrValue ? std::optional<std::string>(*attrValue) : std::nullopt);
    return true;
}

}  // namespace

std::string_view toString(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::kBodyTooLarge:
            return "body too large";
        case ErrorCode::kLineTooLong:
            return "line too long";
        case ErrorCode::kNulByte:
            return "NUL byte";
        case ErrorCode::kMalformedLine:
            return "malformed line";
        case ErrorCode::kUnknownLineType:
            return "unknown line type";
        case ErrorCode::kMissingVersion:
            return "missing v=";
        case ErrorCode::kBadVersion:
            return "bad v=";
        case ErrorCode::kMissingOrigin:
            return "missing o=";
        case ErrorCode::kMissingSessionName:
            return "missing s=";
        case ErrorCode::kDuplicateField:
            return "duplicate field";
        case ErrorCode::kMisplacedField:
            return "misplaced field";
        case ErrorCode::kBadOrigin:
            return "bad o=";
        case ErrorCode::kBadConnection:
            return "bad c=";
        case ErrorCode::kBadBandwidth:
            return "bad b=";
        case ErrorCode::kBadTiming:
            return "bad t=/r=/z=";
        case ErrorCode::kBadMedia:
            return "bad m=";
        case ErrorCode::kBadPort:
            return "bad port";
        case ErrorCode::kBadAttribute:
            return "bad a=";
        case ErrorCode::kBadRtpmap:
            return "bad a=rtpmap";
        case ErrorCode::kBadFmtp:
            return "bad a=fmtp";
        case ErrorCode::kBadCrypto:
            return "bad a=crypto";
        case ErrorCode::kBadRtcp:
            return "bad a=rtcp";
        case ErrorCode::kBadCandidate:
            return "bad a=candidate";
        case ErrorCode::kTooManyMedia:
            return "too many m= lines";
        case ErrorCode::kTooManyAttributes:
            return "too many attributes";
        case ErrorCode::kTooManyFields:
            return "too many repeated lines";
        case ErrorCode::kOutOfMemory:
            return "out of memory";
    }
    return "unknown error";
}

ParseResult parse(std::string_view body, const Limits& limits) noexcept {
    try {
        return Parser(body, limits).run();
    } catch (...) {
        // Only allocation can throw here (bad_alloc / length_error). Should building this error
        // fail as well, noexcept turns it into std::terminate: there is nothing better to do.
        return ParseError{ErrorCode::kOutOfMemory, 0, "body: out of memory"};
    }
}

}  // namespace sbc::sdp
