#include "controlplane/sip/multipart.hpp"

#include <string>

#include "controlplane/sip/chars.hpp"
#include "controlplane/sip/params.hpp"

namespace sbc::sip {

std::string_view multipartBoundary(std::string_view value) noexcept {
    size_t semi = value.find(';');
    if (semi == std::string_view::npos) {
        return {};
    }
    Params params;
    if (!parseHeaderParams(value.substr(semi), params)) {
        return {};
    }
    const Param* b = findParam(params, "boundary");
    if (b == nullptr || !b->hasValue) {
        return {};
    }
    std::string_view v = b->value;
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
    }
    return v;
}

bool parseMultipart(std::string_view body, std::string_view boundary, std::vector<BodyPart>& parts,
                    size_t maxParts) {
    if (boundary.empty() || boundary.size() > 70) {  // RFC 2046 §5.1.1: 1 to 70 characters
        return false;
    }
    std::string delim = "--";
    delim.append(boundary);
    // The first delimiter may be at the very start or after a preamble ending in CRLF.
    size_t pos = 0;
    if (body.substr(0, delim.size()) != delim) {
        std::string crlfDelim = "\r\n" + delim;
        size_t p = body.find(crlfDelim);
        if (p == std::string_view::npos) {
            return false;
        }
        pos = p + 2;
    }
    std::string next = "\r\n" + delim;
    for (;;) {
        pos += delim.size();
        if (body.substr(pos, 2) == "--") {
            return !parts.empty();  // close-delimiter
        }
        // transport-padding then CRLF
        while (pos < body.size() && chars::isWsp(body[pos])) {
            ++pos;
        }
        if (body.substr(pos, 2) != "\r\n") {
            return false;
        }
        pos += 2;
        size_t end = body.find(next, pos);
        if (end == std::string_view::npos || parts.size() >= maxParts) {
            return false;
        }
        std::string_view part = body.substr(pos, end - pos);
        BodyPart bp;
        size_t blank = part.find("\r\n\r\n");
        if (part.starts_with("\r\n")) {
            bp.body = part.substr(2);
        } else if (blank != std::string_view::npos) {
            bp.headers = part.substr(0, blank);
            bp.body = part.substr(blank + 4);
        } else {
            return false;
        }
        // Content-Type of the part (full or compact name).
        size_t lineStart = 0;
        while (lineStart < bp.headers.size()) {
            size_t lineEnd = bp.headers.find("\r\n", lineStart);
            std::string_view line = bp.headers.substr(lineStart, lineEnd == std::string_view::npos
                                                                     ? std::string_view::npos
                                                                     : lineEnd - lineStart);
            size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
                std::string_view name = chars::trim(line.substr(0, colon));
                if (chars::iequals(name, "Content-Type") || chars::iequals(name, "c")) {
                    std::string_view v = chars::trim(line.substr(colon + 1));
                    bp.contentType = chars::trim(v.substr(0, v.find(';')));
                }
            }
            if (lineEnd == std::string_view::npos) {
                break;
            }
            lineStart = lineEnd + 2;
        }
        parts.push_back(bp);
        pos = end + 2;
    }
}

}  // namespace sbc::sip
