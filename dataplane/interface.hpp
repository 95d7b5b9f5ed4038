#pragma once
// A media interface at run time: its DPDK port, MAC, addresses, next-hop rules and neighbour
// table. Built at start from the config (control/main thread), then read-only except for the
// neighbour table (see neighbour_table.hpp).
#include <rte_ether.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/config.hpp"
#include "dataplane/neighbour_table.hpp"

namespace sbc::dataplane {

struct Interface {
    std::string name;
    std::uint16_t portId = 0;
    bool started = false;  // the port was started (and must be stopped and closed)
    rte_ether_addr mac{};
    std::uint16_t mtu = 1500;
    std::uint16_t vlan = 0;
    bool txIpChecksumOffload = false;
    bool txUdpChecksumOffload = false;
    std::vector<InterfaceAddress> addresses;
    dpapi::IpAddress gateway;
    dpapi::IpAddress gateway6;
    std::unique_ptr<NeighbourTable> neighbours;

    // Whether `ip` (family 4 or 6, network-order bytes) is one of our addresses.
    bool owns(std::uint8_t family, const std::uint8_t* ip) const noexcept {
        for (const auto& a : addresses) {
            if (a.ip.family == family &&
                std::memcmp(a.ip.bytes.data(), ip, family == 4 ? 4 : 16) == 0) {
                return true;
            }
        }
        return false;
    }

    // The first address of `family` (source of ARP/ND requests); nullptr when none.
    const std::uint8_t* firstAddress(std::uint8_t family) const noexcept {
        for (const auto& a : addresses) {
            if (a.ip.family == family) {
                return a.ip.bytes.data();
            }
        }
        return nullptr;
    }

    // Next hop for `remote`: itself when inside one of our subnets, else the gateway.
    // Returns false when off-link without a gateway.
    bool nextHop(std::uint8_t family, const std::uint8_t* remote,
                 std::uint8_t* out) const noexcept {
        for (const auto& a : addresses) {
            if (a.ip.family == family && samePrefix(a.ip.bytes.data(), remote, a.prefixLength)) {
                std::memcpy(out, remote, 16);
                return true;
            }
        }
        const dpapi::IpAddress& gw = family == 4 ? gateway : gateway6;
        if (!gw.isSet()) {
            return false;
        }
        std::memcpy(out, gw.bytes.data(), 16);
        return true;
    }

    static bool samePrefix(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) noexcept {
        unsigned i = 0;
        for (; bits >= 8; bits -= 8, ++i) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        if (bits == 0) {
            return true;
        }
        std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - bits));
        return (a[i] & mask) == (b[i] & mask);
    }
};

}  // namespace sbc::dataplane
