#pragma once
// Test harness for sbc-dataplane without NICs, hugepages or root: EAL with --no-huge, two
// ring-backed ports (rte_eth_from_rings) named per test, a Dataplane on them, frames injected into
// the RX rings and read back from the TX rings, one poll iteration at a time.
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_udp.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/dataplane_protocol.hpp"
#include "dataplane/checksum.hpp"
#include "dataplane/dataplane.hpp"

namespace sbc::dataplane::test {

inline void initEal() {
    static bool done = false;
    if (done) {
        return;
    }
    const char* args[] = {
        "dp_test", "-l",       "0",           "--no-huge",      "-m",
        "512",     "--no-pci", "--no-shconf", "--no-telemetry", "--log-level=error"};
    std::vector<char*> argv;
    for (const char* a : args) {
        argv.push_back(const_cast<char*>(a));
    }
    if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
        throw std::runtime_error("rte_eal_init failed");
    }
    done = true;
}

// A ring-backed port: what the test enqueues on `rx` the port receives; what it sends appears
// on `tx`.
struct RingPort {
    rte_ring* rx = nullptr;  // queue 0
    rte_ring* tx = nullptr;
    std::vector<rte_ring*> rxs;  // one per queue
    std::vector<rte_ring*> txs;
    std::string name;

    explicit RingPort(const std::string& n, unsigned queues = 1) : name(n) {
        for (unsigned q = 0; q < queues; ++q) {
            std::string id = n + "_" + std::to_string(q);
            rxs.push_back(
                rte_ring_create((id + "r").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
            txs.push_back(
                rte_ring_create((id + "t").c_str(), 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ));
            if (rxs.back() == nullptr || txs.back() == nullptr) {
                throw std::runtime_error("cannot create rings for " + n);
            }
        }
        rx = rxs[0];
        tx = txs[0];
        int port = rte_eth_from_rings(n.c_str(), rxs.data(), queues, txs.data(), queues, 0);
        char devName[RTE_ETH_NAME_MAX_LEN];
        if (port < 0 ||
            rte_eth_dev_get_name_by_port(static_cast<std::uint16_t>(port), devName) != 0) {
            throw std::runtime_error("cannot create ring port " + n);
        }
        name = devName;  // "net_ring_<n>": what the Dataplane config names
    }
    ~RingPort() {
        for (auto* r : rxs) {
            rte_mbuf* m;
            while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
                rte_pktmbuf_free(m);
            }
            rte_ring_free(r);
        }
        for (auto* r : txs) {
            rte_mbuf* m;
            while (rte_ring_dequeue(r, reinterpret_cast<void**>(&m)) == 0) {
                rte_pktmbuf_free(m);
            }
            rte_ring_free(r);
        }
    }
};

using Bytes = std::vector<std::uint8_t>;

inline std::array<std::uint8_t, 6> macBytes(const rte_ether_addr& m) {
    std::array<std::uint8_t, 6> a;
    std::memcpy(a.data(), m.addr_bytes, 6);
    return a;
}

inline std::uint16_t fold(std::uint32_t sum) {
    return csumFold(sum);
}

// Ethernet + IPv4 + UDP frame with valid checksums.
inline Bytes udp4(const std::array<std::uint8_t, 6>& dstMac,
                  const std::array<std::uint8_t, 6>& srcMac, const char* src, std::uint16_t sport,
                  const char* dst, std::uint16_t dport, const Bytes& payload) {
    Bytes f(14 + 20 + 8 + payload.size());
    std::memcpy(&f[0], dstMac.data(), 6);
    std::memcpy(&f[6], srcMac.data(), 6);
    f[12] = 0x08;
    f[13] = 0x00;
    std::uint8_t* ip = &f[14];
    ip[0] = 0x45;
    std::uint16_t total = static_cast<std::uint16_t>(20 + 8 + payload.size());
    ip[2] = static_cast<std::uint8_t>(total >> 8);
    ip[3] = static_cast<std::uint8_t>(total);
    ip[8] = 64;
    ip[9] = 17;
    auto s = *dpapi::IpAddress::parse(src);
    auto d = *dpapi::IpAddress::parse(dst);
    std::memcpy(ip + 12, s.bytes.data(), 4);
    std::memcpy(ip + 16, d.bytes.data(), 4);
    std::uint16_t c = static_cast<std::uint16_t>(~fold(csumAdd(0, ip, 20)));
    std::memcpy(ip + 10, &c, 2);
    std::uint8_t* udp = ip + 20;
    udp[0] = static_cast<std::uint8_t>(sport >> 8);
    udp[1] = static_cast<std::uint8_t>(sport);
    udp[2] = static_cast<std::uint8_t>(dport >> 8);
    udp[3] = static_cast<std::uint8_t>(dport);
    std::uint16_t ulen = static_cast<std::uint16_t>(8 + payload.size());
    udp[4] = static_cast<std::uint8_t>(ulen >> 8);
    udp[5] = static_cast<std::uint8_t>(ulen);
    std::memcpy(udp + 8, payload.data(), payload.size());
    // Pseudo-header: addresses, protocol, UDP length (RFC 768).
    std::uint32_t sum = csumAdd(0, ip + 12, 8);
    std::uint16_t protoLen[2] = {rte_cpu_to_be_16(17), rte_cpu_to_be_16(ulen)};
    sum = csumAdd(sum, protoLen, 4);
    Bytes padded(udp, udp + ulen);
    if (padded.size() % 2) {
        padded.push_back(0);
    }
    sum = csumAdd(sum, padded.data(), padded.size());
    std::uint16_t uc = static_cast<std::uint16_t>(~fold(sum));
    if (uc == 0) {
        uc = 0xffff;
    }
    std::memcpy(udp + 6, &uc, 2);
    return f;
}

// Ethernet + IPv6 + UDP (or another next header with `proto`) with a valid L4 checksum.
inline Bytes ip6(const std::array<std::uint8_t, 6>& dstMac,
                 const std::array<std::uint8_t, 6>& srcMac, const char* src, const char* dst,
                 std::uint8_t proto, const Bytes& l4, std::uint8_t hopLimit = 64,
                 std::size_t checksumOffset = 6) {
    Bytes f(14 + 40 + l4.size());
    std::memcpy(&f[0], dstMac.data(), 6);
    std::memcpy(&f[6], srcMac.data(), 6);
    f[12] = 0x86;
    f[13] = 0xdd;
    std::uint8_t* ip = &f[14];
    ip[0] = 0x60;
    ip[4] = static_cast<std::uint8_t>(l4.size() >> 8);
    ip[5] = static_cast<std::uint8_t>(l4.size());
    ip[6] = proto;
    ip[7] = hopLimit;
    std::memcpy(ip + 8, dpapi::IpAddress::parse(src)->bytes.data(), 16);
    std::memcpy(ip + 24, dpapi::IpAddress::parse(dst)->bytes.data(), 16);
    std::memcpy(ip + 40, l4.data(), l4.size());
    std::uint8_t* p = ip + 40;
    p[checksumOffset] = 0;
    p[checksumOffset + 1] = 0;
    // RFC 8200 §8.1 pseudo-header: addresses, upper-layer length, next header.
    std::uint32_t sum = csumAdd(0, ip + 8, 32);
    std::uint32_t lenProto[2] = {rte_cpu_to_be_32(static_cast<std::uint32_t>(l4.size())),
                                 rte_cpu_to_be_32(proto)};
    sum = csumAdd(sum, lenProto, 8);
    Bytes padded(p, p + l4.size());
    if (padded.size() % 2) {
        padded.push_back(0);
    }
    sum = csumAdd(sum, padded.data(), padded.size());
    std::uint16_t c = static_cast<std::uint16_t>(~fold(sum));
    if (c == 0 && proto == 17) {
        c = 0xffff;
    }
    std::memcpy(p + checksumOffset, &c, 2);
    return f;
}

inline Bytes udp6(const std::array<std::uint8_t, 6>& dstMac,
                  const std::array<std::uint8_t, 6>& srcMac, const char* src, std::uint16_t sport,
                  const char* dst, std::uint16_t dport, const Bytes& payload) {
    Bytes u(8 + payload.size());
    u[0] = static_cast<std::uint8_t>(sport >> 8);
    u[1] = static_cast<std::uint8_t>(sport);
    u[2] = static_cast<std::uint8_t>(dport >> 8);
    u[3] = static_cast<std::uint8_t>(dport);
    u[4] = static_cast<std::uint8_t>(u.size() >> 8);
    u[5] = static_cast<std::uint8_t>(u.size());
    std::memcpy(&u[8], payload.data(), payload.size());
    return ip6(dstMac, srcMac, src, dst, 17, u);
}

// RFC 4861 §4.3 Neighbor Solicitation for `target` with a source link-layer address option.
inline Bytes neighborSolicitation(const std::array<std::uint8_t, 6>& srcMac, const char* src,
                                  const char* target) {
    auto t = *dpapi::IpAddress::parse(target);
    Bytes ns(32, 0);
    ns[0] = 135;
    std::memcpy(&ns[8], t.bytes.data(), 16);
    ns[24] = 1;
    ns[25] = 1;
    std::memcpy(&ns[26], srcMac.data(), 6);
    std::array<std::uint8_t, 6> mcast = {0x33, 0x33, 0xff, t.bytes[13], t.bytes[14], t.bytes[15]};
    std::string dst = "ff02::1:ff00:0";
    auto d = *dpapi::IpAddress::parse(dst);
    d.bytes[13] = t.bytes[13];
    d.bytes[14] = t.bytes[14];
    d.bytes[15] = t.bytes[15];
    return ip6(mcast, srcMac, src, d.toString().c_str(), 58, ns, 255, 2);
}

inline Bytes rtp(std::uint16_t seq, std::uint32_t ts, std::uint32_t ssrc = 0x11223344,
                 std::size_t payloadBytes = 160) {
    Bytes p(12 + payloadBytes, 0xd5);
    p[0] = 0x80;
    p[1] = 0;  // PCMU
    p[2] = static_cast<std::uint8_t>(seq >> 8);
    p[3] = static_cast<std::uint8_t>(seq);
    for (int i = 0; i < 4; ++i) {
        p[4 + i] = static_cast<std::uint8_t>(ts >> (24 - 8 * i));
        p[8 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
    }
    return p;
}

inline Bytes rtcpSr() {
    Bytes p(28, 0);
    p[0] = 0x80;
    p[1] = 200;  // SR
    p[3] = 6;    // length in words - 1
    return p;
}

inline Bytes arpRequest(const std::array<std::uint8_t, 6>& srcMac, const char* senderIp,
                        const char* targetIp, bool reply = false,
                        const std::array<std::uint8_t, 6>* dstMac = nullptr) {
    Bytes f(42, 0);
    if (dstMac != nullptr) {
        std::memcpy(&f[0], dstMac->data(), 6);
    } else {
        std::memset(&f[0], 0xff, 6);
    }
    std::memcpy(&f[6], srcMac.data(), 6);
    f[12] = 0x08;
    f[13] = 0x06;
    std::uint8_t* a = &f[14];
    a[1] = 1;
    a[2] = 0x08;
    a[4] = 6;
    a[5] = 4;
    a[7] = reply ? 2 : 1;
    std::memcpy(a + 8, srcMac.data(), 6);
    std::memcpy(a + 14, dpapi::IpAddress::parse(senderIp)->bytes.data(), 4);
    if (dstMac != nullptr) {
        std::memcpy(a + 18, dstMac->data(), 6);
    }
    std::memcpy(a + 24, dpapi::IpAddress::parse(targetIp)->bytes.data(), 4);
    return f;
}

inline void inject(rte_mempool* pool, rte_ring* rx, const Bytes& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) {
        throw std::runtime_error("no mbuf");
    }
    auto* dst = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
    if (!frame.empty()) {
        std::memcpy(dst, frame.data(), frame.size());
    }
    if (rte_ring_enqueue(rx, m) != 0) {
        rte_pktmbuf_free(m);
        throw std::runtime_error("rx ring full");
    }
}

inline void inject(rte_mempool* pool, const RingPort& port, const Bytes& frame) {
    inject(pool, port.rx, frame);
}

inline std::vector<Bytes> drain(const RingPort& port, unsigned queue = 0) {
    std::vector<Bytes> out;
    rte_mbuf* m;
    while (rte_ring_dequeue(port.txs[queue], reinterpret_cast<void**>(&m)) == 0) {
        auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
        out.emplace_back(p, p + rte_pktmbuf_data_len(m));
        rte_pktmbuf_free(m);
    }
    return out;
}

// Whether the IPv4 header and UDP checksums of an Ethernet frame (no VLAN) are valid.
inline bool ipv4ChecksumValid(const Bytes& f) {
    return fold(csumAdd(0, &f[14], 20)) == 0xffff;
}
inline bool udp4ChecksumValid(const Bytes& f) {
    const std::uint8_t* ip = &f[14];
    const std::uint8_t* udp = ip + 20;
    std::uint16_t ulen = static_cast<std::uint16_t>((udp[4] << 8) | udp[5]);
    std::uint32_t sum = csumAdd(0, ip + 12, 8);
    std::uint16_t protoLen[2] = {rte_cpu_to_be_16(17), rte_cpu_to_be_16(ulen)};
    sum = csumAdd(sum, protoLen, 4);
    Bytes padded(udp, udp + ulen);
    if (padded.size() % 2) {
        padded.push_back(0);
    }
    sum = csumAdd(sum, padded.data(), padded.size());
    return fold(sum) == 0xffff;
}

inline std::string ip4At(const Bytes& f, std::size_t off) {
    dpapi::IpAddress a;
    a.family = 4;
    std::memcpy(a.bytes.data(), &f[off], 4);
    return a.toString();
}
inline std::uint16_t be16At(const Bytes& f, std::size_t off) {
    return static_cast<std::uint16_t>((f[off] << 8) | f[off + 1]);
}

inline std::uint64_t counter(const dpapi::StatsReply& s, const std::string& name) {
    for (const auto& c : s.counters) {
        if (c.name == name) {
            return c.value;
        }
    }
    throw std::runtime_error("no counter " + name);
}

}  // namespace sbc::dataplane::test
