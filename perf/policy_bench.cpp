// Policy figures (perf/README.md): compile + swap of a 100,000-entry ACL, and ACL / trunk lookup
// per packet. Prints median and spread of several runs; no asserts.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "controlplane/policy/acl.hpp"
#include "controlplane/policy/compile.hpp"
#include "controlplane/policy/gate.hpp"

using namespace sbc::policy;
using Clock = std::chrono::steady_clock;

namespace {

void report(const char* what, std::vector<double> v, const char* unit) {
    std::sort(v.begin(), v.end());
    std::printf("%-44s median %10.3f %s  (min %.3f, max %.3f, n=%zu)\n", what, v[v.size() / 2],
                unit, v.front(), v.back(), v.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t entries = argc > 1 ? std::stoul(argv[1]) : 100000;
    auto path = std::filesystem::temp_directory_path() / "sbc-policy-bench.yaml";
    std::mt19937 rng(42);
    {
        std::ofstream f(path);
        f << "version: 1\ntrunks:\n  - name: t\n    side: outside\n    sources: [10.0.0.0/8]\n"
          << "acl:\n  default: allow\n  rules:\n    - name: blocklist\n      action: deny\n"
          << "      sources:\n";
        for (std::size_t i = 0; i < entries; ++i) {
            if (i % 4 == 3) {
                f << "        - 2001:db8:" << std::hex << (rng() & 0xffff) << ":"
                  << (rng() & 0xffff) << "::/64\n"
                  << std::dec;
            } else {
                std::uint32_t a = rng() & 0xffffff00u;
                f << "        - " << (a >> 24) << "." << ((a >> 16) & 255) << "."
                  << ((a >> 8) & 255) << ".0/24\n";
            }
        }
    }
    std::printf("policy_bench: %zu-entry ACL, %u hardware threads\n", entries,
                std::thread::hardware_concurrency());
    std::vector<double> compile, swap;
    PolicyPtr policy;
    LocalBanStore bans(1000);
    std::unique_ptr<PolicyGate> gate;
    for (int run = 0; run < 5; ++run) {
        auto t0 = Clock::now();
        auto res = compilePolicy({path.string()});
        auto t1 = Clock::now();
        if (!res.policy) {
            for (const auto& d : res.diagnostics) {
                std::fprintf(stderr, "%s\n", d.text.c_str());
            }
            return 1;
        }
        compile.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (!gate) {
            gate = std::make_unique<PolicyGate>(res.policy, bans);
        }
        auto t2 = Clock::now();
        gate->install(res.policy);
        swap.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t2).count());
        policy = res.policy;
    }
    report("compile (YAML load + checks + tables)", compile, "ms");
    report("swap on the io thread (install)", swap, "us");
    std::printf("ranges in the compiled table: %zu\n", policy->acl.rules[0].sourceSet.ranges());

    std::vector<boost::asio::ip::address> addrs;
    for (int i = 0; i < 4096; ++i) {
        if (i % 4 == 3) {
            boost::asio::ip::address_v6::bytes_type b{};
            for (auto& x : b) {
                x = static_cast<unsigned char>(rng());
            }
            b[0] = 0x20;
            b[1] = 0x01;
            b[2] = 0x0d;
            b[3] = 0xb8;
            addrs.emplace_back(boost::asio::ip::address_v6(b));
        } else {
            addrs.emplace_back(boost::asio::ip::address_v4(rng()));
        }
    }
    std::vector<double> acl, trunk;
    volatile std::int64_t sink = 0;
    for (int run = 0; run < 7; ++run) {
        constexpr int kIter = 1000000;
        auto t0 = Clock::now();
        for (int i = 0; i < kIter; ++i) {
            sink = sink + static_cast<int>(evaluateSource(policy->acl, addrs[i & 4095]).action);
        }
        auto t1 = Clock::now();
        for (int i = 0; i < kIter; ++i) {
            sink = sink + (policy->inboundTrunk(addrs[i & 4095], 5060, Transport::Udp) != nullptr);
        }
        auto t2 = Clock::now();
        acl.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / kIter);
        trunk.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count() / kIter);
    }
    report("source ACL decision per packet", acl, "ns");
    report("inbound trunk lookup per packet", trunk, "ns");
    std::filesystem::remove(path);
    return 0;
}
