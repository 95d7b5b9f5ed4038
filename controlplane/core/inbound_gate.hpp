#pragma once
// The hook through which a policy (controlplane/policy/gate.hpp) screens inbound SIP before the
// transaction layer sees it. SipServer calls beforeParse() for every message (the source alone),
// afterParse() for every well-formed request, and responseSent() for every response it
// originates to a request, so that the policy can count failures (bans).
//
// Threading: called on the io_context thread only.
#include <cstdint>

#include "controlplane/sip/message.hpp"
#include "controlplane/transport/types.hpp"

namespace sbc::core {

struct GateVerdict {
    enum class Kind : std::uint8_t { Continue, Reject, Drop };
    Kind kind = Kind::Continue;
    int code = 0;        // Reject: 403 or 503
    int retryAfter = 0;  // seconds; 0: no Retry-After header (RFC 3261 §20.33)

    static GateVerdict pass() { return {}; }
    static GateVerdict drop() { return {Kind::Drop, 0, 0}; }
    static GateVerdict reject(int code, int retryAfter = 0) {
        return {Kind::Reject, code, retryAfter};
    }
};

class InboundGate {
  public:
    virtual ~InboundGate() = default;
    virtual GateVerdict beforeParse(const transport::InboundMessage& in) noexcept = 0;
    virtual GateVerdict afterParse(const sip::Message& req,
                                   const transport::InboundMessage& in) noexcept = 0;
    virtual void responseSent(const transport::InboundMessage& in, int code) noexcept = 0;
};

}  // namespace sbc::core
