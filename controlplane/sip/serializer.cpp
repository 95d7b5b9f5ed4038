#include "controlplane/sip/serializer.hpp"

#include <charconv>

#include "controlplane/sip/chars.hpp"

namespace sbc::sip {

namespace {

void appendUint(std::string& out, uint64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

}  // namespace

std::string serialize(const Message& m) {
    std::string out;
    out.reserve(m.raw().size() + 16);
    if (m.isRequest()) {
        out.append(m.methodText()).append(" ").append(m.requestUriText()).append(" ");
        out.append(m.version()).append("\r\n");
    } else {
        out.append(m.version()).append(" ");
        appendUint(out, static_cast<uint64_t>(m.statusCode()));
        out.append(" ").append(m.reasonPhrase()).append("\r\n");
    }
    for (const Header& h : m.headers()) {
        out.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    out.append("\r\n");
    out.append(m.body());
    return out;
}

MessageWriter& MessageWriter::requestLine(std::string_view method, std::string_view uri) {
    out_.append(method).append(" ").append(uri).append(" SIP/2.0\r\n");
    return *this;
}

MessageWriter& MessageWriter::statusLine(int code, std::string_view reason) {
    out_.append("SIP/2.0 ");
    appendUint(out_, static_cast<uint64_t>(code));
    out_.append(" ").append(reason.empty() ? defaultReason(code) : reason).append("\r\n");
    return *this;
}

MessageWriter& MessageWriter::header(std::string_view name, std::string_view value) {
    out_.append(name).append(": ").append(value).append("\r\n");
    return *this;
}

std::string MessageWriter::finish(std::string_view body, std::string_view contentType) {
    if (!body.empty() && !contentType.empty()) {
        header(HeaderId::ContentType, contentType);
    }
    out_.append("Content-Length: ");
    appendUint(out_, body.size());
    out_.append("\r\n\r\n");
    out_.append(body);
    return std::move(out_);
}

std::string_view defaultReason(int code) noexcept {
    switch (code) {
        case 100:
            return "Trying";
        case 180:
            return "Ringing";
        case 181:
            return "Call Is Being Forwarded";
        case 182:
            return "Queued";
        case 183:
            return "Session Progress";
        case 200:
            return "OK";
        case 202:
            return "Accepted";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Moved Temporarily";
        case 305:
            return "Use Proxy";
        case 380:
            return "Alternative Service";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 407:
            return "Proxy Authentication Required";
        case 408:
            return "Request Timeout";
        case 410:
            return "Gone";
        case 413:
            return "Request Entity Too Large";
        case 414:
            return "Request-URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Unsupported URI Scheme";
        case 420:
            return "Bad Extension";
        case 421:
            return "Extension Required";
        case 422:
            return "Session Interval Too Small";
        case 423:
            return "Interval Too Brief";
        case 480:
            return "Temporarily Unavailable";
        case 481:
            return "Call/Transaction Does Not Exist";
        case 482:
            return "Loop Detected";
        case 483:
            return "Too Many Hops";
        case 484:
            return "Address Incomplete";
        case 485:
            return "Ambiguous";
        case 486:
            return "Busy Here";
        case 487:
            return "Request Terminated";
        case 488:
            return "Not Acceptable Here";
        case 491:
            return "Request Pending";
        case 493:
            return "Undecipherable";
        case 500:
            return "Server Internal Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Server Time-out";
        case 505:
            return "Version Not Supported";
        case 513:
            return "Message Too Large";
        case 600:
            return "Busy Everywhere";
        case 603:
            return "Decline";
        case 604:
            return "Does Not Exist Anywhere";
        case 606:
            return "Not Acceptable";
        default:
            return "Unknown";
    }
}

std::optional<std::string> buildResponse(const Message& request, const ResponseSpec& spec) {
    const Header* from = request.find(HeaderId::From);
    const Header* to = request.find(HeaderId::To);
    const Header* callId = request.find(HeaderId::CallId);
    const Header* cseq = request.find(HeaderId::CSeq);
    if (from == nullptr || to == nullptr || callId == nullptr || cseq == nullptr ||
        request.find(HeaderId::Via) == nullptr || from->value.empty() || to->value.empty() ||
        callId->value.empty() || cseq->value.empty()) {
        return std::nullopt;
    }
    MessageWriter w(512 + spec.body.size());
    w.statusLine(spec.code, spec.reason);
    bool first = true;
    for (const Header& h : request.headers()) {
        if (h.id != HeaderId::Via) {
            continue;
        }
        if (first && !spec.topVia.empty()) {
            // Replace only the first value of the first Via header.
            std::string rest;
            size_t idx = 0;
            bool ok = splitList(h.value, [&](std::string_view elem) {
                if (idx++ > 0) {
                    rest.append(rest.empty() ? "" : ", ").append(elem);
                }
                return true;
            });
            w.header(HeaderId::Via, spec.topVia);
            if (ok && !rest.empty()) {
                w.header(HeaderId::Via, rest);
            }
        } else {
            w.header(HeaderId::Via, h.value);
        }
        first = false;
    }
    w.header(HeaderId::From, from->value);
    // §8.2.6.2: add a To tag unless the request has one. The tag is a header parameter (not a
    // ";tag=" inside the URI's <>); the raw value is parsed here because the request may have
    // failed before its To was parsed.
    NameAddr toValue;
    bool hasTag = parseNameAddr(to->value, toValue)
                      ? toValue.param("tag") != nullptr
                      : to->value.find(";tag=") != std::string_view::npos;
    bool needTag = spec.code > 100 && !spec.toTag.empty() && !hasTag;
    if (needTag) {
        std::string tagged(to->value);
        tagged.append(";tag=").append(spec.toTag);
        w.header(HeaderId::To, tagged);
    } else {
        w.header(HeaderId::To, to->value);
    }
    w.header(HeaderId::CallId, callId->value);
    w.header(HeaderId::CSeq, cseq->value);
    for (const auto& [name, value] : spec.extra) {
        w.header(name, value);
    }
    return w.finish(spec.body, spec.contentType);
}

std::string viaWithReceived(const Via& via, std::string_view sourceAddress, uint16_t sourcePort) {
    std::string out;
    out.reserve(via.raw.size() + 48);
    out.append(via.protocolName).append("/").append(via.protocolVersion).append("/");
    out.append(via.transport).append(" ").append(via.host);
    if (via.port != 0) {
        out.append(":");
        appendUint(out, via.port);
    }
    bool addReceived = via.hostAddress() != sourceAddress;
    for (const Param& p : via.params) {
        if (chars::iequals(p.name, "received")) {
            continue;  // replaced below
        }
        if (chars::iequals(p.name, "rport")) {
            out.append(";rport=");
            appendUint(out, sourcePort);
            addReceived = true;  // RFC 3581 §4: received is always added with rport
            continue;
        }
        out.append(";").append(p.name);
        if (p.hasValue) {
            out.append("=").append(p.value);
        }
    }
    if (addReceived) {
        out.append(";received=").append(sourceAddress);
    }
    return out;
}

}  // namespace sbc::sip
