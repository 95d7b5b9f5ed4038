#pragma once
// CallRecord: an established call as plain, serialisable data: what a restarted sbc (or, later, a
// standby node) needs to continue the call: both dialogs (RFC 3261 §12: Call-ID, tags, URIs,
// remote target, route set, CSeqs, where requests go), the trunks by name, the media session and
// its streams, the session timer (RFC 4028), the maximum-duration deadline and the CDR fields so
// far. Encoded as one JSON object (record_json.hpp); the decoder validates every field and
// refuses a corrupt, truncated or hostile record with a message naming the field.
//
// Pointers of the live call (trunks, listeners) are kept by name and id here and looked up again
// against the policy and listeners of the process that restores the record. TCP/TLS connection
// ids are not kept: connections die with the process.
//
// Threading: plain data and pure functions.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/b2bua/call_media.hpp"
#include "controlplane/b2bua/cdr.hpp"
#include "controlplane/policy/model.hpp"

namespace sbc::b2bua {

struct LegRecord {
    std::string callId;
    std::string localTag;
    std::string remoteTag;
    std::string localUri;   // name-addr without tag
    std::string remoteUri;  // name-addr without tag
    std::uint32_t localCseq = 0;
    std::optional<std::uint32_t> remoteCseq;  // unset until the peer sent a request
    std::string remoteTarget;
    std::vector<std::string> routeSet;
    // Where requests on this leg go (the listener sends them; address an IP literal).
    std::uint32_t listenerId = 0;
    std::string listenerSide;
    policy::Transport transport = policy::Transport::Udp;
    std::string targetAddress;
    std::uint16_t targetPort = 0;
    std::string trunk;  // trunk name; empty: none
    bool supports100rel = false;
};

struct SessionTimerRecord {
    std::chrono::seconds interval{0};
    std::string refresher;          // "uac", "uas" or empty
    WallClock::time_point expires;  // RFC 4028 §10: BYE when no refresh came by then
};

struct CallRecord {
    static constexpr std::uint64_t kVersion = 1;

    std::uint64_t callNumber = 0;  // the B2bua's call id (also the CDR id)
    LegRecord a;                   // inbound leg: sbc is its UAS
    LegRecord b;                   // outbound leg: sbc is its UAC
    std::string inTrunk;
    std::string outTrunk;
    CallMediaState media;
    std::optional<SessionTimerRecord> sessionTimer;
    std::optional<WallClock::time_point> maxDurationDeadline;
    // The CDR as far as it is known (no end, result, reason or media counters yet).
    CdrRecord cdr;
};

// Bounds the decoder enforces (a record is small: these are far above any real call).
struct CallRecordLimits {
    static constexpr std::size_t kMaxBytes = 64 * 1024;
    static constexpr std::size_t kMaxText = 4096;  // any one string
    static constexpr std::size_t kMaxRoutes = 32;
    static constexpr std::size_t kMaxStreams = 255;  // MediaClient's per-session limit
};

// One JSON object, no trailing newline.
std::string encode(const CallRecord& record);

struct DecodeResult {
    std::optional<CallRecord> record;
    std::string error;  // "field: problem" when record is empty
};

DecodeResult decode(std::string_view text);

}  // namespace sbc::b2bua
