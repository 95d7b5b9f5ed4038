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

// Why an SDP body was refused: the SIP status the B2BUA answers with.
struct SdpError {
    int status = 488;  // 488 Not Acceptable Here (bad SDP), 503 (no media ports), 500
    std::string reason;
};

class CallMedia {
  public:
    CallMedia(media::MediaService& media, LegMediaPolicy a, LegMediaPolicy b,
              std::uint64_t sessionSeed);
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

    bool allocated() const noexcept { return session_.has_value(); }
    const std::vector<media::Stream>& streams() const noexcept { return streams_; }

  private:
    struct OriginState {
        std::string sessionId;
        std::uint64_t version = 0;
        std::string lastPeerVersion;  // o= version of the last body received from the other leg
        bool sent = false;
    };

    media::MediaService& media_;
    LegMediaPolicy policy_[2];
    OriginState origin_[2];  // our o= towards leg A / leg B
    std::optional<media::SessionId> session_;
    std::vector<media::Stream> streams_;
    bool released_ = false;
};

}  // namespace sbc::b2bua
