#pragma once
// RFC 4028 session timer headers as the B2BUA relays them: Session-Expires and Min-SE are
// rebuilt (never copied raw) from their values, so nothing but the interval and refresher role
// crosses between legs. Roles keep their meaning across sbc: the request's direction is kept, so
// "uac" on one leg is "uac" on the other.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/sip/message.hpp"

namespace sbc::b2bua {

struct SessionExpires {
    std::chrono::seconds interval{0};
    std::string refresher;  // "uac", "uas" or empty
};

// Session-Expires of `m` (RFC 4028 §4: delta-seconds *(;se-params)); nullopt when absent or bad.
std::optional<SessionExpires> sessionExpiresOf(const sip::Message& m);
// Min-SE of `m` (RFC 4028 §5); nullopt when absent or bad.
std::optional<std::chrono::seconds> minSeOf(const sip::Message& m);

// "1800;refresher=uac".
std::string toHeaderValue(const SessionExpires& se);

// RFC 4028 §10: the non-refresher ends the session when no refresh came by
// interval - min(32 s, interval / 3).
std::chrono::milliseconds expiryDeadline(std::chrono::seconds interval);

}  // namespace sbc::b2bua
