#pragma once
// multipart/* bodies (RFC 2046 §5.1), e.g. SDP plus ISUP or a signature (RFC 4475 §3.1.1.11).
#include <string_view>
#include <vector>

namespace sbc::sip {

struct BodyPart {
    std::string_view headers;      // the part's raw header block (may be empty)
    std::string_view contentType;  // type/subtype of the part, empty when absent
    std::string_view body;
};

// The boundary parameter of a Content-Type value such as
// `multipart/mixed;boundary=7a9cbec02ceef655` (quoted or not); empty when absent.
std::string_view multipartBoundary(std::string_view contentTypeValue) noexcept;

// Splits a multipart body. Returns false when the boundary is empty, a delimiter is missing, the
// closing delimiter is absent, or there are more than maxParts parts.
bool parseMultipart(std::string_view body, std::string_view boundary, std::vector<BodyPart>& parts,
                    size_t maxParts = 16);

}  // namespace sbc::sip
