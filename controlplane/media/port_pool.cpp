#include "controlplane/media/port_pool.hpp"

namespace sbc::media {

PortPool::PortPool(std::uint16_t first, std::uint16_t last) {
    std::uint32_t f = first + (first & 1u);
    first_ = static_cast<std::uint16_t>(f);
    std::size_t pairs =
        (f < 65535u && last > f) ? (static_cast<std::uint32_t>(last) - f + 1) / 2 : 0;
    inUse_.assign(pairs, false);
    queue_.resize(pairs);
    for (std::size_t i = 0; i < pairs; ++i) {
        queue_[i] = static_cast<std::uint16_t>(i);
    }
    freeCount_ = pairs;
    queued_ = pairs;
}

bool PortPool::contains(std::uint16_t rtpPort) const noexcept {
    return rtpPort >= first_ && (rtpPort & 1u) == 0 && indexOf(rtpPort) < inUse_.size();
}

std::optional<std::uint16_t> PortPool::allocate() {
    // The ring may hold pairs that reserve() took out of order: skip them (each is skipped once,
    // since release() re-queues a pair only when it was in use).
    while (queued_ > 0 && freeCount_ > 0) {
        std::uint16_t idx = queue_[head_];
        head_ = (head_ + 1) % queue_.size();
        --queued_;
        if (!inUse_[idx]) {
            inUse_[idx] = true;
            --freeCount_;
            return static_cast<std::uint16_t>(first_ + 2 * idx);
        }
    }
    return std::nullopt;
}

bool PortPool::reserve(std::uint16_t rtpPort) {
    if (!contains(rtpPort) || inUse_[indexOf(rtpPort)]) {
        return false;
    }
    inUse_[indexOf(rtpPort)] = true;
    --freeCount_;
    return true;
}

bool PortPool::release(std::uint16_t rtpPort) {
    if (!contains(rtpPort) || !inUse_[indexOf(rtpPort)]) {
        return false;
    }
    std::size_t idx = indexOf(rtpPort);
    inUse_[idx] = false;
    ++freeCount_;
    if (queued_ == queue_.size()) {
        // The ring is full of stale entries of reserved pairs: compact it to the free pairs.
        std::size_t n = 0;
        for (std::size_t i = 0; i < inUse_.size(); ++i) {
            if (!inUse_[i] && i != idx) {
                queue_[n++] = static_cast<std::uint16_t>(i);
            }
        }
        head_ = 0;
        queued_ = n;
    }
    queue_[(head_ + queued_) % queue_.size()] = static_cast<std::uint16_t>(idx);
    ++queued_;
    return true;
}

}  // namespace sbc::media
