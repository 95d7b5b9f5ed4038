#pragma once
// Request methods (RFC 3261 §7.1 and extensions). Method names are case-sensitive.
#include <cstdint>
#include <string_view>

namespace sbc::sip {

enum class Method : uint8_t {
    Unknown,
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    Prack,      // RFC 3262
    Update,     // RFC 3311
    Info,       // RFC 6086
    Subscribe,  // RFC 6665
    Notify,     // RFC 6665
    Refer,      // RFC 3515
    Message,    // RFC 3428
    Publish,    // RFC 3903
};

Method methodOf(std::string_view name) noexcept;
std::string_view methodName(Method m) noexcept;

}  // namespace sbc::sip
