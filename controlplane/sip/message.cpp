#include "controlplane/sip/message.hpp"

#include <cstring>
#include <string>

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

using namespace chars;

std::string_view toString(ParseError e) noexcept {
    switch (e) {
        case ParseError::None:
            return "none";
        case ParseError::Empty:
            return "empty message";
        case ParseError::TooLarge:
            return "message too large";
        case ParseError::TooManyHeaders:
            return "too many headers";
        case ParseError::HeaderTooLong:
            return "header too long";
        case ParseError::BadStartLine:
            return "bad start line";
        case ParseError::UnsupportedVersion:
            return "unsupported SIP version";
        case ParseError::BadRequestUri:
            return "bad Request-URI";
        case ParseError::BadStatusCode:
            return "bad status code";
        case ParseError::BadHeaderLine:
            return "bad header line";
        case ParseError::NoEndOfHeaders:
            return "no end of headers";
        case ParseError::MissingHeader:
            return "missing header";
        case ParseError::DuplicateHeader:
            return "duplicate header";
        case ParseError::BadHeaderValue:
            return "bad header value";
        case ParseError::BodyTruncated:
            return "body shorter than Content-Length";
        case ParseError::CSeqMethodMismatch:
            return "CSeq method does not match request method";
        case ParseError::Count:
            break;
    }
    return "unknown";
}

std::string Message::errorText() const {
    std::string s(toString(error_));
    if (errorHeader_ != HeaderId::Unknown) {
        s += ": ";
        s += canonicalName(errorHeader_);
    }
    return s;
}

bool Message::fail(ParseError e, HeaderId h) noexcept {
    if (error_ == ParseError::None) {
        error_ = e;
        errorHeader_ = h;
    }
    return false;
}

const Header* Message::find(HeaderId id) const noexcept {
    for (const auto& h : headers_) {
        if (h.id == id) {
            return &h;
        }
    }
    return nullptr;
}

const Header* Message::find(std::string_view name) const noexcept {
    HeaderId id = headerIdOf(name);
    if (id != HeaderId::Unknown) {
        return find(id);
    }
    for (const auto& h : headers_) {
        if (h.id == HeaderId::Unknown && iequals(h.name, name)) {
            return &h;
        }
    }
    return nullptr;
}

size_t Message::count(HeaderId id) const noexcept {
    size_t n = 0;
    for (const auto& h : headers_) {
        n += h.id == id ? 1 : 0;
    }
    return n;
}

Message Message::parse(std::string_view bytes, const ParseLimits& limits, Framing framing) {
    Message m;
    // Never hold more than the limit: a larger datagram is refused, but its header section is still
    // split (up to the limit) so that a 513 can be formed.
    size_t n = bytes.size() < limits.maxMessageBytes ? bytes.size() : limits.maxMessageBytes;
    m.buf_ = std::make_unique<char[]>(n == 0 ? 1 : n);
    if (n != 0) {
        std::memcpy(m.buf_.get(), bytes.data(), n);
    }
    m.size_ = n;
    m.error_ = ParseError::None;
    m.parseAll(limits, framing);
    if (bytes.size() > limits.maxMessageBytes) {
        m.error_ = ParseError::TooLarge;
        m.errorHeader_ = HeaderId::Unknown;
    }
    return m;
}

namespace {

// Finds the end of the line starting at pos: returns the index of '\n' (or size) and sets
// contentEnd to the end of the line's content (without CR).
size_t lineEnd(const char* p, size_t size, size_t pos, size_t& contentEnd) {
    const void* nl = std::memchr(p + pos, '\n', size - pos);
    size_t e = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - p) : size;
    contentEnd = e;
    if (contentEnd > pos && p[contentEnd - 1] == '\r') {
        --contentEnd;
    }
    return e;
}

}  // namespace

void Message::parseAll(const ParseLimits& limits, Framing framing) {
    char* p = buf_.get();
    size_t pos = 0;
    // RFC 3261 §7.5: ignore CRLFs before the start line.
    while (pos < size_ && (p[pos] == '\r' || p[pos] == '\n')) {
        ++pos;
    }
    if (pos == size_) {
        fail(ParseError::Empty);
        return;
    }
    size_t contentEnd = 0;
    size_t nl = lineEnd(p, size_, pos, contentEnd);
    if (!splitStartLine(std::string_view(p + pos, contentEnd - pos))) {
        // Keep splitting headers anyway: a 400/505 needs Via, From, To, Call-ID and CSeq.
        pos = nl + 1;
        if (nl < size_) {
            splitHeaders(pos, limits);
        }
        return;
    }
    if (nl >= size_) {
        fail(ParseError::NoEndOfHeaders);
        return;
    }
    pos = nl + 1;
    if (!splitHeaders(pos, limits)) {
        return;
    }
    if (!parseTypedHeaders(limits)) {
        return;
    }
    // Body (RFC 3261 §18.3, §20.14).
    size_t available = size_ - pos;
    if (hasContentLength_) {
        if (contentLength_ > available) {
            fail(ParseError::BodyTruncated, HeaderId::ContentLength);
            return;
        }
        body_ = std::string_view(p + pos, contentLength_);  // extra octets in a datagram: ignored
    } else if (framing == Framing::Datagram) {
        body_ = std::string_view(p + pos, available);
    } else {
        fail(ParseError::MissingHeader, HeaderId::ContentLength);  // §18.3: mandatory on streams
    }
}

bool Message::splitStartLine(std::string_view line) {
    // Exactly one SP between the elements (RFC 3261 §7.1, §7.2); RFC 4475 §3.1.2.9/§3.1.2.10 allow
    // refusing extra SP, and an SBC must not guess.
    if (line.starts_with("SIP/") || line.starts_with("sip/")) {
        size_t sp1 = line.find(' ');
        if (sp1 == std::string_view::npos) {
            return fail(ParseError::BadStartLine);
        }
        version_ = line.substr(0, sp1);
        std::string_view rest = line.substr(sp1 + 1);
        size_t sp2 = rest.find(' ');
        std::string_view code = rest.substr(0, sp2);
        reason_ = sp2 == std::string_view::npos ? std::string_view{} : rest.substr(sp2 + 1);
        uint64_t v = 0;
        if (code.size() != 3 || !parseUint(code, 999, v) || v < 100 || v > 699) {
            return fail(ParseError::BadStatusCode);
        }
        statusCode_ = static_cast<int>(v);
        for (char c : reason_) {
            if (c == '\r' || c == '\n' || c == '\0') {
                return fail(ParseError::BadStartLine);
            }
        }
        if (!iequals(version_, "SIP/2.0")) {
            return fail(ParseError::UnsupportedVersion);
        }
        return true;
    }
    isRequest_ = true;
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos) {
        return fail(ParseError::BadStartLine);
    }
    size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return fail(ParseError::BadStartLine);
    }
    method_ = line.substr(0, sp1);
    requestUriText_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
    version_ = line.substr(sp2 + 1);
    methodId_ = methodOf(method_);
    if (!isToken(method_) || requestUriText_.empty()) {
        return fail(ParseError::BadStartLine);
    }
    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT
    std::string_view ver = version_;
    bool versionShape = ver.size() >= 7 && iequals(ver.substr(0, 4), "SIP/");
    if (versionShape) {
        std::string_view num = ver.substr(4);
        size_t dot = num.find('.');
        uint64_t x = 0;
        versionShape = dot != std::string_view::npos && parseUint(num.substr(0, dot), 9999, x) &&
                       parseUint(num.substr(dot + 1), 9999, x);
    }
    if (!versionShape) {
        return fail(ParseError::BadStartLine);
    }
    if (!parseUri(requestUriText_, requestUri_)) {
        return fail(ParseError::BadRequestUri);
    }
    // §19.1.1 table: headers are not allowed in a Request-URI.
    if (requestUri_.isSip() && !requestUri_.headers.empty()) {
        return fail(ParseError::BadRequestUri);
    }
    if (!iequals(version_, "SIP/2.0")) {
        return fail(ParseError::UnsupportedVersion);
    }
    return true;
}

bool Message::splitHeaders(size_t& pos, const ParseLimits& limits) {
    char* p = buf_.get();
    Header* current = nullptr;
    size_t currentStart = 0;
    size_t prevContentEnd = 0;  // end of the previous physical line's content
    for (;;) {
        if (pos >= size_) {
            return fail(ParseError::NoEndOfHeaders);
        }
        size_t contentEnd = 0;
        size_t nl = lineEnd(p, size_, pos, contentEnd);
        if (contentEnd == pos) {
            // The empty line: end of the header section.
            pos = nl + 1 <= size_ ? nl + 1 : size_;
            if (nl >= size_) {
                pos = size_;
            }
            return true;
        }
        if (nl >= size_) {
            return fail(ParseError::NoEndOfHeaders);
        }
        std::string_view line(p + pos, contentEnd - pos);
        // §7.3.1, §25.1: CR appears only in the CRLF that ends a line (not even as a quoted-pair).
        // A bare CR is refused: another element may take it for a line end, and relaying it would
        // smuggle a header past this one.
        if (line.find('\r') != std::string_view::npos) {
            return fail(ParseError::BadHeaderLine);
        }
        if (isWsp(line.front())) {
            // §7.3.1: a continuation line; the CRLF and leading whitespace are one SP. Undo the
            // fold in place so that the value stays one contiguous view. Only the line break since
            // the previous physical line is blanked: everything between the value's end and it is
            // WSP already (trailing WSP, or earlier blanked breaks and blank continuation lines),
            // which keeps unfolding linear however many continuation lines there are.
            if (current == nullptr) {
                return fail(ParseError::BadHeaderLine);
            }
            const char* valueStart = current->value.data();
            for (char* c = p + prevContentEnd; c < p + pos; ++c) {
                *c = ' ';
            }
            std::string_view cont = trim(line);
            if (!cont.empty()) {
                size_t valueEnd = static_cast<size_t>(cont.data() + cont.size() - p);
                current->value = std::string_view(valueStart, p + valueEnd - valueStart);
                if (current->value.empty() || current->value.front() == ' ') {
                    current->value = trim(current->value);
                }
            }
            if (contentEnd - currentStart > limits.maxHeaderBytes) {
                return fail(ParseError::HeaderTooLong, current->id);
            }
            prevContentEnd = contentEnd;
            pos = nl + 1;
            continue;
        }
        if (line.size() > limits.maxHeaderBytes) {
            return fail(ParseError::HeaderTooLong, headerIdOf(line.substr(0, line.find(':'))));
        }
        if (headers_.size() >= limits.maxHeaders) {
            return fail(ParseError::TooManyHeaders);
        }
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            return fail(ParseError::BadHeaderLine);
        }
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && isWsp(name.back())) {
            name.remove_suffix(1);
        }
        if (!isToken(name)) {
            return fail(ParseError::BadHeaderLine);
        }
        Header h;
        h.name = name;
        h.id = headerIdOf(name);
        h.value = trim(line.substr(colon + 1));
        if (h.value.empty()) {
            // Keep the position so that a continuation line can extend it.
            h.value = std::string_view(line.data() + line.size(), 0);
        }
        headers_.push_back(h);
        current = &headers_.back();
        currentStart = pos;
        prevContentEnd = contentEnd;
        pos = nl + 1;
    }
}

namespace {

bool validCallId(std::string_view s) {
    // callid = word [ "@" word ]
    if (s.empty()) {
        return false;
    }
    size_t at = s.find('@');
    std::string_view a = s.substr(0, at);
    if (a.empty() || !allOf(a, kWord)) {
        return false;
    }
    if (at != std::string_view::npos) {
        std::string_view b = s.substr(at + 1);
        if (b.empty() || !allOf(b, kWord)) {
            return false;
        }
    }
    return true;
}

// media-type = m-type SLASH m-subtype *(SEMI m-parameter)
bool parseMediaType(std::string_view s, std::string_view& typeSubtype) {
    size_t semi = s.find(';');
    std::string_view ts = trim(s.substr(0, semi));
    size_t slash = ts.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    std::string_view type = trim(ts.substr(0, slash));
    std::string_view sub = trim(ts.substr(slash + 1));
    if (!isToken(type) || !isToken(sub)) {
        return false;
    }
    typeSubtype = ts;
    if (semi != std::string_view::npos) {
        Params params;
        if (!parseHeaderParams(s.substr(semi), params)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool Message::parseTypedHeaders(const ParseLimits& limits) {
    bool seen[static_cast<size_t>(HeaderId::Count)] = {};
    size_t listValues = 0;
    auto single = [&](const Header& h) {
        auto& s = seen[static_cast<size_t>(h.id)];
        if (s) {
            return fail(ParseError::DuplicateHeader, h.id);
        }
        s = true;
        return true;
    };
    auto parseList = [&](const Header& h, NameAddrs& out) {
        bool ok = splitList(h.value, [&](std::string_view elem) {
            if (++listValues > limits.maxHeaders) {
                return fail(ParseError::TooManyHeaders, h.id);
            }
            // Parsed in place: a NameAddr is a few hundred bytes of views; no copy per value.
            out.emplace_back();
            if (!parseNameAddr(elem, out.back())) {
                out.pop_back();  // only well-formed values are ever visible
                return fail(ParseError::BadHeaderValue, h.id);
            }
            return true;
        });
        return ok || fail(ParseError::BadHeaderValue, h.id);
    };

    for (const Header& h : headers_) {
        switch (h.id) {
            case HeaderId::Via: {
                bool ok = splitList(h.value, [&](std::string_view elem) {
                    if (++listValues > limits.maxHeaders) {
                        return fail(ParseError::TooManyHeaders, h.id);
                    }
                    vias_.emplace_back();
                    if (!parseVia(elem, vias_.back())) {
                        vias_.pop_back();  // only well-formed values are ever visible
                        return fail(ParseError::BadHeaderValue, h.id);
                    }
                    return true;
                });
                if (!ok) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                break;
            }
            case HeaderId::From:
            case HeaderId::To: {
                if (!single(h)) {
                    return false;
                }
                NameAddr& na = h.id == HeaderId::From ? from_ : to_;
                if (!parseNameAddr(h.value, na)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                // §25.1: tag-param = "tag" EQUAL token. A valueless or quoted tag would read as
                // "no tag" and break dialog matching (§12.2.2).
                for (const Param& p : na.params) {
                    if (iequals(p.name, "tag") && (!p.hasValue || !isToken(p.value))) {
                        return fail(ParseError::BadHeaderValue, h.id);
                    }
                }
                break;
            }
            case HeaderId::CallId:
                if (!single(h)) {
                    return false;
                }
                if (!validCallId(h.value)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                callId_ = h.value;
                break;
            case HeaderId::CSeq: {
                if (!single(h)) {
                    return false;
                }
                // CSeq = 1*DIGIT LWS Method; the number is < 2**31 (§8.1.1.5).
                std::string_view v = h.value;
                size_t i = 0;
                while (i < v.size() && isDigit(v[i])) {
                    ++i;
                }
                uint64_t num = 0;
                if (!parseUint(v.substr(0, i), 0x7FFFFFFF, num) || i >= v.size() || !isWsp(v[i])) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                std::string_view method = trim(v.substr(i));
                if (!isToken(method)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                cseq_.number = static_cast<uint32_t>(num);
                cseq_.method = method;
                cseq_.methodId = methodOf(method);
                break;
            }
            case HeaderId::MaxForwards: {
                if (!single(h)) {
                    return false;
                }
                uint64_t mf = 0;
                if (!parseUint(h.value, 255, mf)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                maxForwards_ = static_cast<int>(mf);
                break;
            }
            case HeaderId::ContentLength: {
                if (!single(h)) {
                    return false;
                }
                uint64_t cl = 0;
                if (!parseUint(h.value, 0xFFFFFFFF, cl)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                hasContentLength_ = true;
                contentLength_ = static_cast<size_t>(cl);
                break;
            }
            case HeaderId::ContentType:
                if (!single(h)) {
                    return false;
                }
                if (!parseMediaType(h.value, contentType_)) {
                    return fail(ParseError::BadHeaderValue, h.id);
                }
                break;
            case HeaderId::Contact:
                if (h.value == "*") {
                    contactStar_ = true;
                    break;
                }
                if (!parseList(h, contacts_)) {
                    return false;
                }
                break;
            case HeaderId::Route:
                if (!parseList(h, routes_)) {
                    return false;
                }
                break;
            case HeaderId::RecordRoute:
                if (!parseList(h, recordRoutes_)) {
                    return false;
                }
                break;
            default:
                break;
        }
    }
    // §8.1.1: mandatory in every request; §20: and in every response.
    for (HeaderId id :
         {HeaderId::Via, HeaderId::From, HeaderId::To, HeaderId::CallId, HeaderId::CSeq}) {
        if (id == HeaderId::Via ? vias_.empty() : !seen[static_cast<size_t>(id)]) {
            return fail(ParseError::MissingHeader, id);
        }
    }
    if (contactStar_ && !contacts_.empty()) {
        return fail(ParseError::BadHeaderValue, HeaderId::Contact);
    }
    if (isRequest_ && cseq_.method != method_) {
        return fail(ParseError::CSeqMethodMismatch, HeaderId::CSeq);
    }
    return true;
}

}  // namespace sbc::sip
