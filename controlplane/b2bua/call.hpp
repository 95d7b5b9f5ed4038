#pragma once
// A call: two dialogs (RFC 3261 §12), one per leg, and what ties them together. Plain data owned
// by the B2bua (io_context thread); the B2bua implements the behaviour.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/b2bua/call_media.hpp"
#include "controlplane/b2bua/cdr.hpp"
#include "controlplane/policy/model.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/types.hpp"

namespace sbc::b2bua {

// One of sbc's SIP listeners, as the B2BUA advertises it in Via and Contact.
struct SideListener {
    std::uint32_t id = 0;  // transport::ListenerId
    std::string side;      // "outside" / "inside"
    policy::Transport transport = policy::Transport::Udp;
    std::string address;  // IP literal (IPv6 without brackets)
    std::uint16_t port = 0;
};

// What a response to a received request repeats (RFC 3261 §8.2.6.2): kept from the request so
// that responses can be built after the message is gone.
struct ResponseBase {
    std::vector<std::string> vias;  // the top one with received/rport (RFC 3581 §4)
    std::string from;
    std::string to;  // as received; a tag is added when it has none
    std::string callId;
    std::string cseq;
    std::string cseqMethod;
    std::uint32_t cseqNumber = 0;
};

// A dialog as one leg of a call (RFC 3261 §12.1): local = sbc's end.
struct Leg {
    std::string callId;
    std::string localTag;
    std::string remoteTag;
    std::string localUri;   // name-addr without tag: From of our requests
    std::string remoteUri;  // name-addr without tag: To of our requests
    std::uint32_t localCseq = 0;
    std::uint32_t remoteCseq = 0;
    bool remoteCseqSet = false;
    std::string remoteTarget;           // Contact URI of the peer: Request-URI of our requests
    std::vector<std::string> routeSet;  // Route values of our requests (§12.1.1, §12.1.2)
    // Where our requests go. NAT fixup: for the inbound leg the observed source of its INVITE
    // (address, port, connection), not its Contact.
    transaction::Target target;
    const SideListener* listener = nullptr;
    const policy::Trunk* trunk = nullptr;
    bool confirmed = false;  // a 2xx made the dialog confirmed (§12.1)
    bool supports100rel = false;
};

enum class CallState : std::uint8_t {
    Calling,      // INVITE sent to the outbound leg, no final yet
    Answered,     // 2xx relayed to A, its ACK not yet received
    Established,  // both dialogs confirmed
    Ended,
};

// An INVITE (initial or re-INVITE) answered 2xx on leg `uasLeg`: the 2xx is retransmitted until
// the ACK (§13.3.1.4); when that INVITE was relayed from the other leg without an offer, the
// other leg's ACK waits for this one, which carries the answer (§13.2.2.4, RFC 3264 §5).
struct PendingAck {
    LegId uasLeg = LegId::A;
    std::uint32_t cseq = 0;
    std::string response;  // the 2xx as sent
    transaction::ServerTransactionId txn = transaction::ServerTransactionId::None;
    transaction::TimerId timer = transaction::kNoTimer;
    std::chrono::milliseconds interval{0};
    std::chrono::milliseconds elapsed{0};
    bool forwardAck = false;             // the other leg's ACK waits for this one
    std::uint32_t forwardCseq = 0;       // CSeq of the INVITE on the other leg
    transaction::Target responseTarget;  // where the 2xx went (retransmissions too)
};

struct Call {
    std::uint64_t id = 0;
    policy::PolicyPtr policy;  // the snapshot the call started with
    const policy::Trunk* inTrunk = nullptr;
    const policy::Trunk* outTrunk = nullptr;
    std::vector<const policy::Destination*> destinations;  // in the order to try
    size_t destIndex = 0;
    // 3xx followed (RedirectMode::Follow): the targets, owned here (stable addresses), and the
    // user they asked for (the new Request-URI user).
    std::deque<policy::Destination> redirectTargets;
    std::string redirectUser;
    int redirects = 0;
    std::uint32_t attempt = 0;  // increases per outbound INVITE sent (failover, auth)
    bool authTried = false;     // a challenge of the current destination was answered
    std::string authHeader;     // "Authorization" / "Proxy-Authorization" (RFC 3261 §22.2)
    std::string authValue;
    size_t authDestIndex = 0;

    Leg a;  // inbound leg: sbc is its UAS
    Leg b;  // outbound leg: sbc is its UAC
    CallState state = CallState::Calling;

    // Inbound INVITE.
    transaction::ServerTransactionId aInvite = transaction::ServerTransactionId::None;
    std::shared_ptr<ResponseBase> aInviteBase;
    std::string aInviteBytes;  // kept to rebuild the outbound INVITE on failover
    bool offerInInvite = false;
    std::string bOffer;  // the SDP sent in the outbound INVITE

    // Outbound INVITE.
    transaction::ClientTransactionId bInvite = transaction::ClientTransactionId::None;
    std::string bInviteBytes;  // for CANCEL (§9.1)
    std::uint32_t bInviteCseq = 0;
    bool bProvisional = false;  // a 1xx (other than 100 too) arrived: CANCEL may be sent
    bool bAnyResponse = false;
    bool cancelled = false;  // CANCEL from A, timer C or give-up: no 2xx may be relayed
    bool cancelSent = false;
    int lastFailure = 0;
    std::string lastFailureReason;

    // Reliable provisionals (RFC 3262): our RSeq on A, and A's RSeq -> B's RSeq.
    std::uint32_t aRseq = 0;
    std::map<std::uint32_t, std::uint32_t> rseqMap;
    std::string pendingReliable;  // last reliable 1xx sent to A, re-sent until PRACKed
    std::uint32_t pendingReliableRseq = 0;
    transaction::TimerId reliableTimer = transaction::kNoTimer;
    std::chrono::milliseconds reliableInterval{0};

    std::unique_ptr<CallMedia> media;
    std::optional<PendingAck> pendingAck;
    bool inviteInProgress = false;  // a re-INVITE is being relayed (glare: 491, §14.1)
    bool offerPending = false;      // an UPDATE offer awaits its answer (RFC 3311 §5.2)

    transaction::TimerId timerC = transaction::kNoTimer;
    transaction::TimerId failoverTimer = transaction::kNoTimer;
    transaction::TimerId durationTimer = transaction::kNoTimer;
    transaction::TimerId sessionTimer = transaction::kNoTimer;  // RFC 4028 §10
    // Wall-clock view of the two timers above, for the call's record (a restarted sbc re-arms
    // them from these).
    std::optional<WallClock::time_point> durationDeadline;
    std::chrono::seconds sessionInterval{0};  // 0: no session timer negotiated
    std::string sessionRefresher;
    WallClock::time_point sessionExpires;
    bool persisted = false;  // the CallStore holds a record of this call

    // The last ACK for a 2xx sent on each leg, re-sent for a retransmitted 2xx (§13.2.2.4).
    std::string ackSent[2];
    std::uint32_t ackSentCseq[2] = {0, 0};

    CdrRecord cdr;

    Leg& leg(LegId id) noexcept { return id == LegId::A ? a : b; }
    const Leg& leg(LegId id) const noexcept { return id == LegId::A ? a : b; }
};

}  // namespace sbc::b2bua
