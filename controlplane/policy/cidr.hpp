#pragma once
// CIDR prefix parsing shared by the loader and the compiled tables.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbc::policy {

struct Cidr {
    boost::asio::ip::address network;  // host bits zero
    std::uint8_t prefixLength = 0;     // 0..32 (IPv4) or 0..128 (IPv6)

    bool contains(const boost::asio::ip::address& a) const;
    // "192.0.2.0/24", "2001:db8::/32"
    std::string toString() const;
};

// Parses "ADDR/LEN" or a bare address (a host: /32 or /128). On failure returns nullopt and sets
// `why` ("host bits set in 192.0.2.1/24", "prefix length must be 0..32", ...).
std::optional<Cidr> parseCidr(std::string_view text, std::string& why);

}  // namespace sbc::policy
