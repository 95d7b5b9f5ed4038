#pragma once
// Internet checksum helpers (RFC 1071) and incremental update (RFC 1624 eqn. 3).
// Sums run over raw memory: one's-complement arithmetic is byte-order independent, so values are
// kept in network order throughout.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sbc::dataplane {

// One's-complement sum of `len` bytes (len even) added to `sum`, unfolded.
inline std::uint32_t csumAdd(std::uint32_t sum, const void* data, std::size_t len) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i + 1 < len; i += 2) {
        std::uint16_t w;
        std::memcpy(&w, p + i, 2);
        sum += w;
    }
    return sum;
}

// Adds the one's complement of each 16-bit word (i.e. subtracts the words).
inline std::uint32_t csumSub(std::uint32_t sum, const void* data, std::size_t len) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i + 1 < len; i += 2) {
        std::uint16_t w;
        std::memcpy(&w, p + i, 2);
        sum += static_cast<std::uint16_t>(~w);
    }
    return sum;
}

inline std::uint16_t csumFold(std::uint32_t sum) noexcept {
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(sum);
}

}  // namespace sbc::dataplane
