#include "controlplane/policy/acl.hpp"

#include <algorithm>
#include <array>

namespace sbc::policy {

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Unescapes %HH into `buf` (at most kMaxMatchBytes); optionally drops RFC 3966 visual
// separators. No allocation.
std::string_view normalize(std::string_view in, std::array<char, kMaxMatchBytes>& buf,
                           bool dropSeparators) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < in.size() && n < buf.size(); ++i) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = hexValue(in[i + 1]);
            int lo = hexValue(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = static_cast<char>(hi * 16 + lo);
                i += 2;
            }
        }
        if (dropSeparators && (c == '-' || c == '.' || c == '(' || c == ')' || c == ' ')) {
            continue;
        }
        buf[n++] = c;
    }
    return {buf.data(), n};
}

bool fullMatch(const std::optional<Pattern>& p, std::string_view escaped) {
    if (!p) {
        return true;
    }
    std::array<char, kMaxMatchBytes> buf;
    std::string_view v = normalize(escaped, buf, false);
    return re2::RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *p->regex);
}

bool search(const std::optional<Pattern>& p, std::string_view value) {
    if (!p) {
        return true;
    }
    value = value.substr(0, kMaxMatchBytes);
    return re2::RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *p->regex);
}

bool ruleMatches(const AclRule& r, const boost::asio::ip::address& source, const RequestView& req) {
    if (!r.sources.empty() && r.sourceSet.lookup(source) == CidrTable::kNone) {
        return false;
    }
    if (!r.methods.empty() &&
        std::find(r.methods.begin(), r.methods.end(), req.method) == r.methods.end()) {
        return false;
    }
    if (!r.numberPrefixes.empty() && !matchesNumberPrefix(r.numberPrefixes, req.ruriUser)) {
        return false;
    }
    return search(r.userAgent, req.userAgent) && fullMatch(r.fromUser, req.fromUser) &&
           fullMatch(r.toUser, req.toUser) && fullMatch(r.ruriUser, req.ruriUser);
}

AclDecision decide(const Acl& acl, std::int32_t rule) {
    AclDecision d;
    d.decided = true;
    d.rule = rule;
    if (rule < 0) {
        d.action = acl.defaultAction;
        d.response = acl.defaultResponse;
    } else {
        const AclRule& r = acl.rules[static_cast<std::size_t>(rule)];
        d.action = r.action;
        d.response = r.response;
    }
    return d;
}

}  // namespace

bool matchesNumberPrefix(const std::vector<std::string>& sortedPrefixes,
                         std::string_view user) noexcept {
    std::array<char, kMaxMatchBytes> buf;
    std::string_view u = normalize(user, buf, true);
    for (std::size_t len = 1; len <= u.size() && len <= 33; ++len) {
        std::string_view head = u.substr(0, len);
        if (std::binary_search(sortedPrefixes.begin(), sortedPrefixes.end(), head,
                               [](const auto& a, const auto& b) {
                                   return std::string_view(a) < std::string_view(b);
                               })) {
            return true;
        }
    }
    return false;
}

AclDecision evaluateSource(const Acl& acl, const boost::asio::ip::address& source) noexcept {
    std::int32_t first = acl.firstRule.lookup(source);
    if (first == CidrTable::kNone) {
        return decide(acl, -1);
    }
    const AclRule& r = acl.rules[static_cast<std::size_t>(first)];
    if (r.sourceOnly()) {
        return decide(acl, first);
    }
    AclDecision d;
    d.next = static_cast<std::size_t>(first);
    return d;
}

AclDecision evaluateRequest(const Acl& acl, const boost::asio::ip::address& source,
                            const RequestView& req, std::size_t start) noexcept {
    for (std::size_t i = start; i < acl.rules.size(); ++i) {
        if (ruleMatches(acl.rules[i], source, req)) {
            return decide(acl, static_cast<std::int32_t>(i));
        }
    }
    return decide(acl, -1);
}

}  // namespace sbc::policy
