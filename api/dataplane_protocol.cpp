#include "api/dataplane_protocol.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <set>
#include <stdexcept>

namespace sbc::dpapi {

namespace {

constexpr std::size_t kNameField = 32;  // u8 length + 31 bytes, unused bytes zero

// ---- writing --------------------------------------------------------------------------------

class Writer {
  public:
    explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v));
        u8(static_cast<std::uint8_t>(v >> 8));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v));
        u16(static_cast<std::uint16_t>(v >> 16));
    }
    void u64(std::uint64_t v) {
        u32(static_cast<std::uint32_t>(v));
        u32(static_cast<std::uint32_t>(v >> 32));
    }
    void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }
    void bytes(const void* p, std::size_t n) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        out_.insert(out_.end(), b, b + n);
    }
    void name(const std::string& s) {
        u8(static_cast<std::uint8_t>(s.size()));
        bytes(s.data(), s.size());
        zeros(kNameField - 1 - s.size());
    }
    void ip(const IpAddress& a) {
        u8(a.family);
        zeros(3);
        bytes(a.bytes.data(), a.bytes.size());
    }
    void end(const FlowEnd& e) {
        name(e.interface);
        ip(e.local);
        u16(e.localRtpPort);
        u16(e.localRtcpPort);
        u8(e.rtcpMux ? 1 : 0);
        u8(static_cast<std::uint8_t>(e.latch));
        u16(0);
        ip(e.remote);
        u16(e.remoteRtpPort);
        u16(e.remoteRtcpPort);
        u32(e.clockRate);
    }
    void spec(const FlowSpec& s) {
        u64(s.flowId);
        u64(s.generation);
        u32(s.idleTimeoutMs);
        u32(0);
        end(s.a);
        end(s.b);
    }
    void stats(const EndStats& s) {
#define SBC_DP_PUT(field, help) u64(s.field);
        SBC_DP_END_STATS(SBC_DP_PUT)
#undef SBC_DP_PUT
    }

  private:
    std::vector<std::uint8_t>& out_;
};

// ---- reading --------------------------------------------------------------------------------

// Reads fields in order; the first problem is remembered and every later read fails, so decoders
// can read straight through and check ok() once per structure.
class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::size_t remaining() const { return in_.size() - pos_; }
    void fail(std::string what) {
        if (error_.empty()) {
            error_ = std::move(what);
        }
    }

    std::uint8_t u8(const char* what) {
        if (!need(1, what)) {
            return 0;
        }
        return in_[pos_++];
    }
    std::uint16_t u16(const char* what) {
        if (!need(2, what)) {
            return 0;
        }
        std::uint16_t v = static_cast<std::uint16_t>(in_[pos_] | (in_[pos_ + 1] << 8));
        pos_ += 2;
        return v;
    }
    std::uint32_t u32(const char* what) {
        std::uint32_t lo = u16(what);
        std::uint32_t hi = u16(what);
        return lo | (hi << 16);
    }
    std::uint64_t u64(const char* what) {
        std::uint64_t lo = u32(what);
        std::uint64_t hi = u32(what);
        return lo | (hi << 32);
    }
    void reserved(std::size_t n, const char* what) {
        if (!need(n, what)) {
            return;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (in_[pos_ + i] != 0) {
                fail(std::string("reserved bytes after ") + what + " must be zero");
            }
        }
        pos_ += n;
    }
    bool boolean(const char* what) {
        std::uint8_t v = u8(what);
        if (v > 1) {
            fail(std::string(what) + " must be 0 or 1");
        }
        return v == 1;
    }
    // A fixed 32-byte name field: length 1..31, characters from `allowed`, padding zero.
    std::string name(const char* what) {
        std::string out;
        if (!need(kNameField, what)) {
            return out;
        }
        std::size_t len = in_[pos_];
        if (len == 0 || len > kMaxInterfaceNameLength) {
            fail(std::string(what) + " length must be 1..31");
            pos_ += kNameField;
            return out;
        }
        out.assign(reinterpret_cast<const char*>(&in_[pos_ + 1]), len);
        for (std::size_t i = 1 + len; i < kNameField; ++i) {
            if (in_[pos_ + i] != 0) {
                fail(std::string(what) + " padding must be zero");
            }
        }
        pos_ += kNameField;
        return out;
    }
    std::string text(std::size_t len, const char* what) {
        std::string out;
        if (!need(len, what)) {
            return out;
        }
        out.assign(reinterpret_cast<const char*>(&in_[pos_]), len);
        pos_ += len;
        return out;
    }
    IpAddress ip(const char* what) {
        IpAddress a;
        a.family = u8(what);
        reserved(3, what);
        if (!need(16, what)) {
            return a;
        }
        std::memcpy(a.bytes.data(), &in_[pos_], 16);
        pos_ += 16;
        if (a.family != 0 && a.family != 4 && a.family != 6) {
            fail(std::string(what) + " family must be 0, 4 or 6");
        }
        std::size_t used = a.family == 6 ? 16 : a.family == 4 ? 4 : 0;
        for (std::size_t i = used; i < 16; ++i) {
            if (a.bytes[i] != 0) {
                fail(std::string(what) + " has non-zero bytes beyond its family's length");
                break;
            }
        }
        return a;
    }
    FlowEnd end(const char* which) {
        FlowEnd e;
        std::string w(which);
        e.interface = name((w + " interface").c_str());
        e.local = ip((w + " local address").c_str());
        e.localRtpPort = u16("local RTP port");
        e.localRtcpPort = u16("local RTCP port");
        std::uint8_t flags = u8("flags");
        if (flags > 1) {
            fail(w + " flags: only bit 0 (rtcp-mux) may be set");
        }
        e.rtcpMux = (flags & 1) != 0;
        std::uint8_t latch = u8("latch mode");
        if (latch > static_cast<std::uint8_t>(LatchMode::SameHost)) {
            fail(w + " latch mode must be 0 (off), 1 (any source) or 2 (same host)");
        }
        e.latch = static_cast<LatchMode>(latch);
        reserved(2, "latch mode");
        e.remote = ip((w + " remote address").c_str());
        e.remoteRtpPort = u16("remote RTP port");
        e.remoteRtcpPort = u16("remote RTCP port");
        e.clockRate = u32("clock rate");
        return e;
    }
    FlowSpec spec() {
        FlowSpec s;
        s.flowId = u64("flow id");
        s.generation = u64("generation");
        s.idleTimeoutMs = u32("idle timeout");
        reserved(4, "idle timeout");
        s.a = end("end a");
        s.b = end("end b");
        if (ok()) {
            std::string why = validate(s);
            if (!why.empty()) {
                fail(why);
            }
        }
        return s;
    }
    EndStats stats() {
        EndStats s;
#define SBC_DP_GET(field, help) s.field = u64(#field);
        SBC_DP_END_STATS(SBC_DP_GET)
#undef SBC_DP_GET
        return s;
    }

  private:
    bool need(std::size_t n, const char* what) {
        if (!ok()) {
            return false;
        }
        if (remaining() < n) {
            fail(std::string("message too short for ") + what);
            return false;
        }
        return true;
    }

    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
    std::string error_;
};

bool interfaceNameValid(const std::string& n) {
    if (n.empty() || n.size() > kMaxInterfaceNameLength) {
        return false;
    }
    for (char c : n) {
        bool okChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
        if (!okChar) {
            return false;
        }
    }
    return true;
}

bool counterNameValid(const std::string& n) {
    if (n.empty() || n.size() > kMaxCounterNameLength) {
        return false;
    }
    for (char c : n) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return true;
}

bool textValid(const std::string& t) {
    for (char c : t) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e) {
            return false;
        }
    }
    return true;
}

// A unicast address a relay can use: not unspecified, multicast, broadcast or loopback.
std::string unicastProblem(const IpAddress& a) {
    if (a.family == 4) {
        std::uint8_t b0 = a.bytes[0];
        bool zero = a.bytes[0] == 0 && a.bytes[1] == 0 && a.bytes[2] == 0 && a.bytes[3] == 0;
        bool bcast =
            a.bytes[0] == 255 && a.bytes[1] == 255 && a.bytes[2] == 255 && a.bytes[3] == 255;
        if (zero || b0 == 127 || b0 >= 224 || bcast) {
            return "must be a unicast IPv4 address (not 0.0.0.0, 127/8, multicast or broadcast)";
        }
    } else if (a.family == 6) {
        bool zero = true;
        for (auto b : a.bytes) {
            zero = zero && b == 0;
        }
        std::array<std::uint8_t, 16> loop{};
        loop[15] = 1;
        if (zero || a.bytes == loop || a.bytes[0] == 0xff) {
            return "must be a unicast IPv6 address (not ::, ::1 or multicast)";
        }
    }
    return {};
}

std::string validateEnd(const FlowEnd& e, const char* which) {
    std::string w(which);
    if (!interfaceNameValid(e.interface)) {
        return w + " interface name must be 1..31 characters of [A-Za-z0-9_.-]";
    }
    if (e.local.family != 4 && e.local.family != 6) {
        return w + " local address must be IPv4 or IPv6";
    }
    if (auto p = unicastProblem(e.local); !p.empty()) {
        return w + " local address " + p;
    }
    if (e.localRtpPort == 0) {
        return w + " local RTP port must be 1..65535";
    }
    if (e.rtcpMux && e.localRtcpPort != 0) {
        return w + " local RTCP port must be 0 with rtcp-mux";
    }
    if (!e.rtcpMux && (e.localRtcpPort == 0 || e.localRtcpPort == e.localRtpPort)) {
        return w + " local RTCP port must be set and differ from the RTP port without rtcp-mux";
    }
    if (static_cast<std::uint8_t>(e.latch) > static_cast<std::uint8_t>(LatchMode::SameHost)) {
        return w + " latch mode out of range";
    }
    if (!e.remote.isSet()) {
        if (e.remoteRtpPort != 0 || e.remoteRtcpPort != 0) {
            return w + " remote ports must be 0 while the remote address is unset";
        }
    } else {
        if (e.remote.family != 4 && e.remote.family != 6) {
            return w + " remote address family must be 4 or 6";
        }
        if (e.remote.family != e.local.family) {
            return w + " remote address family must match the local address family";
        }
        if (auto p = unicastProblem(e.remote); !p.empty()) {
            return w + " remote address " + p;
        }
        if (e.remoteRtpPort == 0) {
            return w + " remote RTP port must be 1..65535 when the remote address is set";
        }
        if (e.rtcpMux && e.remoteRtcpPort != 0) {
            return w + " remote RTCP port must be 0 with rtcp-mux";
        }
        if (!e.rtcpMux && e.remoteRtcpPort == 0 && e.remoteRtpPort == 65535) {
            return w + " remote RTCP port must be given when the RTP port is 65535";
        }
    }
    if (e.clockRate == 0 || e.clockRate > kMaxClockRate) {
        return w + " clock rate must be 1..1000000 Hz";
    }
    return {};
}

std::uint16_t rtcpPortOf(const FlowEnd& e) {
    return e.rtcpMux ? e.localRtpPort : e.localRtcpPort;
}

void encodeBody(Writer& w, const Message& m) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Hello>) {
                w.u64(v.generation);
            } else if constexpr (std::is_same_v<T, HelloReply>) {
                w.u16(v.protocolVersion);
                w.u8(static_cast<std::uint8_t>(v.interfaces.size()));
                w.u8(0);
                w.u32(v.flowCount);
                w.u32(v.flowCapacity);
                w.u32(0);
                w.u64(v.bootId);
                w.u64(v.generation);
                w.u64(v.previousGeneration);
                for (const auto& i : v.interfaces) {
                    w.name(i.name);
                    w.bytes(i.mac.data(), i.mac.size());
                    w.u16(i.mtu);
                    w.u8(static_cast<std::uint8_t>(i.addresses.size()));
                    w.zeros(7);
                    for (const auto& a : i.addresses) {
                        w.ip(a.ip);
                        w.u8(a.prefixLength);
                        w.zeros(3);
                    }
                }
            } else if constexpr (std::is_same_v<T, CreateFlow> || std::is_same_v<T, UpdateFlow>) {
                w.spec(v.spec);
            } else if constexpr (std::is_same_v<T, CreateFlowReply>) {
                w.u64(v.flowId);
                w.u8(v.reclaimed ? 1 : 0);
                w.zeros(7);
            } else if constexpr (std::is_same_v<T, UpdateFlowReply> ||
                                 std::is_same_v<T, DeleteFlow>) {
                w.u64(v.flowId);
            } else if constexpr (std::is_same_v<T, DeleteFlowReply>) {
                w.u64(v.flowId);
                w.stats(v.statsA);
                w.stats(v.statsB);
            } else if constexpr (std::is_same_v<T, ListFlows>) {
                w.u64(v.cursor);
                w.u16(v.maxCount);
                w.zeros(6);
            } else if constexpr (std::is_same_v<T, ListFlowsReply>) {
                w.u64(v.nextCursor);
                w.u16(static_cast<std::uint16_t>(v.flows.size()));
                w.zeros(6);
                for (const auto& f : v.flows) {
                    w.spec(f.spec);
                    w.stats(f.statsA);
                    w.stats(f.statsB);
                }
            } else if constexpr (std::is_same_v<T, Stats>) {
                // empty body
            } else if constexpr (std::is_same_v<T, StatsReply>) {
                w.u16(static_cast<std::uint16_t>(v.counters.size()));
                w.zeros(6);
                for (const auto& c : v.counters) {
                    w.u8(static_cast<std::uint8_t>(c.name.size()));
                    w.bytes(c.name.data(), c.name.size());
                    w.u64(c.value);
                }
            } else if constexpr (std::is_same_v<T, ResyncDone>) {
                w.u64(v.generation);
            } else if constexpr (std::is_same_v<T, ResyncDoneReply>) {
                w.u32(v.removed);
                w.u32(0);
            } else if constexpr (std::is_same_v<T, FlowIdleEvent>) {
                w.u64(v.flowId);
                w.u64(v.generation);
                w.u32(v.idleMs);
                w.u32(0);
                w.stats(v.statsA);
                w.stats(v.statsB);
            } else if constexpr (std::is_same_v<T, ErrorReply>) {
                w.u16(static_cast<std::uint16_t>(v.code));
                w.u16(static_cast<std::uint16_t>(v.text.size()));
                w.bytes(v.text.data(), v.text.size());
            }
        },
        m);
}

std::string validateInterfaces(const std::vector<InterfaceInfo>& ifs) {
    if (ifs.size() > kMaxInterfaces) {
        return "at most 16 interfaces";
    }
    std::set<std::string> names;
    for (const auto& i : ifs) {
        if (!interfaceNameValid(i.name)) {
            return "interface name must be 1..31 characters of [A-Za-z0-9_.-]";
        }
        if (!names.insert(i.name).second) {
            return "duplicate interface name '" + i.name + "'";
        }
        if (i.addresses.empty() || i.addresses.size() > kMaxAddressesPerInterface) {
            return "interface '" + i.name + "' must have 1..8 addresses";
        }
        for (const auto& a : i.addresses) {
            if (a.ip.family != 4 && a.ip.family != 6) {
                return "interface '" + i.name + "' address must be IPv4 or IPv6";
            }
            if (a.prefixLength > (a.ip.family == 4 ? 32 : 128)) {
                return "interface '" + i.name + "' prefix length out of range";
            }
        }
    }
    return {};
}

std::string validateCounters(const std::vector<Counter>& cs) {
    if (cs.size() > kMaxCounters) {
        return "at most 256 counters";
    }
    std::set<std::string> names;
    for (const auto& c : cs) {
        if (!counterNameValid(c.name)) {
            return "counter name must be 1..63 characters of [a-z0-9_]";
        }
        if (!names.insert(c.name).second) {
            return "duplicate counter '" + c.name + "'";
        }
    }
    return {};
}

// Rules a message must follow beyond its field layout; "" when valid.
std::string validateMessage(const Message& m) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Hello>) {
                return v.generation == 0 ? "generation must be non-zero" : "";
            } else if constexpr (std::is_same_v<T, HelloReply>) {
                if (v.protocolVersion == 0) {
                    return "protocol version must be non-zero";
                }
                if (v.flowCount > v.flowCapacity) {
                    return "flow count exceeds capacity";
                }
                return validateInterfaces(v.interfaces);
            } else if constexpr (std::is_same_v<T, CreateFlow> || std::is_same_v<T, UpdateFlow>) {
                return validate(v.spec);
            } else if constexpr (std::is_same_v<T, CreateFlowReply> ||
                                 std::is_same_v<T, UpdateFlowReply> ||
                                 std::is_same_v<T, DeleteFlow> ||
                                 std::is_same_v<T, DeleteFlowReply>) {
                return v.flowId == 0 ? "flow id must be non-zero" : "";
            } else if constexpr (std::is_same_v<T, ListFlows>) {
                return v.maxCount == 0 || v.maxCount > kMaxListPage ? "max count must be 1..64"
                                                                    : "";
            } else if constexpr (std::is_same_v<T, ListFlowsReply>) {
                if (v.flows.size() > kMaxListPage) {
                    return "at most 64 flows per page";
                }
                for (const auto& f : v.flows) {
                    if (auto why = validate(f.spec); !why.empty()) {
                        return why;
                    }
                }
                return "";
            } else if constexpr (std::is_same_v<T, StatsReply>) {
                return validateCounters(v.counters);
            } else if constexpr (std::is_same_v<T, ResyncDone>) {
                return v.generation == 0 ? "generation must be non-zero" : "";
            } else if constexpr (std::is_same_v<T, FlowIdleEvent>) {
                return v.flowId == 0 ? "flow id must be non-zero" : "";
            } else if constexpr (std::is_same_v<T, ErrorReply>) {
                if (errorCodeName(v.code)[0] == '?') {
                    return "unknown error code";
                }
                if (v.text.size() > kMaxErrorTextLength || !textValid(v.text)) {
                    return "error text must be at most 1024 printable ASCII characters";
                }
                return "";
            } else {
                return "";
            }
        },
        m);
}

std::optional<Message> decodeBody(MessageType type, Reader& r) {
    switch (type) {
        case MessageType::Hello:
            return Hello{r.u64("generation")};
        case MessageType::HelloReply: {
            HelloReply v;
            v.protocolVersion = r.u16("protocol version");
            std::size_t n = r.u8("interface count");
            r.reserved(1, "interface count");
            v.flowCount = r.u32("flow count");
            v.flowCapacity = r.u32("flow capacity");
            r.reserved(4, "flow capacity");
            v.bootId = r.u64("boot id");
            v.generation = r.u64("generation");
            v.previousGeneration = r.u64("previous generation");
            if (n > kMaxInterfaces) {
                r.fail("at most 16 interfaces");
            }
            for (std::size_t i = 0; i < n && r.ok(); ++i) {
                InterfaceInfo info;
                info.name = r.name("interface name");
                for (auto& b : info.mac) {
                    b = r.u8("MAC address");
                }
                info.mtu = r.u16("MTU");
                std::size_t na = r.u8("address count");
                r.reserved(7, "address count");
                if (na > kMaxAddressesPerInterface) {
                    r.fail("at most 8 addresses per interface");
                }
                for (std::size_t k = 0; k < na && r.ok(); ++k) {
                    InterfaceInfo::Address a;
                    a.ip = r.ip("interface address");
                    a.prefixLength = r.u8("prefix length");
                    r.reserved(3, "prefix length");
                    info.addresses.push_back(a);
                }
                v.interfaces.push_back(std::move(info));
            }
            return v;
        }
        case MessageType::CreateFlow:
            return CreateFlow{r.spec()};
        case MessageType::UpdateFlow:
            return UpdateFlow{r.spec()};
        case MessageType::CreateFlowReply: {
            CreateFlowReply v;
            v.flowId = r.u64("flow id");
            v.reclaimed = r.boolean("reclaimed");
            r.reserved(7, "reclaimed");
            return v;
        }
        case MessageType::UpdateFlowReply:
            return UpdateFlowReply{r.u64("flow id")};
        case MessageType::DeleteFlow:
            return DeleteFlow{r.u64("flow id")};
        case MessageType::DeleteFlowReply: {
            DeleteFlowReply v;
            v.flowId = r.u64("flow id");
            v.statsA = r.stats();
            v.statsB = r.stats();
            return v;
        }
        case MessageType::ListFlows: {
            ListFlows v;
            v.cursor = r.u64("cursor");
            v.maxCount = r.u16("max count");
            r.reserved(6, "max count");
            return v;
        }
        case MessageType::ListFlowsReply: {
            ListFlowsReply v;
            v.nextCursor = r.u64("next cursor");
            std::size_t n = r.u16("flow count");
            r.reserved(6, "flow count");
            if (n > kMaxListPage) {
                r.fail("at most 64 flows per page");
            }
            for (std::size_t i = 0; i < n && r.ok(); ++i) {
                FlowInfo f;
                f.spec = r.spec();
                f.statsA = r.stats();
                f.statsB = r.stats();
                v.flows.push_back(std::move(f));
            }
            return v;
        }
        case MessageType::Stats:
            return Stats{};
        case MessageType::StatsReply: {
            StatsReply v;
            std::size_t n = r.u16("counter count");
            r.reserved(6, "counter count");
            if (n > kMaxCounters) {
                r.fail("at most 256 counters");
            }
            for (std::size_t i = 0; i < n && r.ok(); ++i) {
                Counter c;
                std::size_t len = r.u8("counter name length");
                c.name = r.text(len, "counter name");
                c.value = r.u64("counter value");
                v.counters.push_back(std::move(c));
            }
            return v;
        }
        case MessageType::ResyncDone:
            return ResyncDone{r.u64("generation")};
        case MessageType::ResyncDoneReply: {
            ResyncDoneReply v;
            v.removed = r.u32("removed");
            r.reserved(4, "removed");
            return v;
        }
        case MessageType::FlowIdle: {
            FlowIdleEvent v;
            v.flowId = r.u64("flow id");
            v.generation = r.u64("generation");
            v.idleMs = r.u32("idle ms");
            r.reserved(4, "idle ms");
            v.statsA = r.stats();
            v.statsB = r.stats();
            return v;
        }
        case MessageType::Error: {
            ErrorReply v;
            v.code = static_cast<ErrorCode>(r.u16("error code"));
            std::size_t len = r.u16("error text length");
            if (len > kMaxErrorTextLength) {
                r.fail("error text longer than 1024 bytes");
            }
            v.text = r.text(len, "error text");
            return v;
        }
    }
    return std::nullopt;
}

bool knownType(std::uint16_t t) {
    switch (static_cast<MessageType>(t)) {
        case MessageType::Hello:
        case MessageType::CreateFlow:
        case MessageType::UpdateFlow:
        case MessageType::DeleteFlow:
        case MessageType::ListFlows:
        case MessageType::Stats:
        case MessageType::ResyncDone:
        case MessageType::HelloReply:
        case MessageType::CreateFlowReply:
        case MessageType::UpdateFlowReply:
        case MessageType::DeleteFlowReply:
        case MessageType::ListFlowsReply:
        case MessageType::StatsReply:
        case MessageType::ResyncDoneReply:
        case MessageType::FlowIdle:
        case MessageType::Error:
            return true;
    }
    return false;
}

}  // namespace

const char* errorCodeName(ErrorCode c) noexcept {
    switch (c) {
        case ErrorCode::BadMessage:
            return "bad_message";
        case ErrorCode::UnsupportedVersion:
            return "unsupported_version";
        case ErrorCode::UnknownType:
            return "unknown_type";
        case ErrorCode::HelloRequired:
            return "hello_required";
        case ErrorCode::NoSuchFlow:
            return "no_such_flow";
        case ErrorCode::FlowConflict:
            return "flow_conflict";
        case ErrorCode::TableFull:
            return "table_full";
        case ErrorCode::UnknownInterface:
            return "unknown_interface";
        case ErrorCode::AddressNotOwned:
            return "address_not_owned";
        case ErrorCode::PortInUse:
            return "port_in_use";
        case ErrorCode::StaleGeneration:
            return "stale_generation";
        case ErrorCode::Internal:
            return "internal";
    }
    return "?";
}

IpAddress IpAddress::v4(std::uint32_t hostOrder) noexcept {
    IpAddress a;
    a.family = 4;
    a.bytes[0] = static_cast<std::uint8_t>(hostOrder >> 24);
    a.bytes[1] = static_cast<std::uint8_t>(hostOrder >> 16);
    a.bytes[2] = static_cast<std::uint8_t>(hostOrder >> 8);
    a.bytes[3] = static_cast<std::uint8_t>(hostOrder);
    return a;
}

std::optional<IpAddress> IpAddress::parse(const std::string& text) {
    IpAddress a;
    if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
        a.family = 4;
        return a;
    }
    if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
        a.family = 6;
        return a;
    }
    return std::nullopt;
}

std::string IpAddress::toString() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 4) {
        inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
    } else if (family == 6) {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::string validate(const FlowSpec& s) {
    if (s.flowId == 0) {
        return "flow id must be non-zero";
    }
    if (s.generation == 0) {
        return "generation must be non-zero";
    }
    if (s.idleTimeoutMs > kMaxIdleTimeoutMs) {
        return "idle timeout must be at most 86400000 ms";
    }
    if (auto why = validateEnd(s.a, "end a"); !why.empty()) {
        return why;
    }
    if (auto why = validateEnd(s.b, "end b"); !why.empty()) {
        return why;
    }
    if (s.a.interface == s.b.interface && s.a.local == s.b.local) {
        std::uint16_t a1 = s.a.localRtpPort, a2 = rtcpPortOf(s.a);
        std::uint16_t b1 = s.b.localRtpPort, b2 = rtcpPortOf(s.b);
        if (a1 == b1 || a1 == b2 || a2 == b1 || a2 == b2) {
            return "ends a and b use the same local address and port";
        }
    }
    return {};
}

MessageType messageType(const Message& m) noexcept {
    static constexpr MessageType kTypes[] = {
        MessageType::Hello,           MessageType::HelloReply,      MessageType::CreateFlow,
        MessageType::CreateFlowReply, MessageType::UpdateFlow,      MessageType::UpdateFlowReply,
        MessageType::DeleteFlow,      MessageType::DeleteFlowReply, MessageType::ListFlows,
        MessageType::ListFlowsReply,  MessageType::Stats,           MessageType::StatsReply,
        MessageType::ResyncDone,      MessageType::ResyncDoneReply, MessageType::FlowIdle,
        MessageType::Error,
    };
    static_assert(std::size(kTypes) == std::variant_size_v<Message>);
    return kTypes[m.index()];
}

const char* messageTypeName(MessageType t) noexcept {
    switch (t) {
        case MessageType::Hello:
            return "Hello";
        case MessageType::CreateFlow:
            return "CreateFlow";
        case MessageType::UpdateFlow:
            return "UpdateFlow";
        case MessageType::DeleteFlow:
            return "DeleteFlow";
        case MessageType::ListFlows:
            return "ListFlows";
        case MessageType::Stats:
            return "Stats";
        case MessageType::ResyncDone:
            return "ResyncDone";
        case MessageType::HelloReply:
            return "HelloReply";
        case MessageType::CreateFlowReply:
            return "CreateFlowReply";
        case MessageType::UpdateFlowReply:
            return "UpdateFlowReply";
        case MessageType::DeleteFlowReply:
            return "DeleteFlowReply";
        case MessageType::ListFlowsReply:
            return "ListFlowsReply";
        case MessageType::StatsReply:
            return "StatsReply";
        case MessageType::ResyncDoneReply:
            return "ResyncDoneReply";
        case MessageType::FlowIdle:
            return "FlowIdle";
        case MessageType::Error:
            return "Error";
    }
    return "?";
}

bool isRequest(MessageType t) noexcept {
    auto v = static_cast<std::uint16_t>(t);
    return v >= 0x0001 && v <= 0x0007;
}

std::vector<std::uint8_t> encode(const Message& m, std::uint32_t seq) {
    if (auto why = validateMessage(m); !why.empty()) {
        throw std::invalid_argument(std::string("dpapi::encode ") +
                                    messageTypeName(messageType(m)) + ": " + why);
    }
    bool event = messageType(m) == MessageType::FlowIdle;
    if (event ? seq != 0 : seq == 0 && messageType(m) != MessageType::Error) {
        throw std::invalid_argument(event ? "dpapi::encode: events carry seq 0"
                                          : "dpapi::encode: seq must be non-zero");
    }
    std::vector<std::uint8_t> out;
    out.reserve(256);
    Writer w(out);
    w.u32(kMagic);
    w.u16(kProtocolVersion);
    w.u16(static_cast<std::uint16_t>(messageType(m)));
    w.u32(0);  // length, patched below
    w.u32(seq);
    encodeBody(w, m);
    if (out.size() > kMaxMessageSize) {
        throw std::invalid_argument("dpapi::encode: message larger than 65536 bytes");
    }
    auto len = static_cast<std::uint32_t>(out.size());
    for (int i = 0; i < 4; ++i) {
        out[8 + i] = static_cast<std::uint8_t>(len >> (8 * i));
    }
    return out;
}

DecodeResult decode(std::span<const std::uint8_t> datagram) {
    DecodeResult res;
    auto fail = [&](ErrorCode code, std::string text) {
        res.error.code = code;
        res.error.text = std::move(text);
        return res;
    };
    if (datagram.size() < kHeaderSize) {
        return fail(ErrorCode::BadMessage, "message shorter than the 16-byte header");
    }
    if (datagram.size() > kMaxMessageSize) {
        return fail(ErrorCode::BadMessage, "message longer than 65536 bytes");
    }
    Reader h(datagram.first(kHeaderSize));
    std::uint32_t magic = h.u32("magic");
    std::uint16_t version = h.u16("version");
    std::uint16_t type = h.u16("type");
    std::uint32_t length = h.u32("length");
    res.error.seq = h.u32("seq");
    if (magic != kMagic) {
        return fail(ErrorCode::BadMessage, "bad magic (not an sbc data-plane message)");
    }
    if (version != kProtocolVersion) {
        return fail(ErrorCode::UnsupportedVersion, "protocol version " + std::to_string(version) +
                                                       " not supported (this is " +
                                                       std::to_string(kProtocolVersion) + ")");
    }
    if (length != datagram.size()) {
        return fail(ErrorCode::BadMessage, "header length " + std::to_string(length) +
                                               " does not match the datagram size " +
                                               std::to_string(datagram.size()));
    }
    if (!knownType(type)) {
        return fail(ErrorCode::UnknownType, "unknown message type " + std::to_string(type));
    }
    auto mt = static_cast<MessageType>(type);
    // Events carry seq 0; an Error may too (answering a datagram whose seq was unreadable).
    if (mt == MessageType::FlowIdle ? res.error.seq != 0
                                    : res.error.seq == 0 && mt != MessageType::Error) {
        return fail(ErrorCode::BadMessage,
                    mt == MessageType::FlowIdle ? "events carry seq 0" : "seq must be non-zero");
    }
    Reader r(datagram.subspan(kHeaderSize));
    std::optional<Message> msg = decodeBody(mt, r);
    if (!r.ok()) {
        return fail(ErrorCode::BadMessage, std::string(messageTypeName(mt)) + ": " + r.error());
    }
    if (r.remaining() != 0) {
        return fail(ErrorCode::BadMessage, std::string(messageTypeName(mt)) + ": " +
                                               std::to_string(r.remaining()) +
                                               " unexpected bytes after the body");
    }
    if (!msg) {
        return fail(ErrorCode::UnknownType, "unknown message type " + std::to_string(type));
    }
    if (auto why = validateMessage(*msg); !why.empty()) {
        return fail(ErrorCode::BadMessage, std::string(messageTypeName(mt)) + ": " + why);
    }
    res.envelope = Envelope{res.error.seq, std::move(*msg)};
    return res;
}

}  // namespace sbc::dpapi
