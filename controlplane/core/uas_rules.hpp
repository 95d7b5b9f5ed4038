#pragma once
// What sbc answers, as a user agent server, to a request that no transaction or dialog claimed
// (RFC 3261 §8.2). Pure functions of the message: no sockets, no clocks, unit-tested alone.
//
// The checks run in the order of §8.2: method (405/501), Request-URI scheme (416), Max-Forwards
// (483), Require (420), Content-Type (415), Accept (406); then the method's own answer.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/sip/message.hpp"

namespace sbc::core {

struct Reply {
    int code = 0;
    std::string reason;  // empty: the default phrase
    std::vector<std::pair<std::string, std::string>> headers;
};

// Methods sbc implements (Allow). The rest of RFC 3261's and its extensions' methods get 405 with
// this list; methods nobody registered get 501 (§21.5.2).
inline constexpr std::string_view kAllow = "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK, INFO";
// Extensions sbc understands in Require (Supported).
inline constexpr std::string_view kSupported = "";
// Body types sbc accepts (Accept).
inline constexpr std::string_view kAccept = "application/sdp";

// The reply to a well-formed request outside any transaction or dialog, or nullopt for ACK
// (never answered, §17.1.1.3). OPTIONS is answered 200 (the carriers' health check, §11.2),
// also with Max-Forwards 0 (§16.3 item 2: an element may answer OPTIONS itself).
std::optional<Reply> answerOutOfDialog(const sip::Message& request);

// The status code and reason for a request that failed to parse: 505 for another SIP version,
// 513 when too large, else 400 with the reason naming the problem (§21.4.1).
Reply replyToMalformed(const sip::Message& request);

}  // namespace sbc::core
