#include "dataplane/worker.hpp"

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include <cstring>

#include "dataplane/checksum.hpp"

namespace sbc::dataplane {

namespace {

constexpr std::uint16_t kEtherIpv4 = RTE_BE16(RTE_ETHER_TYPE_IPV4);
constexpr std::uint16_t kEtherIpv6 = RTE_BE16(RTE_ETHER_TYPE_IPV6);
constexpr std::uint16_t kEtherArp = RTE_BE16(RTE_ETHER_TYPE_ARP);
constexpr std::uint16_t kEtherVlan = RTE_BE16(RTE_ETHER_TYPE_VLAN);
constexpr std::uint8_t kIpProtoUdp = 17;
constexpr std::uint8_t kIpProtoIcmp = 1;
constexpr std::uint8_t kIpProtoIcmp6 = 58;
constexpr std::uint8_t kTtl = 64;

// RFC 5761 §4: RTCP packet types 192..223 (SR 200, RR 201, SDES, BYE, APP, RTPFB, PSFB, XR ...)
// never collide with RTP payload types when the marker bit is included.
inline bool isRtcpType(std::uint8_t secondByte) noexcept {
    return secondByte >= 192 && secondByte <= 223;
}

// RFC 3550 §5.1: version 2, fixed header, CSRC list inside the payload.
inline bool rtpValid(const std::uint8_t* p, std::uint16_t len) noexcept {
    if (len < 12 || (p[0] >> 6) != 2) {
        return false;
    }
    return len >= 12u + 4u * (p[0] & 0x0f);
}

// RFC 3550 §6.4: version 2, at least the 8-byte header, RTCP packet type.
inline bool rtcpValid(const std::uint8_t* p, std::uint16_t len) noexcept {
    return len >= 8 && (p[0] >> 6) == 2 && isRtcpType(p[1]);
}

inline bool sameIp(const std::uint8_t* a, const std::uint8_t* b, std::uint8_t family) noexcept {
    if (family == 4) {
        std::uint32_t x, y;
        std::memcpy(&x, a, 4);
        std::memcpy(&y, b, 4);
        return x == y;
    }
    std::uint64_t x[2], y[2];
    std::memcpy(x, a, 16);
    std::memcpy(y, b, 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

inline std::uint16_t ipLen(std::uint8_t family) noexcept {
    return family == 4 ? 20 : 40;
}

}  // namespace

Worker::Worker(unsigned index, const WorkerContext& ctx, rte_ring* commands,
               rte_mempool* commandPool)
    : index_(index),
      ctx_(ctx),
      commands_(commands),
      commandPool_(commandPool),
      tx_(ctx.interfaceCount),
      relatchSilenceTsc_(ctx.tscHz),
      txDrainTsc_(ctx.tscHz / 1000000 * ctx.txDrainUs) {}

void Worker::poll() noexcept {
    rte_rcu_qsbr_thread_online(ctx_.rcu, index_);
    pollOnce();
    flush();  // one iteration in, everything it relayed out (tests see frames at once)
    rte_rcu_qsbr_quiescent(ctx_.rcu, index_);
    rte_rcu_qsbr_thread_offline(ctx_.rcu, index_);
}

void Worker::run(const volatile bool* stop) noexcept {
    // A gap between iterations longer than the receive rings cover loses frames before any
    // lcore sees them; count the gaps so that an operator can tell the host from the relay.
    const std::uint64_t stallTsc = ctx_.tscHz / 100;  // 10 ms
    std::uint64_t last = rte_rdtsc();
    rte_rcu_qsbr_thread_online(ctx_.rcu, index_);
    while (!*stop) {
        const std::uint64_t now = rte_rdtsc();
        if (now - last > stallTsc) {
            bump(counters_.worker_stalls);
            const std::uint64_t us =
                (now - last) / std::max<std::uint64_t>(ctx_.tscHz / 1000000, 1);
            if (us > longestStallUs_) {
                __atomic_store_n(&longestStallUs_, us, __ATOMIC_RELAXED);
            }
        }
        last = now;
        unsigned got = pollOnce();
        rte_rcu_qsbr_quiescent(ctx_.rcu, index_);
        if (got == 0 && ctx_.idleSleepUs != 0) {
            // Offline while asleep, so that the control thread never waits for a sleeper.
            rte_rcu_qsbr_thread_offline(ctx_.rcu, index_);
            rte_delay_us_sleep(ctx_.idleSleepUs);
            rte_rcu_qsbr_thread_online(ctx_.rcu, index_);
        }
    }
    flush();
    rte_rcu_qsbr_thread_offline(ctx_.rcu, index_);
}

unsigned Worker::pollOnce() noexcept {
    unsigned received = applyCommands();
    std::uint64_t now = rte_rdtsc();
    rte_mbuf* pkts[kBurst];
    if (ctx_.workerCount > 1) {
        unsigned n = rte_ring_sc_dequeue_burst(ctx_.handoff[index_], reinterpret_cast<void**>(pkts),
                                               kBurst, nullptr);
        for (unsigned i = 0; i < n; ++i) {
            // relay() stamped the ingress port on every frame it handed over.
            processBurst(&pkts[i], 1, ctx_.portToInterface[pkts[i]->port % RTE_MAX_ETHPORTS], now);
        }
        received += n;
    }
    for (unsigned i = 0; i < ctx_.interfaceCount; ++i) {
        std::uint16_t n = rte_eth_rx_burst(ctx_.interfaces[i].portId,
                                           static_cast<std::uint16_t>(index_), pkts, kBurst);
        if (n != 0) {
            processBurst(pkts, n, static_cast<std::uint8_t>(i), now);
        }
        received += n;
    }
    // (A frame held during this iteration is newer than `now`: it waits for a later one.)
    if (txDrainTsc_ == 0 || (txPendingSince_ != 0 && now >= txPendingSince_ + txDrainTsc_)) {
        flush();
    }
    return received;
}

// ---- control commands -----------------------------------------------------------------------

unsigned Worker::applyCommands() noexcept {
    FlowCommand* cmds[kBurst];
    unsigned n =
        rte_ring_sc_dequeue_burst(commands_, reinterpret_cast<void**>(cmds), kBurst, nullptr);
    if (n == 0) {
        return 0;
    }
    std::uint64_t now = rte_rdtsc();
    for (unsigned i = 0; i < n; ++i) {
        const FlowCommand& c = *cmds[i];
        Flow& f = ctx_.flows[c.slot];
        if (f.flowId == c.flowId && f.incarnation == c.incarnation) {
            applyEndConfig(f.end[0], c.end[0], now);
            applyEndConfig(f.end[1], c.end[1], now);
        }
    }
    rte_mempool_put_bulk(commandPool_, reinterpret_cast<void**>(cmds), n);
    return n;
}

void Worker::applyEndConfig(EndState& e, const EndConfig& c, std::uint64_t now) noexcept {
    e.latch = c.latch;
    e.tsMultiplier = c.tsMultiplier;
    e.hasConfiguredRemote = c.hasRemote;
    std::memcpy(e.configuredIp, c.ip, 16);
    e.configuredRtpPort = c.rtpPort;
    e.configuredRtcpPort = c.rtcpPort;
    if (c.resetRemote || !e.hasRemote) {
        e.hasRemote = c.hasRemote;
        e.rtpLatched = false;
        e.rtcpLatched = false;
        std::memcpy(e.remoteIp, c.ip, 16);
        e.remoteRtpPort = c.rtpPort;
        e.remoteRtcpPort = c.rtcpPort;
    }
    // Resolve the next hop ahead of the first packet, so that it is not dropped.
    if (e.hasRemote && resolveNextHop(e)) {
        rte_ether_addr mac;
        if (!ctx_.interfaces[e.iface].neighbours->lookup(e.family, e.nextHop, mac, now)) {
            requestNeighbour(e.iface, e.family, e.nextHop, now);
        }
    }
}

bool Worker::resolveNextHop(EndState& e) noexcept {
    e.hasNextHop = ctx_.interfaces[e.iface].nextHop(e.family, e.remoteIp, e.nextHop);
    return e.hasNextHop;
}

// ---- receive path ---------------------------------------------------------------------------

void Worker::drop(rte_mbuf* m, std::uint64_t& counter) noexcept {
    bump(counter);
    rte_pktmbuf_free(m);
}

void Worker::processBurst(rte_mbuf** pkts, std::uint16_t n, std::uint8_t iface,
                          std::uint64_t now) noexcept {
    Meta metas[kBurst];
    FlowKey keys[kBurst];
    const void* keyPtrs[kBurst];
    unsigned batch = 0;
    const Interface& in = ctx_.interfaces[iface];

    for (std::uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = pkts[i];
        if (i + 1 < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        }
        bump(counters_.rx_packets);
        bump(counters_.rx_bytes, rte_pktmbuf_pkt_len(m));
        if (m->nb_segs != 1) {
            drop(m, counters_.drop_multi_segment);
            continue;
        }
        std::uint32_t len = rte_pktmbuf_data_len(m);
        auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
        if (len < sizeof(rte_ether_hdr)) {
            drop(m, counters_.drop_runt);
            continue;
        }
        auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
        bool toUs = rte_is_same_ether_addr(&eth->dst_addr, &in.mac);
        if (!toUs && !rte_is_multicast_ether_addr(&eth->dst_addr)) {
            drop(m, counters_.drop_not_for_us);
            continue;
        }
        std::uint16_t l2 = sizeof(rte_ether_hdr);
        std::uint16_t etherType = eth->ether_type;
        if (etherType == kEtherVlan) {
            if (len < l2 + sizeof(rte_vlan_hdr)) {
                drop(m, counters_.drop_runt);
                continue;
            }
            auto* vlan = reinterpret_cast<rte_vlan_hdr*>(p + l2);
            if ((rte_be_to_cpu_16(vlan->vlan_tci) & 0x0fff) != in.vlan) {
                drop(m, counters_.drop_not_for_us);
                continue;
            }
            etherType = vlan->eth_proto;
            l2 += sizeof(rte_vlan_hdr);
        } else if (in.vlan != 0) {
            drop(m, counters_.drop_not_for_us);
            continue;
        }

        if (etherType == kEtherArp) {
            handleArp(m, l2, iface, now);
            continue;
        }
        std::uint8_t family;
        std::uint16_t l3;
        std::uint8_t proto;
        std::uint32_t l4len;  // IP payload length
        if (etherType == kEtherIpv4) {
            if (len < l2 + 20u) {
                drop(m, counters_.drop_runt);
                continue;
            }
            auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + l2);
            unsigned ihl = (ip->version_ihl & 0x0f) * 4u;
            std::uint32_t total = rte_be_to_cpu_16(ip->total_length);
            if ((ip->version_ihl >> 4) != 4 || ihl < 20 || total < ihl || total > len - l2) {
                drop(m, counters_.drop_bad_ip);
                continue;
            }
            if (ihl != 20) {
                drop(m, counters_.drop_ip_options);
                continue;
            }
            if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
                ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
                 csumFold(csumAdd(0, ip, 20)) != 0xffff)) {
                drop(m, counters_.drop_bad_ip);
                continue;
            }
            if ((rte_be_to_cpu_16(ip->fragment_offset) &
                 (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) {
                drop(m, counters_.drop_ip_fragment);
                continue;
            }
            family = 4;
            l3 = 20;
            proto = ip->next_proto_id;
            l4len = total - 20;
            if (proto == kIpProtoIcmp) {
                rte_pktmbuf_trim(m, static_cast<std::uint16_t>(len - l2 - total));
                handleIcmp4(m, l2, iface);
                continue;
            }
        } else if (etherType == kEtherIpv6) {
            if (len < l2 + 40u) {
                drop(m, counters_.drop_runt);
                continue;
            }
            auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p + l2);
            std::uint32_t payload = rte_be_to_cpu_16(ip->payload_len);
            if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 || payload > len - l2 - 40) {
                drop(m, counters_.drop_bad_ip);
                continue;
            }
            family = 6;
            l3 = 40;
            proto = ip->proto;
            l4len = payload;
            if (proto == kIpProtoIcmp6) {
                rte_pktmbuf_trim(m, static_cast<std::uint16_t>(len - l2 - 40 - payload));
                handleIcmp6(m, l2, iface, now);
                continue;
            }
            if (proto == 44) {
                drop(m, counters_.drop_ip_fragment);
                continue;
            }
            if (proto == 0 || proto == 43 || proto == 60 || proto == 51 || proto == 50 ||
                proto == 135 || proto == 139 || proto == 140) {
                drop(m, counters_.drop_ip_options);
                continue;
            }
        } else {
            drop(m, counters_.drop_not_ip);
            continue;
        }
        if (proto != kIpProtoUdp) {
            drop(m, counters_.drop_not_udp);
            continue;
        }
        auto* udp = reinterpret_cast<rte_udp_hdr*>(p + l2 + l3);
        if (l4len < 8 || rte_be_to_cpu_16(udp->dgram_len) != l4len ||
            (family == 6 && udp->dgram_cksum == 0) ||
            (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
            drop(m, counters_.drop_bad_udp);
            continue;
        }
        // Ethernet padding of short frames is not part of the datagram.
        rte_pktmbuf_trim(m, static_cast<std::uint16_t>(len - l2 - l3 - l4len));

        FlowKey& k = keys[batch];
        std::memset(&k, 0, sizeof k);
        if (family == 4) {
            std::memcpy(k.addr, &reinterpret_cast<rte_ipv4_hdr*>(p + l2)->dst_addr, 4);
        } else {
            std::memcpy(k.addr, reinterpret_cast<rte_ipv6_hdr*>(p + l2)->dst_addr, 16);
        }
        k.port = udp->dst_port;
        k.family = family;
        k.iface = iface;
        keyPtrs[batch] = &k;
        metas[batch] = Meta{m, l2, l3, family, iface};
        ++batch;
    }
    if (batch == 0) {
        return;
    }
    std::uint64_t hits = 0;
    void* data[kBurst];
    rte_hash_lookup_bulk_data(ctx_.flowHash, keyPtrs, batch, &hits, data);
    // Flow slots are cold with many flows: fetch both ends' lines before touching any.
    for (unsigned i = 0; i < batch; ++i) {
        if ((hits & (1ULL << i)) != 0) {
            auto d = reinterpret_cast<std::uintptr_t>(data[i]);
            const Flow& f = ctx_.flows[keyDataSlot(d)];
            rte_prefetch0(&f);
            rte_prefetch0(&f.end[0].packets);
            rte_prefetch0(&f.end[1].packets);
            rte_prefetch0(&f.end[keyDataEnd(d)].rtp);
        }
    }
    for (unsigned i = 0; i < batch; ++i) {
        if ((hits & (1ULL << i)) == 0) {
            drop(metas[i].m, counters_.drop_no_flow);
            continue;
        }
        relay(metas[i], reinterpret_cast<std::uintptr_t>(data[i]), now);
    }
}

// RFC 3550 A.1 (sequence tracking, simplified probation) and A.8 (interarrival jitter).
void Worker::rtpReceived(EndState& e, const std::uint8_t* rtp, std::uint64_t now) noexcept {
    RtpReceiveState& s = e.rtp;
    std::uint16_t seq = static_cast<std::uint16_t>((rtp[2] << 8) | rtp[3]);
    std::uint32_t ts = (std::uint32_t{rtp[4]} << 24) | (std::uint32_t{rtp[5]} << 16) |
                       (std::uint32_t{rtp[6]} << 8) | rtp[7];
    std::uint32_t ssrc = (std::uint32_t{rtp[8]} << 24) | (std::uint32_t{rtp[9]} << 16) |
                         (std::uint32_t{rtp[10]} << 8) | rtp[11];
    auto arrival =
        static_cast<std::uint32_t>((static_cast<unsigned __int128>(now) * e.tsMultiplier) >> 40);
    auto lostNow = [&s]() -> std::uint64_t {
        std::uint64_t expected = std::uint64_t{s.cycles} + s.maxSeq - s.baseSeq + 1;
        return expected > s.received ? expected - s.received : 0;
    };
    if (!s.started || ssrc != s.ssrc) {
        if (s.started) {
            bump(s.lostBefore, lostNow());
        }
        __atomic_store_n(&s.ssrc, ssrc, __ATOMIC_RELAXED);
        __atomic_store_n(&s.cycles, 0u, __ATOMIC_RELAXED);
        __atomic_store_n(&s.baseSeq, std::uint32_t{seq}, __ATOMIC_RELAXED);
        __atomic_store_n(&s.maxSeq, seq, __ATOMIC_RELAXED);
        __atomic_store_n(&s.received, std::uint64_t{0}, __ATOMIC_RELAXED);
        __atomic_store_n(&s.started, true, __ATOMIC_RELAXED);
        s.lastTransit = arrival - ts;
        bump(s.received);
        return;
    }
    auto delta = static_cast<std::uint16_t>(seq - s.maxSeq);
    constexpr std::uint16_t kMaxDropout = 3000;
    constexpr std::uint16_t kMaxMisorder = 100;
    if (delta == 0) {
        return;  // duplicate
    }
    if (delta < kMaxDropout) {
        if (seq < s.maxSeq) {
            __atomic_store_n(&s.cycles, s.cycles + 65536u, __ATOMIC_RELAXED);
        }
        __atomic_store_n(&s.maxSeq, seq, __ATOMIC_RELAXED);
        // A.8: only in-order packets update the jitter.
        std::uint32_t transit = arrival - ts;
        auto d = static_cast<std::int32_t>(transit - s.lastTransit);
        s.lastTransit = transit;
        std::uint32_t ad = d < 0 ? static_cast<std::uint32_t>(-static_cast<std::int64_t>(d))
                                 : static_cast<std::uint32_t>(d);
        __atomic_store_n(&s.jitterQ4, s.jitterQ4 + ad - ((s.jitterQ4 + 8) >> 4), __ATOMIC_RELAXED);
    } else if (delta <= 65535 - kMaxMisorder) {
        // A large jump: the sender restarted its sequence; start counting afresh.
        bump(s.lostBefore, lostNow());
        __atomic_store_n(&s.cycles, 0u, __ATOMIC_RELAXED);
        __atomic_store_n(&s.baseSeq, std::uint32_t{seq}, __ATOMIC_RELAXED);
        __atomic_store_n(&s.maxSeq, seq, __ATOMIC_RELAXED);
        __atomic_store_n(&s.received, std::uint64_t{0}, __ATOMIC_RELAXED);
        s.lastTransit = arrival - ts;
    }
    // else: a late (reordered) packet; it still counts as received.
    bump(s.received);
}

void Worker::relay(const Meta& meta, std::uintptr_t keyData, std::uint64_t now) noexcept {
    rte_mbuf* m = meta.m;
    Flow& flow = ctx_.flows[keyDataSlot(keyData)];
    if (flow.owner != index_) {
        // The flow belongs to another lcore: hand the frame over (only with several workers),
        // stamped with its ingress port (not every PMD sets it).
        m->port = ctx_.interfaces[meta.iface].portId;
        if (rte_ring_mp_enqueue(ctx_.handoff[flow.owner], m) != 0) {
            drop(m, counters_.drop_redirect_full);
        } else {
            bump(counters_.redirected);
        }
        return;
    }
    unsigned x = keyDataEnd(keyData);
    EndState& in = flow.end[x];
    EndState& out = flow.end[1 - x];
    auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
    auto* udp = reinterpret_cast<rte_udp_hdr*>(p + meta.l2 + meta.l3);
    auto* payload = reinterpret_cast<std::uint8_t*>(udp + 1);
    auto plen = static_cast<std::uint16_t>(rte_be_to_cpu_16(udp->dgram_len) - 8);

    bool rtcp;
    if (keyDataRtcp(keyData)) {
        rtcp = true;
        if (!rtcpValid(payload, plen)) {
            bump(in.dropsNotRtp);
            drop(m, counters_.drop_not_rtp);
            return;
        }
    } else {
        rtcp = in.rtcpMux && plen >= 2 && isRtcpType(payload[1]);
        if (rtcp ? !rtcpValid(payload, plen) : !rtpValid(payload, plen)) {
            bump(in.dropsNotRtp);
            drop(m, counters_.drop_not_rtp);
            return;
        }
    }

    // ---- latching (RFC 7362) of the source of packets arriving at this end ----
    const std::uint8_t* srcIp = meta.family == 4
                                    ? reinterpret_cast<const std::uint8_t*>(
                                          &reinterpret_cast<rte_ipv4_hdr*>(p + meta.l2)->src_addr)
                                    : reinterpret_cast<rte_ipv6_hdr*>(p + meta.l2)->src_addr;
    std::uint16_t srcPort = udp->src_port;
    bool viaRtcpPort = rtcp && !in.rtcpMux;
    std::uint16_t& remotePort = viaRtcpPort ? in.remoteRtcpPort : in.remoteRtpPort;
    bool& latched = viaRtcpPort ? in.rtcpLatched : in.rtpLatched;
    bool fromCurrent =
        in.hasRemote && sameIp(srcIp, in.remoteIp, meta.family) && srcPort == remotePort;
    if (!fromCurrent || !latched) {
        bool fromConfiguredIp =
            in.hasConfiguredRemote && sameIp(srcIp, in.configuredIp, meta.family);
        bool accept = false;
        switch (in.latch) {
            case dpapi::LatchMode::Off:
                accept = fromConfiguredIp &&
                         srcPort == (viaRtcpPort ? in.configuredRtcpPort : in.configuredRtpPort);
                break;
            case dpapi::LatchMode::SameHost:
                accept = fromConfiguredIp;
                break;
            case dpapi::LatchMode::AnySource:
                // First packet, a port change from the same host (NAT rebinding), or any source
                // once the latched one has been silent for a second: never flip between two live
                // sources (RTP bleed).
                accept = !latched || !in.hasRemote || sameIp(srcIp, in.remoteIp, meta.family) ||
                         now - in.lastSeenTsc > relatchSilenceTsc_;
                break;
        }
        if (!accept) {
            bump(in.dropsLatch);
            drop(m, counters_.drop_latch_refused);
            return;
        }
        if (in.latch != dpapi::LatchMode::Off && !fromCurrent) {
            bool ipChanged = !in.hasRemote || !sameIp(srcIp, in.remoteIp, meta.family);
            if (ipChanged) {
                std::memcpy(in.remoteIp, srcIp, meta.family == 4 ? 4 : 16);
                in.hasRemote = true;
                resolveNextHop(in);
                // The other port's remote follows the new host until it latches itself.
                if (viaRtcpPort) {
                    in.rtpLatched = false;
                } else {
                    in.rtcpLatched = false;
                    in.remoteRtcpPort = in.rtcpMux ? srcPort
                                                   : rte_cpu_to_be_16(static_cast<std::uint16_t>(
                                                         rte_be_to_cpu_16(srcPort) + 1));
                }
            }
            remotePort = srcPort;
            bump(counters_.latched);
        }
        latched = true;
    }

    // ---- per-end counters ----
    __atomic_store_n(&in.lastSeenTsc, now, __ATOMIC_RELAXED);
    if (rtcp) {
        bump(in.rtcpPackets);
        bump(in.rtcpBytes, plen);
    } else {
        bump(in.packets);
        bump(in.bytes, plen);
        rtpReceived(in, payload, now);
    }

    // ---- egress: from out's local port to out's remote ----
    if (!out.hasRemote) {
        bump(in.dropsNoRemote);
        drop(m, counters_.drop_no_remote);
        return;
    }
    const Interface& egress = ctx_.interfaces[out.iface];
    rte_ether_addr dstMac;
    if (!out.hasNextHop || !egress.neighbours->lookup(out.family, out.nextHop, dstMac, now)) {
        if (out.hasNextHop) {
            requestNeighbour(out.iface, out.family, out.nextHop, now);
        }
        bump(in.dropsNoNeighbour);
        drop(m, counters_.drop_no_neighbour);
        return;
    }
    std::uint16_t ipTotal = static_cast<std::uint16_t>(ipLen(out.family) + 8 + plen);
    if (ipTotal > egress.mtu) {
        bump(in.dropsTxFull);  // counted per end as a send failure
        drop(m, counters_.drop_too_big);
        return;
    }
    std::uint16_t srcPortOut = rtcp && !out.rtcpMux ? out.localRtcpPort : out.localRtpPort;
    std::uint16_t dstPortOut = rtcp && !out.rtcpMux ? out.remoteRtcpPort : out.remoteRtpPort;

    // Old values for the incremental UDP checksum (RFC 1624): the pseudo-header addresses and
    // the ports change; length, protocol and payload do not (also across IPv4/IPv6).
    std::uint16_t oldCsum = udp->dgram_cksum;
    std::uint32_t sum = static_cast<std::uint16_t>(~oldCsum);
    std::uint8_t tos;
    if (meta.family == 4) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + meta.l2);
        sum = csumSub(sum, &ip->src_addr, 8);
        tos = ip->type_of_service;
    } else {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p + meta.l2);
        sum = csumSub(sum, ip->src_addr, 32);
        tos = static_cast<std::uint8_t>(rte_be_to_cpu_32(ip->vtc_flow) >> 20);
    }
    sum = csumSub(sum, &udp->src_port, 4);

    // Re-frame: new L2 + L3 in front of the unchanged UDP header position.
    std::uint16_t newL2 = static_cast<std::uint16_t>(sizeof(rte_ether_hdr) +
                                                     (egress.vlan != 0 ? sizeof(rte_vlan_hdr) : 0));
    std::uint16_t newL3 = ipLen(out.family);
    int grow = (newL2 + newL3) - (meta.l2 + meta.l3);
    if (grow > 0) {
        if (rte_pktmbuf_prepend(m, static_cast<std::uint16_t>(grow)) == nullptr) {
            bump(in.dropsTxFull);
            drop(m, counters_.drop_no_mbuf);
            return;
        }
    } else if (grow < 0) {
        rte_pktmbuf_adj(m, static_cast<std::uint16_t>(-grow));
    }
    p = rte_pktmbuf_mtod(m, std::uint8_t*);
    writeL2(m, egress, dstMac, out.family == 4 ? kEtherIpv4 : kEtherIpv6);
    udp = reinterpret_cast<rte_udp_hdr*>(p + newL2 + newL3);
    udp->src_port = srcPortOut;
    udp->dst_port = dstPortOut;
    sum = csumAdd(sum, &udp->src_port, 4);
    bool offload = false;
    if (out.family == 4) {
        auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + newL2);
        ip->version_ihl = 0x45;
        ip->type_of_service = tos;
        ip->total_length = rte_cpu_to_be_16(ipTotal);
        ip->packet_id = 0;
        ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
        ip->time_to_live = kTtl;
        ip->next_proto_id = kIpProtoUdp;
        ip->hdr_checksum = 0;
        std::memcpy(&ip->src_addr, out.localIp, 4);
        std::memcpy(&ip->dst_addr, out.remoteIp, 4);
        sum = csumAdd(sum, &ip->src_addr, 8);
        if (egress.txIpChecksumOffload && egress.txUdpChecksumOffload) {
            offload = true;
            m->l2_len = newL2;
            m->l3_len = newL3;
            m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
            udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
        } else {
            ip->hdr_checksum = static_cast<std::uint16_t>(~csumFold(csumAdd(0, ip, 20)));
        }
    } else {
        auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p + newL2);
        ip->vtc_flow = rte_cpu_to_be_32((6u << 28) | (std::uint32_t{tos} << 20));
        ip->payload_len = rte_cpu_to_be_16(static_cast<std::uint16_t>(8 + plen));
        ip->proto = kIpProtoUdp;
        ip->hop_limits = kTtl;
        std::memcpy(ip->src_addr, out.localIp, 16);
        std::memcpy(ip->dst_addr, out.remoteIp, 16);
        sum = csumAdd(sum, ip->src_addr, 32);
    }
    if (!offload) {
        if (oldCsum == 0 && meta.family == 4) {
            // IPv4 sender sent no checksum (RFC 768): keep none for IPv4, compute it for IPv6.
            if (out.family == 6) {
                udp->dgram_cksum = 0;
                udp->dgram_cksum =
                    rte_ipv6_udptcp_cksum(reinterpret_cast<rte_ipv6_hdr*>(p + newL2), udp);
            } else {
                udp->dgram_cksum = 0;
            }
        } else {
            std::uint16_t c = static_cast<std::uint16_t>(~csumFold(sum));
            udp->dgram_cksum = c == 0 ? 0xffff : c;  // RFC 768: 0 means "none"
        }
    }
    bump(rtcp ? counters_.relayed_rtcp : counters_.relayed_rtp);
    send(out.iface, m, &in);
}

void Worker::writeL2(rte_mbuf* m, const Interface& out, const rte_ether_addr& dst,
                     std::uint16_t etherType) noexcept {
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    rte_ether_addr_copy(&dst, &eth->dst_addr);
    rte_ether_addr_copy(&out.mac, &eth->src_addr);
    if (out.vlan != 0) {
        eth->ether_type = kEtherVlan;
        auto* vlan = reinterpret_cast<rte_vlan_hdr*>(eth + 1);
        vlan->vlan_tci = rte_cpu_to_be_16(out.vlan);
        vlan->eth_proto = etherType;
    } else {
        eth->ether_type = etherType;
    }
}

// ---- transmit -------------------------------------------------------------------------------

void Worker::send(std::uint8_t iface, rte_mbuf* m, EndState* accounted) noexcept {
    TxBuffer& b = tx_[iface];
    if (txPendingSince_ == 0) {
        txPendingSince_ = rte_rdtsc();
    }
    b.pkts[b.count] = m;
    b.ends[b.count] = accounted;
    if (++b.count == kBurst) {
        flush();
    }
}

void Worker::flush() noexcept {
    for (unsigned i = 0; i < tx_.size(); ++i) {
        TxBuffer& b = tx_[i];
        if (b.count == 0) {
            continue;
        }
        std::uint64_t bytes = 0;
        for (unsigned k = 0; k < b.count; ++k) {
            bytes += rte_pktmbuf_pkt_len(b.pkts[k]);
        }
        std::uint16_t sent = rte_eth_tx_burst(ctx_.interfaces[i].portId,
                                              static_cast<std::uint16_t>(index_), b.pkts, b.count);
        for (unsigned k = sent; k < b.count; ++k) {
            bytes -= rte_pktmbuf_pkt_len(b.pkts[k]);
            if (b.ends[k] != nullptr) {
                bump(b.ends[k]->dropsTxFull);
            }
            drop(b.pkts[k], counters_.drop_tx_full);
        }
        bump(counters_.tx_packets, sent);
        bump(counters_.tx_bytes, bytes);
        b.count = 0;
    }
    txPendingSince_ = 0;
}

// ---- neighbours (ARP, RFC 826; ND, RFC 4861) ----------------------------------------------

void Worker::learn(std::uint8_t iface, std::uint8_t family, const std::uint8_t* ip,
                   const rte_ether_addr& mac, std::uint64_t now) noexcept {
    switch (ctx_.interfaces[iface].neighbours->learn(family, ip, mac, now)) {
        case NeighbourTable::Update::Stored:
            bump(counters_.neighbours_learned);
            break;
        case NeighbourTable::Update::Full:
            bump(counters_.neighbour_table_full);
            break;
        case NeighbourTable::Update::Busy:
            break;
    }
}

void Worker::handleArp(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface,
                       std::uint64_t now) noexcept {
    const Interface& in = ctx_.interfaces[iface];
    if (rte_pktmbuf_data_len(m) < l2 + sizeof(rte_arp_hdr)) {
        drop(m, counters_.drop_bad_arp);
        return;
    }
    auto* eth = rte_pktmbuf_mtod(m, rte_ether_hdr*);
    auto* arp = rte_pktmbuf_mtod_offset(m, rte_arp_hdr*, l2);
    if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
        arp->arp_plen != 4 || rte_is_multicast_ether_addr(&arp->arp_data.arp_sha)) {
        drop(m, counters_.drop_bad_arp);
        return;
    }
    std::uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
    auto* sip = reinterpret_cast<const std::uint8_t*>(&arp->arp_data.arp_sip);
    auto* tip = reinterpret_cast<const std::uint8_t*>(&arp->arp_data.arp_tip);
    bool forUs = in.owns(4, tip);
    bool senderKnown = arp->arp_data.arp_sip != 0;
    // RFC 826 "merge": update a known sender; add it when the packet is for us.
    if (senderKnown && (forUs || in.neighbours->contains(4, sip))) {
        learn(iface, 4, sip, arp->arp_data.arp_sha, now);
    }
    if (op == RTE_ARP_OP_REQUEST && forUs) {
        rte_be32_t target = arp->arp_data.arp_tip;
        arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
        arp->arp_data.arp_tha = arp->arp_data.arp_sha;
        arp->arp_data.arp_tip = arp->arp_data.arp_sip;
        rte_ether_addr_copy(&in.mac, &arp->arp_data.arp_sha);
        arp->arp_data.arp_sip = target;
        rte_ether_addr dst = eth->src_addr;
        rte_pktmbuf_trim(
            m, static_cast<std::uint16_t>(rte_pktmbuf_data_len(m) - l2 - sizeof(rte_arp_hdr)));
        writeL2(m, in, dst, kEtherArp);
        bump(counters_.arp_replies_sent);
        send(iface, m, nullptr);
        return;
    }
    if ((op == RTE_ARP_OP_REPLY || op == RTE_ARP_OP_REQUEST) && (forUs || senderKnown)) {
        rte_pktmbuf_free(m);  // consumed (learned from, or a neighbour's own business)
        if (!forUs) {
            bump(counters_.drop_not_for_us);
        }
        return;
    }
    drop(m, counters_.drop_bad_arp);
}

void Worker::requestNeighbour(std::uint8_t iface, std::uint8_t family, const std::uint8_t* ip,
                              std::uint64_t now) noexcept {
    const Interface& out = ctx_.interfaces[iface];
    const std::uint8_t* self = out.firstAddress(family);
    if (self == nullptr || !out.neighbours->shouldRequest(family, ip, now)) {
        return;
    }
    rte_mbuf* m = rte_pktmbuf_alloc(ctx_.pool);
    if (m == nullptr) {
        bump(counters_.drop_no_mbuf);
        return;
    }
    std::uint16_t l2 = static_cast<std::uint16_t>(sizeof(rte_ether_hdr) +
                                                  (out.vlan != 0 ? sizeof(rte_vlan_hdr) : 0));
    if (family == 4) {
        auto* p = reinterpret_cast<std::uint8_t*>(
            rte_pktmbuf_append(m, static_cast<std::uint16_t>(l2 + sizeof(rte_arp_hdr))));
        rte_ether_addr bcast;
        std::memset(&bcast, 0xff, sizeof bcast);
        writeL2(m, out, bcast, kEtherArp);
        auto* arp = reinterpret_cast<rte_arp_hdr*>(p + l2);
        arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
        arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
        arp->arp_hlen = 6;
        arp->arp_plen = 4;
        arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
        rte_ether_addr_copy(&out.mac, &arp->arp_data.arp_sha);
        std::memcpy(&arp->arp_data.arp_sip, self, 4);
        std::memset(&arp->arp_data.arp_tha, 0, sizeof arp->arp_data.arp_tha);
        std::memcpy(&arp->arp_data.arp_tip, ip, 4);
        bump(counters_.arp_requests_sent);
    } else {
        // RFC 4861 §7.2.2: NS to the solicited-node multicast address, with our link-layer
        // address option.
        constexpr std::uint16_t kNsLen = 24 + 8;
        auto* p = reinterpret_cast<std::uint8_t*>(
            rte_pktmbuf_append(m, static_cast<std::uint16_t>(l2 + 40 + kNsLen)));
        rte_ether_addr mcast{{0x33, 0x33, 0xff, ip[13], ip[14], ip[15]}};
        writeL2(m, out, mcast, kEtherIpv6);
        auto* ip6 = reinterpret_cast<rte_ipv6_hdr*>(p + l2);
        ip6->vtc_flow = RTE_BE32(6u << 28);
        ip6->payload_len = rte_cpu_to_be_16(kNsLen);
        ip6->proto = kIpProtoIcmp6;
        ip6->hop_limits = 255;
        std::memcpy(ip6->src_addr, self, 16);
        static constexpr std::uint8_t kSolicited[13] = {0xff, 0x02, 0, 0, 0, 0,
                                                        0,    0,    0, 0, 1, 0xff};
        std::memcpy(ip6->dst_addr, kSolicited, 13);
        std::memcpy(ip6->dst_addr + 13, ip + 13, 3);
        std::uint8_t* ns = p + l2 + 40;
        std::memset(ns, 0, kNsLen);
        ns[0] = 135;  // Neighbor Solicitation
        std::memcpy(ns + 8, ip, 16);
        ns[24] = 1;  // Source Link-Layer Address option, length 1 (8 bytes)
        ns[25] = 1;
        std::memcpy(ns + 26, &out.mac, 6);
        std::uint16_t c = rte_ipv6_udptcp_cksum(ip6, ns);
        std::memcpy(ns + 2, &c, 2);
        bump(counters_.nd_solicits_sent);
    }
    send(iface, m, nullptr);
}

// ---- ICMP echo (RFC 792) and ICMPv6 echo / ND (RFC 4443, RFC 4861) -------------------------

void Worker::handleIcmp4(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface) noexcept {
    const Interface& in = ctx_.interfaces[iface];
    auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
    auto* ip = reinterpret_cast<rte_ipv4_hdr*>(p + l2);
    if (!in.owns(4, reinterpret_cast<const std::uint8_t*>(&ip->dst_addr))) {
        drop(m, counters_.drop_not_for_us);
        return;
    }
    std::uint16_t icmpLen = static_cast<std::uint16_t>(rte_be_to_cpu_16(ip->total_length) - 20);
    auto* icmp = reinterpret_cast<rte_icmp_hdr*>(p + l2 + 20);
    if (icmpLen < 8 || icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0 ||
        rte_raw_cksum(icmp, icmpLen) != 0xffff) {
        drop(m, counters_.drop_bad_icmp);
        return;
    }
    rte_be32_t src = ip->src_addr;
    ip->src_addr = ip->dst_addr;
    ip->dst_addr = src;
    ip->time_to_live = kTtl;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = static_cast<std::uint16_t>(~csumFold(csumAdd(0, ip, 20)));
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
    icmp->icmp_cksum = 0;
    icmp->icmp_cksum = static_cast<std::uint16_t>(~rte_raw_cksum(icmp, icmpLen));
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    rte_ether_addr dst = eth->src_addr;
    writeL2(m, in, dst, kEtherIpv4);
    bump(counters_.icmp_echo_replies);
    send(iface, m, nullptr);
}

void Worker::handleIcmp6(rte_mbuf* m, std::uint16_t l2, std::uint8_t iface,
                         std::uint64_t now) noexcept {
    const Interface& in = ctx_.interfaces[iface];
    auto* p = rte_pktmbuf_mtod(m, std::uint8_t*);
    auto* ip = reinterpret_cast<rte_ipv6_hdr*>(p + l2);
    std::uint16_t len = rte_be_to_cpu_16(ip->payload_len);
    std::uint8_t* icmp = p + l2 + 40;
    if (len < 8 || rte_ipv6_udptcp_cksum_verify(ip, icmp) != 0) {
        drop(m, counters_.drop_bad_icmp);
        return;
    }
    std::uint8_t type = icmp[0];
    auto* eth = reinterpret_cast<rte_ether_hdr*>(p);
    rte_ether_addr srcMac = eth->src_addr;
    if (type == 135 || type == 136) {
        // RFC 4861 §7.1.1 / §7.1.2: hop limit 255, code 0, at least 24 bytes, options well formed.
        if (ip->hop_limits != 255 || icmp[1] != 0 || len < 24) {
            drop(m, counters_.drop_bad_nd);
            return;
        }
        const std::uint8_t* target = icmp + 8;
        const std::uint8_t* lladdr = nullptr;
        for (std::uint16_t off = 24; off < len;) {
            if (off + 2 > len || icmp[off + 1] == 0 || off + icmp[off + 1] * 8 > len) {
                drop(m, counters_.drop_bad_nd);
                return;
            }
            if ((icmp[off] == 1 || icmp[off] == 2) && icmp[off + 1] == 1) {
                lladdr = icmp + off + 2;
            }
            off = static_cast<std::uint16_t>(off + icmp[off + 1] * 8);
        }
        if (type == 136) {
            if (lladdr != nullptr && in.neighbours->contains(6, target)) {
                rte_ether_addr mac;
                std::memcpy(&mac, lladdr, 6);
                learn(iface, 6, target, mac, now);
            }
            rte_pktmbuf_free(m);
            return;
        }
        if (!in.owns(6, target)) {
            drop(m, counters_.drop_not_for_us);
            return;
        }
        static constexpr std::uint8_t kUnspecified[16] = {};
        bool dad = std::memcmp(ip->src_addr, kUnspecified, 16) == 0;
        if (lladdr != nullptr && !dad) {
            rte_ether_addr mac;
            std::memcpy(&mac, lladdr, 6);
            learn(iface, 6, ip->src_addr, mac, now);
        }
        // Answer with an NA: solicited + override, our link-layer address as target option.
        std::uint8_t tgt[16];
        std::memcpy(tgt, target, 16);
        constexpr std::uint16_t kNaLen = 24 + 8;
        if (len < kNaLen &&
            rte_pktmbuf_append(m, static_cast<std::uint16_t>(kNaLen - len)) == nullptr) {
            drop(m, counters_.drop_no_mbuf);
            return;
        }
        if (len > kNaLen) {
            rte_pktmbuf_trim(m, static_cast<std::uint16_t>(len - kNaLen));
        }
        p = rte_pktmbuf_mtod(m, std::uint8_t*);
        ip = reinterpret_cast<rte_ipv6_hdr*>(p + l2);
        icmp = p + l2 + 40;
        if (dad) {
            static constexpr std::uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                                                           0,    0,    0, 0, 0, 0, 0, 1};
            std::memcpy(ip->dst_addr, kAllNodes, 16);
        } else {
            std::memcpy(ip->dst_addr, ip->src_addr, 16);
        }
        std::memcpy(ip->src_addr, tgt, 16);
        ip->payload_len = rte_cpu_to_be_16(kNaLen);
        ip->hop_limits = 255;
        std::memset(icmp, 0, kNaLen);
        icmp[0] = 136;
        icmp[4] = dad ? 0x20 : 0x60;  // (solicited) + override
        std::memcpy(icmp + 8, tgt, 16);
        icmp[24] = 2;  // Target Link-Layer Address option
        icmp[25] = 1;
        std::memcpy(icmp + 26, &in.mac, 6);
        std::uint16_t c = rte_ipv6_udptcp_cksum(ip, icmp);
        std::memcpy(icmp + 2, &c, 2);
        if (dad) {
            srcMac = rte_ether_addr{{0x33, 0x33, 0, 0, 0, 1}};
        }
        writeL2(m, in, srcMac, kEtherIpv6);
        bump(counters_.nd_adverts_sent);
        send(iface, m, nullptr);
        return;
    }
    if (type == 128) {  // Echo Request → Echo Reply (RFC 4443 §4.2)
        if (!in.owns(6, ip->dst_addr)) {
            drop(m, counters_.drop_not_for_us);
            return;
        }
        std::uint8_t tmp[16];
        std::memcpy(tmp, ip->src_addr, 16);
        std::memcpy(ip->src_addr, ip->dst_addr, 16);
        std::memcpy(ip->dst_addr, tmp, 16);
        ip->hop_limits = kTtl;
        icmp[0] = 129;
        icmp[2] = 0;
        icmp[3] = 0;
        std::uint16_t c = rte_ipv6_udptcp_cksum(ip, icmp);
        std::memcpy(icmp + 2, &c, 2);
        writeL2(m, in, srcMac, kEtherIpv6);
        bump(counters_.icmp_echo_replies);
        send(iface, m, nullptr);
        return;
    }
    drop(m, counters_.drop_bad_icmp);
}

}  // namespace sbc::dataplane
