// FileCallStore: what persisting a call costs the B2BUA's io thread. Encode + write + rename of
// one record (a put), decode of one, and erase; per call and per second, on the directory given
// (default: a fresh one under /tmp; pass /var/lib/sbc/calls to measure the real disk), and the
// hand-over to AsyncCallStore that the io thread pays instead.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "controlplane/b2bua/async_call_store.hpp"
#include "controlplane/b2bua/call_store.hpp"

namespace {

using sbc::b2bua::CallRecord;

std::string gDir;

CallRecord typicalCall(std::uint64_t n) {
    CallRecord r;
    r.callNumber = n;
    r.inTrunk = "carrier";
    r.outTrunk = "core";
    for (sbc::b2bua::LegRecord* l : {&r.a, &r.b}) {
        l->callId = "3848276298220188511@198.51.100.7";
        l->localTag = "a7f3c9e2b1d04f6e";
        l->remoteTag = "as6f2b1c8d";
        l->localUri = "<sip:+4930555000@203.0.113.10>";
        l->remoteUri = "\"Caller\" <sip:+4940111222@198.51.100.7>";
        l->localCseq = 2;
        l->remoteCseq = 1;
        l->remoteTarget = "sip:+4940111222@198.51.100.7:5060;transport=udp";
        l->routeSet = {"<sip:edge1.carrier.example;lr>", "<sip:edge2.carrier.example;lr>"};
        l->listenerId = 1;
        l->listenerSide = "outside";
        l->targetAddress = "198.51.100.7";
        l->targetPort = 5060;
        l->trunk = "carrier";
    }
    r.media.policy[0] = {"outside", true, true};
    r.media.policy[1] = {"inside", true, true};
    r.media.origin[0] = {"1203948576", 1, "1", true};
    r.media.origin[1] = {"983475", 1, "1", true};
    r.media.session = (1700000000ULL << 20) + n;
    sbc::media::Stream s;
    s.a = {"outside", {"203.0.113.20", 20000},         {"198.51.100.7", 16000}, 16001,
           false,     sbc::media::LatchMode::AnySource};
    s.b = {"inside",
           {"10.0.1.20", 30000},
           {"10.0.0.50", 18000},
           18001,
           false,
           sbc::media::LatchMode::AnySource};
    r.media.streams = {s};
    r.cdr.aCallId = r.a.callId;
    r.cdr.bCallId = r.b.callId;
    r.cdr.start = sbc::b2bua::WallClock::now();
    r.cdr.answer = r.cdr.start;
    return r;
}

void BM_Encode(benchmark::State& state) {
    CallRecord r = typicalCall(1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(sbc::b2bua::encode(r));
    }
    state.counters["bytes"] = static_cast<double>(sbc::b2bua::encode(r).size());
}
BENCHMARK(BM_Encode);

void BM_Decode(benchmark::State& state) {
    std::string text = sbc::b2bua::encode(typicalCall(1));
    for (auto _ : state) {
        benchmark::DoNotOptimize(sbc::b2bua::decode(text));
    }
}
BENCHMARK(BM_Decode);

// A put of a record that changed (rewrite: tmp + rename over the old one).
void BM_Put(benchmark::State& state) {
    sbc::b2bua::FileCallStore store(gDir, 1000000);
    CallRecord r = typicalCall(1);
    for (auto _ : state) {
        ++r.a.localCseq;
        benchmark::DoNotOptimize(store.put(r));
    }
    store.erase(1);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Put);

// One call's whole life in the store: established (put), one in-dialog change (put), end (erase).
void BM_CallLifecycle(benchmark::State& state) {
    sbc::b2bua::FileCallStore store(gDir, 1000000);
    std::uint64_t n = 1;
    for (auto _ : state) {
        CallRecord r = typicalCall(n);
        store.put(r);
        ++r.b.localCseq;
        store.put(r);
        store.erase(n);
        ++n;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CallLifecycle);

// What the io thread pays with AsyncCallStore (main.cpp): handing a record to the writer.
void BM_AsyncPutHandOver(benchmark::State& state) {
    sbc::b2bua::AsyncCallStore store(std::make_unique<sbc::b2bua::FileCallStore>(gDir, 1000000),
                                     1000000);
    CallRecord r = typicalCall(1);
    for (auto _ : state) {
        ++r.a.localCseq;
        benchmark::DoNotOptimize(store.put(r));
    }
    store.erase(1);
    store.flush();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsyncPutHandOver);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (argc > 1) {
        gDir = argv[1];
    } else {
        char pattern[] = "/tmp/sbc-store-bench-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        gDir = made != nullptr ? made : "/tmp";
    }
    std::printf("state directory: %s\n", gDir.c_str());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (argc <= 1) {
        std::error_code ec;
        std::filesystem::remove_all(gDir, ec);
    }
    return 0;
}
