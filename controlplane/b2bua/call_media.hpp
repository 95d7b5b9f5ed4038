#pragma once
// CallMedia: the SDP offer/answer (RFC 3264) of one call as seen by the B2BUA, and the relay
// ports the MediaService gives it.
//
// Every SDP body that crosses the B2BUA goes through relay(): the body received from one leg is
// parsed, its addresses and ports become that leg's remotes (MediaService::update), and a copy is
// rewritten for the other leg with only the relay address/port of that other leg in c=, m= and
// a=rtcp, and o= owned by sbc (RFC 3264 §5, §8: our own session id per leg, version incremented
// when the content changes). m-line order and count are kept (RFC 3264 §6); a rejected stream
// (port 0) stays rejected; ICE attributes are removed towards a leg whose trunk says so. Nothing
// of one leg's addresses reaches the other (topology hiding).
//
// Legacy hold (RFC 2543: c=0.0.0.0) is passed on as 0.0.0.0 rather than replaced by the relay
// address, so that the far end still sees the hold.
//
// Threading: owned by its Call, on the io_context thread of the B2BUA.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/media/media_service.hpp"

namespace sbc::b2bua {

enum class LegId : std::uint8_t { A, B };

inline LegId other(LegId leg) noexcept {
    return leg == LegId::A ? LegId::B : LegId::A;
}

struct LegMediaPolicy {
    std::string side;  // media side (address pool) of this leg
    bool stripIce = true;
    bool latch = true;
};

// sbc's o= line towards one leg (RFC 3264 §5, §8): its session id, the version last sent, and the
// o= version of the last body received from the other leg (a change there bumps ours).
struct SdpOrigin {
    std::string sessionId;
    std::uint64_t version = 0;
    std::string lastPeerVersion;
    bool sent = false;
};

// Everything a CallMedia holds, as plain data: what a persisted call record carries, so that a
// restarted sbc continues the call's offer/answer where the old process left it.
struct CallMediaState {
    LegMediaPolicy policy[2];
    SdpOrigin origin[2];                      // towards leg A / leg B
    std::optional<media::SessionId> session;  // set once relay ports were allocated
    std::vector<media::Stream> streams;
};

// Why an SDP body was refused: the SIP status the B2BUA answers with.
struct SdpError {
    int status = 488;  // 488 Not Acceptable Here (bad SDP), 503 (no media ports), 500
    std::string reason;
};

class CallMedia {
  public:
    CallMedia(media::MediaService& media, LegMediaPolicy a, LegMediaPolicy b,
              std::uint64_t sessionSeed);
    // A call restored from its record: the session is the one the MediaService adopted (or none).
    CallMedia(media::MediaService& media, CallMediaState restored);
    CallMedia(const CallMedia&) = delete;
    CallMedia& operator=(const CallMedia&) = delete;

    // SDP received from `from`; on success the body to send to the other leg.
    struct Result {
        std::optional<std::string> body;
        std::optional<SdpError> error;
    };
    Result relay(std::string_view body, LegId from);

    // Frees the relay ports (once) and returns the per-end stats: for each stream, a then b.
    std::vector<media::MediaStats> release();
    // The same; `done` gets the data plane's final counters (maybe later, exactly once).
    void release(media::MediaService::StatsHandler done);

    bool allocated() const noexcept { return session_.has_value(); }
    std::optional<media::SessionId> session() const noexcept { return session_; }
    const std::vector<media::Stream>& streams() const noexcept { return streams_; }
    CallMediaState state() const;

  private:
    media::MediaService& media_;
    LegMediaPolicy policy_[2];
    SdpOrigin origin_[2];  // our o= towards leg A / leg B
    std::optional<media::SessionId> session_;
    std::vector<media::Stream> streams_;
    bool released_ = false;
};

}  // namespace sbc::b2bua
