#pragma once
// Header field names: well-known ids, compact forms (RFC 3261 §7.3.3 and the IANA registry) and
// canonical spellings for serialization.
#include <cstdint>
#include <string_view>

namespace sbc::sip {

// clang-format off
#define SBC_SIP_HEADERS(X)                                   \
    X(Accept, "Accept", 0)                                   \
    X(AcceptContact, "Accept-Contact", 'a')                  \
    X(AcceptEncoding, "Accept-Encoding", 0)                  \
    X(AcceptLanguage, "Accept-Language", 0)                  \
    X(AlertInfo, "Alert-Info", 0)                            \
    X(Allow, "Allow", 0)                                     \
    X(AllowEvents, "Allow-Events", 'u')                      \
    X(Authorization, "Authorization", 0)                     \
    X(CallId, "Call-ID", 'i')                                \
    X(CallInfo, "Call-Info", 0)                              \
    X(Contact, "Contact", 'm')                               \
    X(ContentDisposition, "Content-Disposition", 0)          \
    X(ContentEncoding, "Content-Encoding", 'e')              \
    X(ContentLanguage, "Content-Language", 0)                \
    X(ContentLength, "Content-Length", 'l')                  \
    X(ContentType, "Content-Type", 'c')                      \
    X(CSeq, "CSeq", 0)                                       \
    X(Date, "Date", 0)                                       \
    X(ErrorInfo, "Error-Info", 0)                            \
    X(Event, "Event", 'o')                                   \
    X(Expires, "Expires", 0)                                 \
    X(From, "From", 'f')                                     \
    X(Identity, "Identity", 'y')                             \
    X(InReplyTo, "In-Reply-To", 0)                           \
    X(MaxForwards, "Max-Forwards", 0)                        \
    X(MinExpires, "Min-Expires", 0)                          \
    X(MinSE, "Min-SE", 0)                                    \
    X(MimeVersion, "MIME-Version", 0)                        \
    X(Organization, "Organization", 0)                       \
    X(PAssertedIdentity, "P-Asserted-Identity", 0)           \
    X(PPreferredIdentity, "P-Preferred-Identity", 0)         \
    X(Priority, "Priority", 0)                               \
    X(Privacy, "Privacy", 0)                                 \
    X(ProxyAuthenticate, "Proxy-Authenticate", 0)            \
    X(ProxyAuthorization, "Proxy-Authorization", 0)          \
    X(ProxyRequire, "Proxy-Require", 0)                      \
    X(RAck, "RAck", 0)                                       \
    X(Reason, "Reason", 0)                                   \
    X(RecordRoute, "Record-Route", 0)                        \
    X(ReferredBy, "Referred-By", 'b')                        \
    X(ReferTo, "Refer-To", 'r')                              \
    X(RejectContact, "Reject-Contact", 'j')                  \
    X(Replaces, "Replaces", 0)                               \
    X(ReplyTo, "Reply-To", 0)                                \
    X(RequestDisposition, "Request-Disposition", 'd')        \
    X(Require, "Require", 0)                                 \
    X(RetryAfter, "Retry-After", 0)                          \
    X(Route, "Route", 0)                                     \
    X(RSeq, "RSeq", 0)                                       \
    X(Server, "Server", 0)                                   \
    X(SessionExpires, "Session-Expires", 'x')                \
    X(Subject, "Subject", 's')                               \
    X(SubscriptionState, "Subscription-State", 0)            \
    X(Supported, "Supported", 'k')                           \
    X(Timestamp, "Timestamp", 0)                             \
    X(To, "To", 't')                                         \
    X(Unsupported, "Unsupported", 0)                         \
    X(UserAgent, "User-Agent", 0)                            \
    X(Via, "Via", 'v')                                       \
    X(Warning, "Warning", 0)                                 \
    X(WwwAuthenticate, "WWW-Authenticate", 0)
// clang-format on

enum class HeaderId : uint8_t {
    Unknown = 0,
#define SBC_X(id, name, compact) id,
    SBC_SIP_HEADERS(SBC_X)
#undef SBC_X
        Count
};

// Case-insensitive lookup of a header name, full or compact form; Unknown for anything else.
HeaderId headerIdOf(std::string_view name) noexcept;

// The canonical spelling ("Call-ID"); empty for Unknown.
std::string_view canonicalName(HeaderId id) noexcept;

}  // namespace sbc::sip
