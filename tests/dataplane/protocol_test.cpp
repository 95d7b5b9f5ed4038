// Round trips of every control-channel message and one test per rejection rule of the decoder.
#include <gtest/gtest.h>

#include "api/dataplane_protocol.hpp"

namespace sbc::dpapi {
namespace {

IpAddress ip(const char* s) {
    return *IpAddress::parse(s);
}

FlowSpec sampleSpec() {
    FlowSpec s;
    s.flowId = 42;
    s.generation = 7;
    s.idleTimeoutMs = 30000;
    s.a.interface = "outside";
    s.a.local = ip("192.0.2.1");
    s.a.localRtpPort = 20000;
    s.a.localRtcpPort = 20001;
    s.a.remote = ip("198.51.100.7");
    s.a.remoteRtpPort = 4000;
    s.a.remoteRtcpPort = 4001;
    s.a.latch = LatchMode::SameHost;
    s.b.interface = "inside";
    s.b.local = ip("2001:db8::1");
    s.b.localRtpPort = 30000;
    s.b.rtcpMux = true;
    s.b.latch = LatchMode::AnySource;
    s.b.clockRate = 48000;
    return s;
}

EndStats sampleStats(std::uint64_t base) {
    EndStats s;
    std::uint64_t v = base;
#define SBC_DP_SET(field, help) s.field = v++;
    SBC_DP_END_STATS(SBC_DP_SET)
#undef SBC_DP_SET
    return s;
}

Message roundTrip(const Message& m, std::uint32_t seq = 9) {
    auto bytes = encode(m, seq);
    auto res = decode(bytes);
    EXPECT_TRUE(res.ok()) << res.error.text;
    if (!res.ok()) {
        return Stats{};
    }
    EXPECT_EQ(res.envelope->seq, seq);
    return res.envelope->message;
}

TEST(DataplaneProtocol, RoundTripsEveryMessage) {
    HelloReply hr;
    hr.bootId = 0x1122334455667788ULL;
    hr.generation = 5;
    hr.previousGeneration = 4;
    hr.flowCount = 3;
    hr.flowCapacity = 1000;
    InterfaceInfo out{"outside", {2, 0, 0, 0, 0, 1}, 1500, {{ip("192.0.2.1"), 24}}};
    InterfaceInfo in{
        "inside", {2, 0, 0, 0, 0, 2}, 9000, {{ip("10.0.0.1"), 8}, {ip("fd00::1"), 64}}};
    hr.interfaces = {out, in};
    ListFlowsReply lr;
    lr.nextCursor = 17;
    lr.flows.push_back({sampleSpec(), sampleStats(1), sampleStats(100)});
    StatsReply sr;
    sr.counters = {{"rx_packets", 5}, {"drop_no_flow", ~0ULL}};
    std::vector<Message> all = {
        Hello{3},
        hr,
        CreateFlow{sampleSpec()},
        CreateFlowReply{42, true},
        UpdateFlow{sampleSpec()},
        UpdateFlowReply{42},
        DeleteFlow{42},
        DeleteFlowReply{42, sampleStats(10), sampleStats(20)},
        ListFlows{0, 64},
        lr,
        Stats{},
        sr,
        ResyncDone{5},
        ResyncDoneReply{12},
        ErrorReply{ErrorCode::NoSuchFlow, "no flow 42"},
    };
    for (const auto& m : all) {
        EXPECT_EQ(roundTrip(m), m) << messageTypeName(messageType(m));
    }
    FlowIdleEvent ev{42, 7, 31000, sampleStats(3), sampleStats(4)};
    EXPECT_EQ(roundTrip(ev, 0), Message(ev));
}

TEST(DataplaneProtocol, HeaderLayoutIsLittleEndian) {
    auto b = encode(Hello{0x0102030405060708ULL}, 0xaabbccdd);
    ASSERT_EQ(b.size(), kHeaderSize + 8);
    std::vector<std::uint8_t> want = {'S',  'B',  'D',  'P',  1, 0, 1, 0, 24, 0, 0, 0,
                                      0xdd, 0xcc, 0xbb, 0xaa, 8, 7, 6, 5, 4,  3, 2, 1};
    EXPECT_EQ(b, want);
}

TEST(DataplaneProtocol, FlowSpecIs200Bytes) {
    EXPECT_EQ(encode(CreateFlow{sampleSpec()}, 1).size(), kHeaderSize + 200);
    EXPECT_EQ(encode(DeleteFlowReply{1, {}, {}}, 1).size(), kHeaderSize + 8 + 2 * 96);
}

// ---- rejections ----------------------------------------------------------------------------

std::vector<std::uint8_t> createBytes(const FlowSpec& s = sampleSpec()) {
    return encode(CreateFlow{s}, 1);
}

// Offsets inside a CreateFlow datagram.
constexpr std::size_t kSpec = kHeaderSize;
constexpr std::size_t kEndA = kSpec + 24;
constexpr std::size_t kEndB = kEndA + 88;
// Inside an end: name 0..31, local 32..51, rtp 52, rtcp 54, flags 56, latch 57, reserved 58,
// remote 60..79, remote rtp 80, remote rtcp 82, clock rate 84.

void expectReject(std::vector<std::uint8_t> bytes, ErrorCode code, const std::string& fragment) {
    auto res = decode(bytes);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error.code, code);
    EXPECT_NE(res.error.text.find(fragment), std::string::npos) << res.error.text;
}

void set16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
    b[at] = static_cast<std::uint8_t>(v);
    b[at + 1] = static_cast<std::uint8_t>(v >> 8);
}

TEST(DataplaneProtocolReject, ShortHeader) {
    expectReject({1, 2, 3}, ErrorCode::BadMessage, "shorter than the 16-byte header");
    expectReject({}, ErrorCode::BadMessage, "shorter");
}

TEST(DataplaneProtocolReject, TooLong) {
    std::vector<std::uint8_t> b(kMaxMessageSize + 1, 0);
    expectReject(b, ErrorCode::BadMessage, "longer than 65536");
}

TEST(DataplaneProtocolReject, BadMagic) {
    auto b = createBytes();
    b[0] = 'X';
    expectReject(b, ErrorCode::BadMessage, "bad magic");
}

TEST(DataplaneProtocolReject, Version) {
    auto b = createBytes();
    b[4] = 2;
    auto res = decode(b);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error.code, ErrorCode::UnsupportedVersion);
    EXPECT_EQ(res.error.seq, 1u);  // the seq is still known, for the Error reply
}

TEST(DataplaneProtocolReject, LengthMismatch) {
    auto b = createBytes();
    b.push_back(0);
    expectReject(b, ErrorCode::BadMessage, "does not match the datagram size");
    b = createBytes();
    b.pop_back();
    expectReject(b, ErrorCode::BadMessage, "does not match");
}

TEST(DataplaneProtocolReject, TrailingBytes) {
    auto b = encode(DeleteFlow{5}, 3);
    b.push_back(0);
    b[8] = static_cast<std::uint8_t>(b.size());
    expectReject(b, ErrorCode::BadMessage, "unexpected bytes after the body");
}

TEST(DataplaneProtocolReject, TruncatedBody) {
    auto b = createBytes();
    b.resize(b.size() - 4);
    b[8] = static_cast<std::uint8_t>(b.size());
    b[9] = 0;
    expectReject(b, ErrorCode::BadMessage, "too short for clock rate");
}

TEST(DataplaneProtocolReject, UnknownType) {
    auto b = createBytes();
    set16(b, 6, 0x0042);
    expectReject(b, ErrorCode::UnknownType, "unknown message type 66");
}

TEST(DataplaneProtocolReject, SeqRules) {
    auto b = createBytes();
    b[12] = 0;
    expectReject(b, ErrorCode::BadMessage, "seq must be non-zero");
    auto ev = encode(FlowIdleEvent{1, 1, 1, {}, {}}, 0);
    ev[12] = 1;
    expectReject(ev, ErrorCode::BadMessage, "events carry seq 0");
}

TEST(DataplaneProtocolReject, ZeroIds) {
    auto b = createBytes();
    std::fill(b.begin() + kSpec, b.begin() + kSpec + 8, 0);
    expectReject(b, ErrorCode::BadMessage, "flow id must be non-zero");
    b = createBytes();
    std::fill(b.begin() + kSpec + 8, b.begin() + kSpec + 16, 0);
    expectReject(b, ErrorCode::BadMessage, "generation must be non-zero");
    auto h = encode(Hello{1}, 1);
    h[16] = 0;
    expectReject(h, ErrorCode::BadMessage, "generation must be non-zero");
}

TEST(DataplaneProtocolReject, IdleTimeoutRange) {
    auto s = sampleSpec();
    s.idleTimeoutMs = kMaxIdleTimeoutMs + 1;
    EXPECT_THROW(createBytes(s), std::invalid_argument);
    auto b = createBytes();
    b[kSpec + 16] = 0xff;
    b[kSpec + 17] = 0xff;
    b[kSpec + 18] = 0xff;
    b[kSpec + 19] = 0xff;
    expectReject(b, ErrorCode::BadMessage, "idle timeout");
}

TEST(DataplaneProtocolReject, ReservedBytes) {
    auto b = createBytes();
    b[kSpec + 20] = 1;
    expectReject(b, ErrorCode::BadMessage, "reserved bytes after idle timeout must be zero");
    b = createBytes();
    b[kEndA + 58] = 1;
    expectReject(b, ErrorCode::BadMessage, "reserved bytes after latch mode");
    b = createBytes();
    b[kEndA + 33] = 1;  // reserved byte of the local address
    expectReject(b, ErrorCode::BadMessage, "reserved bytes after end a local address");
    auto l = encode(ListFlows{0, 5}, 1);
    l.back() = 1;
    expectReject(l, ErrorCode::BadMessage, "reserved bytes after max count");
}

TEST(DataplaneProtocolReject, InterfaceName) {
    auto b = createBytes();
    b[kEndA] = 0;
    expectReject(b, ErrorCode::BadMessage, "end a interface length must be 1..31");
    b = createBytes();
    b[kEndA] = 32;
    expectReject(b, ErrorCode::BadMessage, "length must be 1..31");
    b = createBytes();
    b[kEndA + 1 + 7 + 2] = 'x';  // after "outside"
    expectReject(b, ErrorCode::BadMessage, "padding must be zero");
    b = createBytes();
    b[kEndA + 1] = '/';
    expectReject(b, ErrorCode::BadMessage, "interface name must be 1..31 characters");
}

TEST(DataplaneProtocolReject, AddressFamily) {
    auto b = createBytes();
    b[kEndA + 32] = 5;
    expectReject(b, ErrorCode::BadMessage, "family must be 0, 4 or 6");
    b = createBytes();
    b[kEndA + 32 + 4 + 5] = 1;  // an IPv4 address with a byte beyond the first 4
    expectReject(b, ErrorCode::BadMessage, "non-zero bytes beyond its family's length");
    b = createBytes();
    b[kEndA + 32] = 0;
    std::fill(b.begin() + kEndA + 36, b.begin() + kEndA + 52, 0);
    expectReject(b, ErrorCode::BadMessage, "end a local address must be IPv4 or IPv6");
}

TEST(DataplaneProtocolReject, RemoteFamilyMustMatchLocal) {
    auto s = sampleSpec();
    s.a.remote = ip("2001:db8::9");
    EXPECT_THROW(createBytes(s), std::invalid_argument);
    auto b = createBytes();
    b[kEndA + 60] = 6;  // remote 198.51.100.7 re-labelled IPv6
    expectReject(b, ErrorCode::BadMessage, "must match the local address family");
}

TEST(DataplaneProtocolReject, UnicastOnly) {
    for (const char* bad : {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255"}) {
        auto s = sampleSpec();
        s.a.remote = ip(bad);
        EXPECT_THROW(createBytes(s), std::invalid_argument) << bad;
    }
    auto b = createBytes();
    b[kEndA + 36] = 239;  // local 239.0.2.1
    expectReject(b, ErrorCode::BadMessage, "end a local address must be a unicast IPv4");
    b = createBytes();
    b[kEndB + 36] = 0xff;  // local ff01:db8::1
    expectReject(b, ErrorCode::BadMessage, "end b local address must be a unicast IPv6");
}

TEST(DataplaneProtocolReject, Ports) {
    auto b = createBytes();
    set16(b, kEndA + 52, 0);
    expectReject(b, ErrorCode::BadMessage, "end a local RTP port must be 1..65535");
    b = createBytes();
    set16(b, kEndA + 54, 20000);
    expectReject(b, ErrorCode::BadMessage, "differ from the RTP port");
    b = createBytes();
    set16(b, kEndA + 54, 0);
    expectReject(b, ErrorCode::BadMessage, "local RTCP port must be set");
    b = createBytes();
    set16(b, kEndB + 54, 30001);  // rtcp-mux end with an RTCP port
    expectReject(b, ErrorCode::BadMessage, "end b local RTCP port must be 0 with rtcp-mux");
    b = createBytes();
    set16(b, kEndA + 80, 0);
    expectReject(b, ErrorCode::BadMessage, "remote RTP port must be 1..65535");
    b = createBytes();
    set16(b, kEndB + 80, 9);  // remote port without remote address
    expectReject(b, ErrorCode::BadMessage, "remote ports must be 0 while the remote address");
    auto s = sampleSpec();
    s.a.remoteRtpPort = 65535;
    s.a.remoteRtcpPort = 0;
    EXPECT_THROW(createBytes(s), std::invalid_argument);
}

TEST(DataplaneProtocolReject, EndsMustNotShareAPort) {
    auto s = sampleSpec();
    s.b = s.a;
    s.b.remote = ip("198.51.100.8");
    s.b.localRtpPort = 20001;  // a's RTCP port
    s.b.localRtcpPort = 20002;
    EXPECT_THROW(createBytes(s), std::invalid_argument);
    s.b.localRtpPort = 20002;
    s.b.localRtcpPort = 20003;
    EXPECT_NO_THROW(createBytes(s));
}

TEST(DataplaneProtocolReject, FlagsLatchClock) {
    auto b = createBytes();
    b[kEndA + 56] = 2;
    expectReject(b, ErrorCode::BadMessage, "only bit 0 (rtcp-mux) may be set");
    b = createBytes();
    b[kEndA + 57] = 3;
    expectReject(b, ErrorCode::BadMessage, "latch mode must be 0");
    b = createBytes();
    std::fill(b.begin() + kEndA + 84, b.begin() + kEndA + 88, 0);
    expectReject(b, ErrorCode::BadMessage, "clock rate must be 1..1000000");
}

TEST(DataplaneProtocolReject, ListFlowsMaxCount) {
    auto b = encode(ListFlows{0, 1}, 1);
    set16(b, kHeaderSize + 8, 0);
    expectReject(b, ErrorCode::BadMessage, "max count must be 1..64");
    set16(b, kHeaderSize + 8, 65);
    expectReject(b, ErrorCode::BadMessage, "max count must be 1..64");
}

TEST(DataplaneProtocolReject, CountsBeyondBody) {
    ListFlowsReply lr;
    auto b = encode(lr, 1);
    set16(b, kHeaderSize + 8, 1);  // claims one flow, carries none
    expectReject(b, ErrorCode::BadMessage, "too short");
    set16(b, kHeaderSize + 8, 65);
    expectReject(b, ErrorCode::BadMessage, "at most 64 flows");
    StatsReply sr;
    auto s = encode(sr, 1);
    set16(s, kHeaderSize, 300);
    expectReject(s, ErrorCode::BadMessage, "at most 256 counters");
}

TEST(DataplaneProtocolReject, CounterNames) {
    StatsReply sr;
    sr.counters = {{"a", 1}, {"a", 2}};
    EXPECT_THROW(encode(sr, 1), std::invalid_argument);
    sr.counters = {{"ok_name", 1}};
    auto b = encode(sr, 1);
    b[kHeaderSize + 8 + 1] = 'O';
    expectReject(b, ErrorCode::BadMessage, "counter name must be");
}

TEST(DataplaneProtocolReject, ErrorReplyFields) {
    auto b = encode(ErrorReply{ErrorCode::Internal, "x"}, 1);
    set16(b, kHeaderSize, 99);
    expectReject(b, ErrorCode::BadMessage, "unknown error code");
    b = encode(ErrorReply{ErrorCode::Internal, "x"}, 1);
    b.back() = '\n';
    expectReject(b, ErrorCode::BadMessage, "printable ASCII");
}

TEST(DataplaneProtocolReject, HelloReplyInterfaces) {
    HelloReply hr;
    hr.interfaces = {{"outside", {}, 1500, {}}};
    EXPECT_THROW(encode(hr, 1), std::invalid_argument);  // no addresses
    hr.interfaces = {{"outside", {}, 1500, {{ip("192.0.2.1"), 33}}}};
    EXPECT_THROW(encode(hr, 1), std::invalid_argument);  // prefix too long
    hr.interfaces = {{"outside", {}, 1500, {{ip("192.0.2.1"), 24}}}};
    auto b = encode(hr, 1);
    b[kHeaderSize + 40 + 32 + 6 + 2] = 9;  // address count 9
    expectReject(b, ErrorCode::BadMessage, "at most 8 addresses");
}

TEST(DataplaneProtocolReject, BooleanFields) {
    auto b = encode(CreateFlowReply{1, false}, 1);
    b[kHeaderSize + 8] = 2;
    expectReject(b, ErrorCode::BadMessage, "reclaimed must be 0 or 1");
}

}  // namespace
}  // namespace sbc::dpapi
