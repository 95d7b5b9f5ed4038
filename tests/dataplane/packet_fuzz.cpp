// Fuzz target: the packet path. Each input is split into frames (u16 length prefixes; the first
// byte of each frame picks the interface) and fed through ring-backed ports into one worker poll,
// with flows for IPv4 (separate RTCP, rtcp-mux) and IPv6 programmed and neighbours learned.
// Whatever is transmitted is drained. Crashes, sanitizer reports and mbuf leaks are failures.
#include <cstdio>
#include <cstdlib>

#include "tests/dataplane/dp_test_util.hpp"

namespace {

using namespace sbc::dataplane;
using namespace sbc::dataplane::test;

struct Harness {
    std::unique_ptr<RingPort> out;
    std::unique_ptr<RingPort> in;
    std::unique_ptr<Dataplane> dp;

    Harness() {
        initEal();
        out = std::make_unique<RingPort>("fzout");
        in = std::make_unique<RingPort>("fzin");
        DataplaneConfig cfg;
        cfg.flowCapacity = 16;
        cfg.mbufs = 4095;
        cfg.rxDescriptors = 64;
        cfg.txDescriptors = 64;
        cfg.neighbourCapacity = 16;
        InterfaceConfig o;
        o.name = "outside";
        o.device = out->name;
        o.addresses = {{*sbc::dpapi::IpAddress::parse("192.0.2.1"), 24},
                       {*sbc::dpapi::IpAddress::parse("2001:db8::1"), 64}};
        o.gateway = *sbc::dpapi::IpAddress::parse("192.0.2.254");
        InterfaceConfig i;
        i.name = "inside";
        i.device = in->name;
        i.vlan = 7;
        i.addresses = {{*sbc::dpapi::IpAddress::parse("10.0.0.1"), 24}};
        cfg.interfaces = {o, i};
        dp = std::make_unique<Dataplane>(cfg);
        dp->flows().hello(1);
        auto ip = [](const char* s) { return *sbc::dpapi::IpAddress::parse(s); };
        sbc::dpapi::FlowSpec s;
        s.flowId = 1;
        s.generation = 1;
        s.a = {"outside",
               ip("192.0.2.1"),
               20000,
               20001,
               false,
               ip("192.0.2.10"),
               4000,
               0,
               sbc::dpapi::LatchMode::AnySource,
               8000};
        s.b = {"inside",
               ip("10.0.0.1"),
               30000,
               0,
               true,
               ip("10.0.0.20"),
               5000,
               0,
               sbc::dpapi::LatchMode::SameHost,
               8000};
        dp->flows().create(s);
        s.flowId = 2;
        s.a = {"outside", ip("2001:db8::1"),          20010, 20011, false, ip("2001:db8::10"), 4010,
               0,         sbc::dpapi::LatchMode::Off, 48000};
        s.b = {"inside",
               ip("10.0.0.1"),
               30010,
               30011,
               false,
               {},
               0,
               0,
               sbc::dpapi::LatchMode::AnySource,
               8000};
        dp->flows().create(s);
        dp->worker(0).poll();
        drain(*out);
        drain(*in);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Harness h;
    static const unsigned baseline = rte_mempool_avail_count(h.dp->pool());
    std::size_t off = 0;
    unsigned frames = 0;
    while (off + 3 <= size && frames < 64) {
        std::size_t len = (std::size_t{data[off]} << 8 | data[off + 1]) % 1600;
        bool inside = data[off + 2] & 1;
        off += 3;
        len = std::min(len, size - off);
        inject(h.dp->pool(), inside ? *h.in : *h.out, Bytes(data + off, data + off + len));
        off += len;
        ++frames;
    }
    // A poll takes at most one burst per port: poll until both RX rings are empty.
    for (int i = 0; i < 8 && (rte_ring_count(h.out->rx) != 0 || rte_ring_count(h.in->rx) != 0);
         ++i) {
        h.dp->worker(0).poll();
    }
    drain(*h.out);
    drain(*h.in);
    // Every mbuf is back in the pool (avail_count includes the per-lcore caches).
    if (rte_mempool_avail_count(h.dp->pool()) != baseline) {
        std::fprintf(stderr, "mbuf leak: %u available, %u before\n",
                     rte_mempool_avail_count(h.dp->pool()), baseline);
        std::abort();
    }
    return 0;
}
