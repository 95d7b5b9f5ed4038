#pragma once
// PortPool: the relay ports of one media side. Ports come in pairs, RTP on the even port and RTCP
// on the next odd one (RFC 3550 §11), so a pool over [first, last] holds (last - first + 1) / 2
// pairs. Freed pairs go to the back of the queue: a port is reused as late as possible, so that
// stray packets of an ended call do not reach the next one.
//
// Threading: owned by the io_context thread of the MediaClient; not synchronised.
#include <cstdint>
#include <optional>
#include <vector>

namespace sbc::media {

class PortPool {
  public:
    // first is rounded up to even; last is the highest usable (odd) port. Empty if none fit.
    PortPool(std::uint16_t first, std::uint16_t last);

    // An even RTP port whose RTCP port (+1) is free too; nullopt when exhausted.
    std::optional<std::uint16_t> allocate();
    // Takes a specific pair out of the pool (re-adopting a flow after a restart). False when the
    // port is outside the pool, odd, or already in use.
    bool reserve(std::uint16_t rtpPort);
    // Returns a pair; false (and nothing changes) for a port not allocated from this pool.
    bool release(std::uint16_t rtpPort);

    std::size_t capacity() const noexcept { return inUse_.size(); }
    std::size_t available() const noexcept { return freeCount_; }
    bool contains(std::uint16_t rtpPort) const noexcept;

  private:
    std::size_t indexOf(std::uint16_t rtpPort) const noexcept { return (rtpPort - first_) / 2; }

    std::uint16_t first_ = 0;
    std::vector<bool> inUse_;           // per pair
    std::vector<std::uint16_t> queue_;  // ring of free pair indexes (may hold reserved ones)
    std::size_t head_ = 0;              // next to hand out
    std::size_t freeCount_ = 0;
    std::size_t queued_ = 0;  // entries in the ring (>= freeCount_)
};

}  // namespace sbc::media
