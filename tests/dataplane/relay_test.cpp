// sbc-dataplane on ring-backed ports, one poll at a time: relay rewrite both ways, checksums,
// latching per mode, RTCP on port+1 and rtcp-mux, ARP, ICMP echo, drops counted by reason,
// RTP loss, and the control-channel semantics (validation, hello, generations, resync).
#include <gtest/gtest.h>

#include <atomic>

#include "dataplane/control_server.hpp"
#include "tests/dataplane/dp_test_util.hpp"

namespace sbc::dataplane::test {
namespace {

const std::array<std::uint8_t, 6> kPeerOut = {0x02, 0xaa, 0, 0, 0, 0x10};
const std::array<std::uint8_t, 6> kPeerIn = {0x02, 0xbb, 0, 0, 0, 0x20};

class RelayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        initEal();
        static std::atomic<int> n{0};
        std::string id = std::to_string(n++);
        out_ = std::make_unique<RingPort>("rout" + id);
        in_ = std::make_unique<RingPort>("rin" + id);
        DataplaneConfig cfg;
        cfg.flowCapacity = 64;
        cfg.mbufs = 2047;
        cfg.rxDescriptors = 64;
        cfg.txDescriptors = 64;
        cfg.neighbourCapacity = 64;
        cfg.txDrainUs = txDrainUs_;
        InterfaceConfig o;
        o.name = "outside";
        o.device = out_->name;
        o.addresses = {{*dpapi::IpAddress::parse("192.0.2.1"), 24},
                       {*dpapi::IpAddress::parse("2001:db8::1"), 64}};
        o.gateway = *dpapi::IpAddress::parse("192.0.2.254");
        InterfaceConfig i;
        i.name = "inside";
        i.device = in_->name;
        i.addresses = {{*dpapi::IpAddress::parse("10.0.0.1"), 24}};
        cfg.interfaces = {o, i};
        dp_ = std::make_unique<Dataplane>(cfg);
        outMac_ = macBytes(dp_->interface(0).mac);
        inMac_ = macBytes(dp_->interface(1).mac);
        dp_->flows().hello(7);
    }
    void TearDown() override {
        dp_.reset();
        out_.reset();
        in_.reset();
    }

    void poll() { dp_->worker(0).poll(); }
    std::uint64_t stat(const std::string& name) { return counter(dp_->stats(), name); }

    dpapi::FlowSpec spec(dpapi::LatchMode latch = dpapi::LatchMode::AnySource) {
        dpapi::FlowSpec s;
        s.flowId = 100;
        s.generation = 7;
        s.a.interface = "outside";
        s.a.local = *dpapi::IpAddress::parse("192.0.2.1");
        s.a.localRtpPort = 20000;
        s.a.localRtcpPort = 20001;
        s.a.remote = *dpapi::IpAddress::parse("192.0.2.10");
        s.a.remoteRtpPort = 4000;
        s.a.latch = latch;
        s.b.interface = "inside";
        s.b.local = *dpapi::IpAddress::parse("10.0.0.1");
        s.b.localRtpPort = 30000;
        s.b.localRtcpPort = 30001;
        s.b.remote = *dpapi::IpAddress::parse("10.0.0.20");
        s.b.remoteRtpPort = 5000;
        s.b.latch = latch;
        return s;
    }

    void create(const dpapi::FlowSpec& s) {
        auto r = dp_->flows().create(s);
        ASSERT_TRUE(std::holds_alternative<dpapi::CreateFlowReply>(r))
            << std::get<dpapi::ErrorReply>(r).text;
    }

    // The data plane resolves both remotes on flow creation; answer its ARP requests.
    void resolveNeighbours() {
        poll();
        for (const auto& f : drain(*out_)) {
            ASSERT_EQ(be16At(f, 12), 0x0806);
            inject(dp_->pool(), *out_,
                   arpRequest(kPeerOut, ip4At(f, 38).c_str(), "192.0.2.1", true, &outMac_));
        }
        for (const auto& f : drain(*in_)) {
            ASSERT_EQ(be16At(f, 12), 0x0806);
            inject(dp_->pool(), *in_,
                   arpRequest(kPeerIn, ip4At(f, 38).c_str(), "10.0.0.1", true, &inMac_));
        }
        poll();
    }

    std::uint32_t txDrainUs_ = 0;
    std::unique_ptr<RingPort> out_;
    std::unique_ptr<RingPort> in_;
    std::unique_ptr<Dataplane> dp_;
    std::array<std::uint8_t, 6> outMac_{};
    std::array<std::uint8_t, 6> inMac_{};
};

TEST_F(RelayTest, ArpRequestForOurAddressIsAnswered) {
    inject(dp_->pool(), *out_, arpRequest(kPeerOut, "192.0.2.10", "192.0.2.1"));
    inject(dp_->pool(), *out_, arpRequest(kPeerOut, "192.0.2.10", "192.0.2.77"));  // not ours
    poll();
    auto frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& f = frames[0];
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerOut.begin(), kPeerOut.end()));
    EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(outMac_.begin(), outMac_.end()));
    EXPECT_EQ(be16At(f, 12), 0x0806);
    EXPECT_EQ(be16At(f, 20), 2);  // reply
    EXPECT_EQ(Bytes(f.begin() + 22, f.begin() + 28), Bytes(outMac_.begin(), outMac_.end()));
    EXPECT_EQ(ip4At(f, 28), "192.0.2.1");
    EXPECT_EQ(Bytes(f.begin() + 32, f.begin() + 38), Bytes(kPeerOut.begin(), kPeerOut.end()));
    EXPECT_EQ(ip4At(f, 38), "192.0.2.10");
    EXPECT_EQ(stat("arp_replies_sent"), 1u);
    EXPECT_EQ(stat("drop_not_for_us"), 1u);
}

TEST_F(RelayTest, IcmpEchoIsAnswered) {
    Bytes f(14 + 20 + 8 + 32, 0x61);
    std::memcpy(&f[0], outMac_.data(), 6);
    std::memcpy(&f[6], kPeerOut.data(), 6);
    f[12] = 0x08;
    f[13] = 0;
    std::uint8_t* ip = &f[14];
    std::memset(ip, 0, 28);
    ip[0] = 0x45;
    ip[3] = 60;
    ip[8] = 64;
    ip[9] = 1;
    std::memcpy(ip + 12, dpapi::IpAddress::parse("192.0.2.10")->bytes.data(), 4);
    std::memcpy(ip + 16, dpapi::IpAddress::parse("192.0.2.1")->bytes.data(), 4);
    std::uint16_t c = static_cast<std::uint16_t>(~fold(csumAdd(0, ip, 20)));
    std::memcpy(ip + 10, &c, 2);
    ip[20] = 8;  // echo request
    ip[24] = 0x12;
    ip[26] = 0x00;
    ip[27] = 0x01;
    std::uint16_t ic = static_cast<std::uint16_t>(~fold(csumAdd(0, ip + 20, 40)));
    std::memcpy(ip + 22, &ic, 2);
    inject(dp_->pool(), *out_, f);
    Bytes bad = f;
    bad[14 + 20 + 10] ^= 1;  // corrupt the ICMP payload: checksum fails
    inject(dp_->pool(), *out_, bad);
    poll();
    auto frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& r = frames[0];
    EXPECT_EQ(ip4At(r, 26), "192.0.2.1");
    EXPECT_EQ(ip4At(r, 30), "192.0.2.10");
    EXPECT_EQ(r[34], 0);  // echo reply
    EXPECT_TRUE(ipv4ChecksumValid(r));
    EXPECT_EQ(fold(csumAdd(0, &r[34], 40)), 0xffff);
    EXPECT_EQ(Bytes(r.begin() + 38, r.end()), Bytes(f.begin() + 38, f.end()));  // id, seq, data
    EXPECT_EQ(stat("icmp_echo_replies"), 1u);
    EXPECT_EQ(stat("drop_bad_icmp"), 1u);
}

TEST_F(RelayTest, RelaysBothWaysWithRewriteAndValidChecksums) {
    create(spec());
    resolveNeighbours();
    Bytes payload = rtp(1, 160);
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, payload));
    poll();
    auto frames = drain(*in_);
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& f = frames[0];
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerIn.begin(), kPeerIn.end()));
    EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(inMac_.begin(), inMac_.end()));
    EXPECT_EQ(ip4At(f, 26), "10.0.0.1");
    EXPECT_EQ(ip4At(f, 30), "10.0.0.20");
    EXPECT_EQ(be16At(f, 34), 30000);
    EXPECT_EQ(be16At(f, 36), 5000);
    EXPECT_EQ(f[22], 64);  // TTL
    EXPECT_TRUE(ipv4ChecksumValid(f));
    EXPECT_TRUE(udp4ChecksumValid(f));
    EXPECT_EQ(Bytes(f.begin() + 42, f.end()), payload);

    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(9, 1)));
    poll();
    frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(ip4At(frames[0], 26), "192.0.2.1");
    EXPECT_EQ(ip4At(frames[0], 30), "192.0.2.10");
    EXPECT_EQ(be16At(frames[0], 34), 20000);
    EXPECT_EQ(be16At(frames[0], 36), 4000);
    EXPECT_TRUE(ipv4ChecksumValid(frames[0]));
    EXPECT_TRUE(udp4ChecksumValid(frames[0]));
    EXPECT_EQ(stat("relayed_rtp"), 2u);

    auto del = dp_->flows().remove(100);
    ASSERT_TRUE(std::holds_alternative<dpapi::DeleteFlowReply>(del));
    const auto& d = std::get<dpapi::DeleteFlowReply>(del);
    EXPECT_EQ(d.statsA.packets, 1u);
    EXPECT_EQ(d.statsA.bytes, payload.size());
    EXPECT_EQ(d.statsB.packets, 1u);
    EXPECT_NE(d.statsA.lastSeenMs, 0u);
    // Deleted: the same packet is now a no-flow drop.
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, payload));
    poll();
    EXPECT_TRUE(drain(*in_).empty());
    EXPECT_EQ(stat("drop_no_flow"), 1u);
}

// ports.tx_drain_us: relayed frames wait for a full burst or for the drain time, whichever first.
class TxDrainTest : public RelayTest {
  protected:
    void SetUp() override {
        txDrainUs_ = 50000;
        RelayTest::SetUp();
    }
};

TEST_F(TxDrainTest, HoldsFramesUntilTheDrainTimeOrAFullBurst) {
    create(spec());
    resolveNeighbours();
    Worker& w = dp_->worker(0);
    auto fromCarrier = [&](std::uint16_t seq) {
        inject(dp_->pool(), *out_,
               udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(seq, 160)));
    };
    fromCarrier(1);
    w.pollOnce();
    EXPECT_TRUE(drain(*in_).empty()) << "held: the drain time has not passed";
    EXPECT_EQ(stat("relayed_rtp"), 1u);
    rte_delay_us_sleep(60000);
    w.pollOnce();
    EXPECT_EQ(drain(*in_).size(), 1u) << "sent once the oldest frame waited 50 ms";
    for (std::uint16_t seq = 2; seq < 2 + 32; ++seq) {
        fromCarrier(seq);
    }
    w.pollOnce();
    EXPECT_EQ(drain(*in_).size(), 32u) << "a full burst goes at once";
    EXPECT_EQ(stat("tx_packets"), 33u + 2u);  // and the two ARP requests of resolveNeighbours
}

TEST_F(RelayTest, PacketForNoFlowIsDroppedAndCounted) {
    create(spec());
    resolveNeighbours();
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20002, rtp(1, 1)));
    poll();
    EXPECT_TRUE(drain(*in_).empty());
    EXPECT_EQ(stat("drop_no_flow"), 1u);
    EXPECT_EQ(stat("relayed_rtp"), 0u);
}

TEST_F(RelayTest, LatchOffAcceptsOnlyTheConfiguredRemote) {
    create(spec(dpapi::LatchMode::Off));
    resolveNeighbours();
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4002, "192.0.2.1", 20000, rtp(1, 1)));
    poll();
    EXPECT_TRUE(drain(*in_).empty());
    EXPECT_EQ(stat("drop_latch_refused"), 1u);
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(2, 2)));
    poll();
    EXPECT_EQ(drain(*in_).size(), 1u);
}

TEST_F(RelayTest, LatchSameHostTakesANewPortFromTheSameAddressOnly) {
    create(spec(dpapi::LatchMode::SameHost));
    resolveNeighbours();
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.11", 4000, "192.0.2.1", 20000, rtp(1, 1)));
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4002, "192.0.2.1", 20000, rtp(2, 2)));
    poll();
    EXPECT_EQ(drain(*in_).size(), 1u);
    EXPECT_EQ(stat("drop_latch_refused"), 1u);
    // The reverse direction now goes to the latched port.
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(1, 1)));
    poll();
    auto frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(ip4At(frames[0], 30), "192.0.2.10");
    EXPECT_EQ(be16At(frames[0], 36), 4002);
}

TEST_F(RelayTest, LatchAnySourceLearnsTheRemoteAndRefusesASecondLiveSource) {
    auto s = spec(dpapi::LatchMode::AnySource);
    s.a.remote = {};
    s.a.remoteRtpPort = 0;
    create(s);
    resolveNeighbours();
    // The reverse direction has nowhere to go before the latch.
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(1, 1)));
    poll();
    EXPECT_TRUE(drain(*out_).empty());
    EXPECT_EQ(stat("drop_no_remote"), 1u);
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.33", 7000, "192.0.2.1", 20000, rtp(1, 1)));
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.44", 7000, "192.0.2.1", 20000, rtp(2, 2)));
    poll();
    EXPECT_EQ(drain(*in_).size(), 1u);
    EXPECT_EQ(stat("drop_latch_refused"), 1u);
    EXPECT_EQ(stat("latched"), 1u);
    // 192.0.2.33 is unknown to the neighbour table: the first reverse packet triggers ARP.
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(2, 2)));
    poll();
    auto arp = drain(*out_);
    ASSERT_EQ(arp.size(), 1u);
    EXPECT_EQ(be16At(arp[0], 12), 0x0806);
    EXPECT_EQ(ip4At(arp[0], 38), "192.0.2.33");
    EXPECT_EQ(stat("drop_no_neighbour"), 1u);
    inject(dp_->pool(), *out_, arpRequest(kPeerOut, "192.0.2.33", "192.0.2.1", true, &outMac_));
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(3, 3)));
    poll();
    poll();
    auto frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(ip4At(frames[0], 30), "192.0.2.33");
    EXPECT_EQ(be16At(frames[0], 36), 7000);
    // A NAT rebinding (same host, new port) re-latches at once.
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.33", 7002, "192.0.2.1", 20000, rtp(3, 3)));
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(4, 4)));
    poll();
    frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(be16At(frames[0], 36), 7002);
}

TEST_F(RelayTest, RtcpOnPortPlusOne) {
    create(spec());
    resolveNeighbours();
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4001, "192.0.2.1", 20001, rtcpSr()));
    // An RTP packet on the RTCP port is not RTCP.
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4001, "192.0.2.1", 20001, rtp(1, 1)));
    poll();
    auto frames = drain(*in_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(be16At(frames[0], 34), 30001);
    EXPECT_EQ(be16At(frames[0], 36), 5001);
    EXPECT_TRUE(udp4ChecksumValid(frames[0]));
    EXPECT_EQ(stat("relayed_rtcp"), 1u);
    EXPECT_EQ(stat("drop_not_rtp"), 1u);
}

TEST_F(RelayTest, RtcpMuxOnOneSide) {
    auto s = spec();
    s.b.rtcpMux = true;
    s.b.localRtcpPort = 0;
    create(s);
    resolveNeighbours();
    // RTCP from outside (port+1) leaves inside on the muxed RTP port, to the remote RTP port.
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4001, "192.0.2.1", 20001, rtcpSr()));
    poll();
    auto frames = drain(*in_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(be16At(frames[0], 34), 30000);
    EXPECT_EQ(be16At(frames[0], 36), 5000);
    // Muxed RTCP from inside is told apart by its packet type and leaves outside on port+1.
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtcpSr()));
    inject(dp_->pool(), *in_,
           udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, rtp(1, 1)));
    poll();
    frames = drain(*out_);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(be16At(frames[0], 34), 20001);
    EXPECT_EQ(be16At(frames[0], 36), 4001);
    EXPECT_EQ(be16At(frames[1], 34), 20000);
    EXPECT_EQ(be16At(frames[1], 36), 4000);
    EXPECT_EQ(stat("relayed_rtcp"), 2u);
    EXPECT_EQ(stat("relayed_rtp"), 1u);
}

TEST_F(RelayTest, MalformedFramesAreCountedByReason) {
    create(spec());
    resolveNeighbours();
    auto good = udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(1, 1));
    inject(dp_->pool(), *out_, Bytes(good.begin(), good.begin() + 10));  // runt
    Bytes badIpSum = good;
    badIpSum[24] ^= 0xff;
    inject(dp_->pool(), *out_, badIpSum);
    Bytes badUdpLen = good;
    badUdpLen[38] = 0x7f;
    inject(dp_->pool(), *out_, badUdpLen);
    Bytes notIp = good;
    notIp[12] = 0x88;
    notIp[13] = 0xcc;
    inject(dp_->pool(), *out_, notIp);
    auto notRtp = rtp(1, 1);
    notRtp[0] = 0x40;  // version 1
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, notRtp));
    Bytes frag = good;
    frag[20] = 0x20;  // MF
    std::uint16_t zero = 0;
    std::memcpy(&frag[24], &zero, 2);
    std::uint16_t c = static_cast<std::uint16_t>(~fold(csumAdd(0, &frag[14], 20)));
    std::memcpy(&frag[24], &c, 2);
    inject(dp_->pool(), *out_, frag);
    Bytes otherMac = good;
    otherMac[0] = 0x02;
    otherMac[5] = 0x99;
    inject(dp_->pool(), *out_, otherMac);
    poll();
    EXPECT_TRUE(drain(*in_).empty());
    EXPECT_EQ(stat("drop_runt"), 1u);
    EXPECT_EQ(stat("drop_bad_ip"), 1u);
    EXPECT_EQ(stat("drop_bad_udp"), 1u);
    EXPECT_EQ(stat("drop_not_ip"), 1u);
    EXPECT_EQ(stat("drop_not_rtp"), 1u);
    EXPECT_EQ(stat("drop_ip_fragment"), 1u);
    EXPECT_EQ(stat("drop_not_for_us"), 1u);
    EXPECT_EQ(stat("relayed_rtp"), 0u);
}

TEST_F(RelayTest, SequenceGapsCountAsLoss) {
    create(spec());
    resolveNeighbours();
    for (std::uint16_t seq : {10, 11, 14, 15}) {
        inject(
            dp_->pool(), *out_,
            udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(seq, seq * 160u)));
    }
    poll();
    EXPECT_EQ(drain(*in_).size(), 4u);
    auto list = std::get<dpapi::ListFlowsReply>(dp_->flows().list({0, 64}));
    ASSERT_EQ(list.flows.size(), 1u);
    EXPECT_EQ(list.flows[0].statsA.packets, 4u);
    EXPECT_EQ(list.flows[0].statsA.lost, 2u);
    EXPECT_EQ(list.flows[0].spec.a.remoteRtpPort, 4000);
}

TEST_F(RelayTest, ControlRejectsConflictsAndStaleGenerations) {
    create(spec());
    auto s = spec();
    s.flowId = 101;  // another flow on the same local port
    auto r = dp_->flows().create(s);
    ASSERT_TRUE(std::holds_alternative<dpapi::ErrorReply>(r));
    EXPECT_EQ(std::get<dpapi::ErrorReply>(r).code, dpapi::ErrorCode::PortInUse);
    s = spec();
    s.a.localRtpPort = 20010;
    s.a.localRtcpPort = 20011;
    r = dp_->flows().create(s);  // same id, other locals
    EXPECT_EQ(std::get<dpapi::ErrorReply>(r).code, dpapi::ErrorCode::FlowConflict);
    s = spec();
    s.flowId = 102;
    s.a.localRtpPort = 20010;
    s.a.localRtcpPort = 20011;
    s.b.localRtpPort = 30010;
    s.b.localRtcpPort = 30011;
    s.generation = 6;
    r = dp_->flows().create(s);
    EXPECT_EQ(std::get<dpapi::ErrorReply>(r).code, dpapi::ErrorCode::StaleGeneration);
    s.generation = 7;
    s.a.interface = "nowhere";
    EXPECT_EQ(std::get<dpapi::ErrorReply>(dp_->flows().create(s)).code,
              dpapi::ErrorCode::UnknownInterface);
    s.a.interface = "outside";
    s.a.local = *dpapi::IpAddress::parse("192.0.2.2");
    EXPECT_EQ(std::get<dpapi::ErrorReply>(dp_->flows().create(s)).code,
              dpapi::ErrorCode::AddressNotOwned);
    EXPECT_EQ(std::get<dpapi::ErrorReply>(dp_->flows().remove(999)).code,
              dpapi::ErrorCode::NoSuchFlow);
    EXPECT_EQ(dp_->flows().count(), 1u);
}

TEST_F(RelayTest, ResyncKeepsReclaimedFlowsWithCountersAndRemovesTheRest) {
    create(spec());
    auto other = spec();
    other.flowId = 200;
    other.a.localRtpPort = 20100;
    other.a.localRtcpPort = 20101;
    other.b.localRtpPort = 30100;
    other.b.localRtcpPort = 30101;
    create(other);
    resolveNeighbours();
    inject(dp_->pool(), *out_,
           udp4(outMac_, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(1, 1)));
    poll();
    ASSERT_EQ(drain(*in_).size(), 1u);
    // Control plane restart: new generation, replay flow 100 only, then ResyncDone.
    EXPECT_EQ(dp_->flows().hello(8).previousGeneration, 7u);
    auto s = spec();
    s.generation = 8;
    auto r = dp_->flows().create(s);
    ASSERT_TRUE(std::holds_alternative<dpapi::CreateFlowReply>(r));
    EXPECT_TRUE(std::get<dpapi::CreateFlowReply>(r).reclaimed);
    auto done = dp_->flows().resyncDone(8);
    EXPECT_EQ(std::get<dpapi::ResyncDoneReply>(done).removed, 1u);
    EXPECT_EQ(dp_->flows().count(), 1u);
    auto list = std::get<dpapi::ListFlowsReply>(dp_->flows().list({0, 64}));
    ASSERT_EQ(list.flows.size(), 1u);
    EXPECT_EQ(list.flows[0].spec.flowId, 100u);
    EXPECT_EQ(list.flows[0].statsA.packets, 1u);  // counters kept
    // The removed flow's ports are free again.
    other.generation = 8;
    create(other);
}

TEST_F(RelayTest, ControlServerAnswersMalformedInputWithAnErrorAndAppliesNothing) {
    ControlServer server(*dp_, "/tmp/sbc-dp-test-" + std::to_string(::getpid()) + ".sock");
    ControlServer::Session session;
    auto reply = [&](const Bytes& req) {
        auto out = server.handle(session, req);
        auto d = dpapi::decode(out);
        EXPECT_TRUE(d.ok()) << d.error.text;
        return d.envelope->message;
    };
    auto create = dpapi::encode(dpapi::CreateFlow{spec()}, 5);
    auto m = reply(create);
    ASSERT_TRUE(std::holds_alternative<dpapi::ErrorReply>(m));
    EXPECT_EQ(std::get<dpapi::ErrorReply>(m).code, dpapi::ErrorCode::HelloRequired);
    m = reply(dpapi::encode(dpapi::Hello{7}, 1));
    ASSERT_TRUE(std::holds_alternative<dpapi::HelloReply>(m));
    EXPECT_EQ(std::get<dpapi::HelloReply>(m).interfaces.size(), 2u);
    Bytes broken = create;
    broken[dpapi::kHeaderSize + 24 + 57] = 9;  // latch mode of end a
    m = reply(broken);
    ASSERT_TRUE(std::holds_alternative<dpapi::ErrorReply>(m));
    EXPECT_EQ(std::get<dpapi::ErrorReply>(m).code, dpapi::ErrorCode::BadMessage);
    EXPECT_EQ(dp_->flows().count(), 0u);
    m = reply(dpapi::encode(dpapi::StatsReply{}, 3));  // a reply type sent as a request
    EXPECT_EQ(std::get<dpapi::ErrorReply>(m).code, dpapi::ErrorCode::UnknownType);
    m = reply(create);
    ASSERT_TRUE(std::holds_alternative<dpapi::CreateFlowReply>(m));
    EXPECT_EQ(dp_->flows().count(), 1u);
    EXPECT_EQ(stat("control_malformed"), 1u);
}

// Upper-layer checksum of an IPv6 frame (no VLAN) is valid (RFC 8200 §8.1).
bool ip6ChecksumValid(const Bytes& f) {
    const std::uint8_t* ip = &f[14];
    std::uint32_t len = static_cast<std::uint32_t>((ip[4] << 8) | ip[5]);
    std::uint32_t sum = csumAdd(0, ip + 8, 32);
    std::uint32_t lenProto[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(ip[6])};
    sum = csumAdd(sum, lenProto, 8);
    Bytes padded(ip + 40, ip + 40 + len);
    if (padded.size() % 2) {
        padded.push_back(0);
    }
    sum = csumAdd(sum, padded.data(), padded.size());
    return fold(sum) == 0xffff;
}

std::string ip6At(const Bytes& f, std::size_t off) {
    dpapi::IpAddress a;
    a.family = 6;
    std::memcpy(a.bytes.data(), &f[off], 16);
    return a.toString();
}

TEST_F(RelayTest, NeighbourSolicitationIsAnswered) {
    inject(dp_->pool(), *out_, neighborSolicitation(kPeerOut, "2001:db8::10", "2001:db8::1"));
    inject(dp_->pool(), *out_, neighborSolicitation(kPeerOut, "2001:db8::10", "2001:db8::2"));
    poll();
    auto frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& f = frames[0];
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerOut.begin(), kPeerOut.end()));
    EXPECT_EQ(be16At(f, 12), 0x86dd);
    EXPECT_EQ(f[14 + 7], 255);  // hop limit
    EXPECT_EQ(ip6At(f, 22), "2001:db8::1");
    EXPECT_EQ(ip6At(f, 38), "2001:db8::10");
    EXPECT_EQ(f[54], 136);                   // Neighbor Advertisement
    EXPECT_EQ(f[58], 0x60);                  // solicited + override
    EXPECT_EQ(ip6At(f, 62), "2001:db8::1");  // target
    EXPECT_EQ(f[78], 2);                     // target link-layer address option
    EXPECT_EQ(Bytes(f.begin() + 80, f.begin() + 86), Bytes(outMac_.begin(), outMac_.end()));
    EXPECT_TRUE(ip6ChecksumValid(f));
    EXPECT_EQ(stat("nd_adverts_sent"), 1u);
    EXPECT_EQ(stat("drop_not_for_us"), 1u);
}

TEST_F(RelayTest, RelaysBetweenIpv6AndIpv4) {
    dpapi::FlowSpec s = spec();
    s.a.local = *dpapi::IpAddress::parse("2001:db8::1");
    s.a.remote = *dpapi::IpAddress::parse("2001:db8::10");
    create(s);
    poll();
    // The data plane solicits the IPv6 remote and ARPs for the IPv4 one.
    auto sol = drain(*out_);
    ASSERT_EQ(sol.size(), 1u);
    EXPECT_EQ(sol[0][54], 135);
    EXPECT_EQ(ip6At(sol[0], 62), "2001:db8::10");
    EXPECT_EQ(Bytes(sol[0].begin(), sol[0].begin() + 3), (Bytes{0x33, 0x33, 0xff}));
    EXPECT_TRUE(ip6ChecksumValid(sol[0]));
    Bytes na(32, 0);
    na[0] = 136;
    na[4] = 0x60;
    std::memcpy(&na[8], dpapi::IpAddress::parse("2001:db8::10")->bytes.data(), 16);
    na[24] = 2;
    na[25] = 1;
    std::memcpy(&na[26], kPeerOut.data(), 6);
    inject(dp_->pool(), *out_,
           ip6(outMac_, kPeerOut, "2001:db8::10", "2001:db8::1", 58, na, 255, 2));
    for (const auto& f : drain(*in_)) {
        inject(dp_->pool(), *in_,
               arpRequest(kPeerIn, ip4At(f, 38).c_str(), "10.0.0.1", true, &inMac_));
    }
    poll();
    Bytes payload = rtp(5, 800);
    inject(dp_->pool(), *out_,
           udp6(outMac_, kPeerOut, "2001:db8::10", 4000, "2001:db8::1", 20000, payload));
    poll();
    auto frames = drain(*in_);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(be16At(frames[0], 12), 0x0800);
    EXPECT_EQ(ip4At(frames[0], 26), "10.0.0.1");
    EXPECT_EQ(ip4At(frames[0], 30), "10.0.0.20");
    EXPECT_EQ(be16At(frames[0], 34), 30000);
    EXPECT_TRUE(ipv4ChecksumValid(frames[0]));
    EXPECT_TRUE(udp4ChecksumValid(frames[0]));
    EXPECT_EQ(Bytes(frames[0].begin() + 42, frames[0].end()), payload);

    inject(dp_->pool(), *in_, udp4(inMac_, kPeerIn, "10.0.0.20", 5000, "10.0.0.1", 30000, payload));
    poll();
    frames = drain(*out_);
    ASSERT_EQ(frames.size(), 1u);
    const Bytes& f = frames[0];
    EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), Bytes(kPeerOut.begin(), kPeerOut.end()));
    EXPECT_EQ(be16At(f, 12), 0x86dd);
    EXPECT_EQ(ip6At(f, 22), "2001:db8::1");
    EXPECT_EQ(ip6At(f, 38), "2001:db8::10");
    EXPECT_EQ(be16At(f, 54), 20000);
    EXPECT_EQ(be16At(f, 56), 4000);
    EXPECT_TRUE(ip6ChecksumValid(f));
    EXPECT_EQ(Bytes(f.begin() + 62, f.end()), payload);
}

TEST_F(RelayTest, Ipv6UdpWithoutChecksumIsDropped) {
    create(spec());
    auto f = udp6(outMac_, kPeerOut, "2001:db8::10", 4000, "2001:db8::1", 20000, rtp(1, 1));
    f[14 + 40 + 6] = 0;
    f[14 + 40 + 7] = 0;
    inject(dp_->pool(), *out_, f);
    poll();
    EXPECT_EQ(stat("drop_bad_udp"), 1u);
}

TEST_F(RelayTest, IdleFlowsAreReportedOnce) {
    auto s = spec();
    s.idleTimeoutMs = 1;
    create(s);
    std::uint64_t later = rte_rdtsc() + rte_get_tsc_hz();
    auto events = dp_->flows().scanIdle(later);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].flowId, 100u);
    EXPECT_GE(events[0].idleMs, 900u);
    EXPECT_TRUE(dp_->flows().scanIdle(later + 1000).empty());
}

// Two workers: a frame arriving on the queue of the worker that does not own its flow is handed
// to the owner through its ring and relayed there (a flow's state has one writer).
TEST(RelayTwoWorkers, PacketsOfAFlowOwnedByAnotherWorkerAreHandedOver) {
    initEal();
    RingPort out("w2out", 2);
    RingPort in("w2in", 2);
    DataplaneConfig cfg;
    cfg.workers = 2;
    cfg.flowCapacity = 16;
    cfg.mbufs = 2047;
    cfg.rxDescriptors = 64;
    cfg.txDescriptors = 64;
    cfg.neighbourCapacity = 16;
    InterfaceConfig o{"outside", out.name, {{*dpapi::IpAddress::parse("192.0.2.1"), 24}}};
    InterfaceConfig i{"inside", in.name, {{*dpapi::IpAddress::parse("10.0.0.1"), 24}}};
    cfg.interfaces = {o, i};
    Dataplane dp(cfg);
    auto outMac = macBytes(dp.interface(0).mac);
    auto inMac = macBytes(dp.interface(1).mac);
    dp.flows().hello(1);
    dpapi::FlowSpec s;
    s.flowId = 1;
    s.generation = 1;
    s.a = {"outside",
           *dpapi::IpAddress::parse("192.0.2.1"),
           20000,
           20001,
           false,
           *dpapi::IpAddress::parse("192.0.2.10"),
           4000,
           0,
           dpapi::LatchMode::Off,
           8000};
    s.b = {"inside",
           *dpapi::IpAddress::parse("10.0.0.1"),
           30000,
           30001,
           false,
           *dpapi::IpAddress::parse("10.0.0.20"),
           5000,
           0,
           dpapi::LatchMode::Off,
           8000};
    ASSERT_TRUE(std::holds_alternative<dpapi::CreateFlowReply>(dp.flows().create(s)));
    // The first flow goes to worker 0; teach both workers' shared neighbour tables via queue 0.
    inject(dp.pool(), out.rxs[0], arpRequest(kPeerOut, "192.0.2.10", "192.0.2.1"));
    inject(dp.pool(), in.rxs[0], arpRequest(kPeerIn, "10.0.0.20", "10.0.0.1"));
    dp.worker(0).poll();
    drain(out, 0);
    drain(in, 0);
    // RSS put the RTP frame on queue 1: worker 1 hands it to worker 0, which relays it.
    inject(dp.pool(), out.rxs[1],
           udp4(outMac, kPeerOut, "192.0.2.10", 4000, "192.0.2.1", 20000, rtp(1, 1)));
    dp.worker(1).poll();
    EXPECT_TRUE(drain(in, 1).empty());
    EXPECT_EQ(counter(dp.stats(), "redirected"), 1u);
    dp.worker(0).poll();
    auto frames = drain(in, 0);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(ip4At(frames[0], 30), "10.0.0.20");
    EXPECT_EQ(be16At(frames[0], 34), 30000);
    EXPECT_TRUE(udp4ChecksumValid(frames[0]));
    (void)inMac;
}

}  // namespace
}  // namespace sbc::dataplane::test
