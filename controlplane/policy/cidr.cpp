#include "controlplane/policy/cidr.hpp"

#include <charconv>

namespace sbc::policy {

bool Cidr::contains(const boost::asio::ip::address& a) const {
    if (a.is_v4() != network.is_v4()) {
        return false;
    }
    auto cmp = [this](const auto& x, const auto& y) {
        int bits = prefixLength;
        for (size_t i = 0; i < x.size() && bits > 0; ++i, bits -= 8) {
            unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
            if ((x[i] & mask) != (y[i] & mask)) {
                return false;
            }
        }
        return true;
    };
    if (a.is_v4()) {
        return cmp(a.to_v4().to_bytes(), network.to_v4().to_bytes());
    }
    return cmp(a.to_v6().to_bytes(), network.to_v6().to_bytes());
}

std::string Cidr::toString() const {
    return network.to_string() + "/" + std::to_string(prefixLength);
}

std::optional<Cidr> parseCidr(std::string_view text, std::string& why) {
    std::string_view addrText = text;
    std::optional<unsigned> len;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        addrText = text.substr(0, slash);
        std::string_view l = text.substr(slash + 1);
        unsigned v = 0;
        auto r = std::from_chars(l.data(), l.data() + l.size(), v);
        if (l.empty() || r.ec != std::errc{} || r.ptr != l.data() + l.size()) {
            why = "bad prefix length in '" + std::string(text) + "'";
            return std::nullopt;
        }
        len = v;
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(std::string(addrText), ec);
    if (ec || (addr.is_v6() && addr.to_v6().scope_id() != 0)) {
        why = "'" + std::string(text) + "' is not an IPv4 or IPv6 address or CIDR";
        return std::nullopt;
    }
    unsigned max = addr.is_v4() ? 32 : 128;
    unsigned bits = len.value_or(max);
    if (bits > max) {
        why = "prefix length of '" + std::string(text) + "' must be 0.." + std::to_string(max);
        return std::nullopt;
    }
    Cidr c;
    c.network = addr;
    c.prefixLength = static_cast<std::uint8_t>(bits);
    // Host bits must be zero: "192.0.2.1/24" is almost always a typo for a host or a network.
    auto zeroHost = [bits](auto bytes) {
        unsigned b = bits;
        for (auto& x : bytes) {
            if (b >= 8) {
                b -= 8;
                continue;
            }
            unsigned mask = (0xffu << (8 - b)) & 0xffu;
            if ((x & ~mask & 0xffu) != 0) {
                return false;
            }
            b = 0;
        }
        return true;
    };
    bool ok = addr.is_v4() ? zeroHost(addr.to_v4().to_bytes()) : zeroHost(addr.to_v6().to_bytes());
    if (!ok) {
        why = "host bits set in '" + std::string(text) + "'";
        return std::nullopt;
    }
    return c;
}

}  // namespace sbc::policy
