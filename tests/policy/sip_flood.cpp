// sip_flood: a paced flood of SIP INVITEs over UDP from spoofed IPv4 sources, for the flood test
// (tests/policy/flood_e2e.py). A raw socket (IP_HDRINCL) writes whole IPv4/UDP datagrams whose
// source address is drawn at random from a prefix (default 100.64.0.0/10: four million
// addresses, far more than any per-source table), in sendmmsg() batches paced to the asked rate.
// Prints one JSON line: packets sent, send errors, seconds, achieved rate.
//
// Needs CAP_NET_RAW. Test tool, not part of the product; single-threaded.
#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kBatch = 64;        // datagrams per sendmmsg()
constexpr std::size_t kTemplates = 4096;  // distinct prebuilt datagrams, sources rewritten per send

struct Options {
    std::string dst = "127.0.0.1";
    std::uint16_t port = 5060;
    double rate = 25000;
    double seconds = 10;
    std::uint32_t srcBase = 0x64400000;  // 100.64.0.0
    std::uint32_t srcBits = 22;          // random low bits of the source (/10)
};

void usage() {
    std::fputs(
        "usage: sip_flood --dst IPV4 [--port N] [--rate PPS] [--seconds S] [--sources "
        "A.B.C.D/LEN]\n"
        "Sends SIP INVITEs over UDP from random spoofed sources in the prefix (default\n"
        "100.64.0.0/10) at the given rate (default 25000/s) for S seconds (default 10).\n"
        "Prints {\"sent\":N,\"errors\":N,\"seconds\":S,\"rate\":R}. Needs CAP_NET_RAW.\n",
        stderr);
}

bool parseArgs(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            usage();
            std::exit(0);
        }
        if (i + 1 >= argc) {
            return false;
        }
        std::string v = argv[++i];
        if (a == "--dst") {
            o.dst = v;
        } else if (a == "--port") {
            o.port = static_cast<std::uint16_t>(std::stoi(v));
        } else if (a == "--rate") {
            o.rate = std::stod(v);
        } else if (a == "--seconds") {
            o.seconds = std::stod(v);
        } else if (a == "--sources") {
            auto slash = v.find('/');
            in_addr base{};
            if (slash == std::string::npos ||
                inet_pton(AF_INET, v.substr(0, slash).c_str(), &base) != 1) {
                return false;
            }
            int len = std::stoi(v.substr(slash + 1));
            if (len < 8 || len > 32) {
                return false;
            }
            o.srcBits = static_cast<std::uint32_t>(32 - len);
            o.srcBase = ntohl(base.s_addr) & (o.srcBits == 32 ? 0 : ~((1u << o.srcBits) - 1));
        } else {
            return false;
        }
    }
    return o.rate > 0 && o.seconds > 0;
}

// One IPv4/UDP datagram carrying an INVITE (RFC 3261 §8.1.1 minimum headers). The kernel fills
// the IPv4 checksum for IP_HDRINCL; the UDP checksum is 0 (none, RFC 768).
std::vector<std::uint8_t> datagram(std::size_t i, in_addr dst, std::uint16_t port) {
    char host[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &dst, host, sizeof host);
    std::string sip = "INVITE sip:+4930" + std::to_string(100000 + i) + "@" + host +
                      " SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKfl" +
                      std::to_string(i) +
                      "\r\nMax-Forwards: 70\r\nFrom: <sip:flood@198.18.0.1>;tag=f" +
                      std::to_string(i) + "\r\nTo: <sip:+4930" + std::to_string(100000 + i) + "@" +
                      host + ">\r\nCall-ID: flood-" + std::to_string(i) +
                      "@198.18.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:flood@198.18.0.1>\r\n"
                      "User-Agent: load-gen\r\nContent-Length: 0\r\n\r\n";
    std::vector<std::uint8_t> out(sizeof(iphdr) + sizeof(udphdr) + sip.size());
    auto* ip = reinterpret_cast<iphdr*>(out.data());
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->tot_len = htons(static_cast<std::uint16_t>(out.size()));
    ip->daddr = dst.s_addr;
    auto* udp = reinterpret_cast<udphdr*>(out.data() + sizeof(iphdr));
    udp->source = htons(static_cast<std::uint16_t>(1024 + i % 60000));
    udp->dest = htons(port);
    udp->len = htons(static_cast<std::uint16_t>(sizeof(udphdr) + sip.size()));
    std::memcpy(out.data() + sizeof(iphdr) + sizeof(udphdr), sip.data(), sip.size());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    try {
        if (!parseArgs(argc, argv, o)) {
            usage();
            return 2;
        }
    } catch (const std::exception&) {
        usage();
        return 2;
    }
    in_addr dst{};
    if (inet_pton(AF_INET, o.dst.c_str(), &dst) != 1) {
        std::fprintf(stderr, "sip_flood: bad --dst %s\n", o.dst.c_str());
        return 2;
    }
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // implies IP_HDRINCL
    if (fd < 0) {
        std::fprintf(stderr, "sip_flood: raw socket: %s\n", std::strerror(errno));
        return 1;
    }
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    std::vector<std::vector<std::uint8_t>> templates;
    templates.reserve(kTemplates);
    for (std::size_t i = 0; i < kTemplates; ++i) {
        templates.push_back(datagram(i, dst, o.port));
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr = dst;
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> msgs{};
    std::mt19937 rng(static_cast<std::uint32_t>(::getpid()));
    std::uint32_t mask = o.srcBits == 32 ? 0xffffffffu : (1u << o.srcBits) - 1;

    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.seconds));
    const double perBatchNs = 1e9 * static_cast<double>(kBatch) / o.rate;
    std::uint64_t sent = 0;
    std::uint64_t errors = 0;
    std::uint64_t batches = 0;
    std::size_t next = 0;
    for (;;) {
        auto now = Clock::now();
        if (now >= end) {
            break;
        }
        // Paced: batch k leaves at start + k * perBatch (no catching up after a stall beyond 1 s).
        auto due =
            start + std::chrono::nanoseconds(static_cast<std::int64_t>(perBatchNs * batches));
        if (due > now) {
            std::this_thread::sleep_until(due);
        } else if (now - due > std::chrono::seconds(1)) {
            batches = static_cast<std::uint64_t>(
                std::chrono::duration<double, std::nano>(now - start).count() / perBatchNs);
        }
        for (std::size_t k = 0; k < kBatch; ++k) {
            std::vector<std::uint8_t>& d = templates[next];
            next = (next + 1) % kTemplates;
            reinterpret_cast<iphdr*>(d.data())->saddr = htonl(o.srcBase | (rng() & mask));
            iov[k] = {d.data(), d.size()};
            msgs[k].msg_hdr = {};
            msgs[k].msg_hdr.msg_name = &to;
            msgs[k].msg_hdr.msg_namelen = sizeof to;
            msgs[k].msg_hdr.msg_iov = &iov[k];
            msgs[k].msg_hdr.msg_iovlen = 1;
        }
        int n = sendmmsg(fd, msgs.data(), kBatch, 0);
        if (n < 0) {
            ++errors;  // ENOBUFS and the like: the batch is lost, pacing goes on
        } else {
            sent += static_cast<std::uint64_t>(n);
            errors += kBatch - static_cast<std::size_t>(n);
        }
        ++batches;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("{\"sent\":%llu,\"errors\":%llu,\"seconds\":%.3f,\"rate\":%.0f}\n",
                static_cast<unsigned long long>(sent), static_cast<unsigned long long>(errors),
                seconds, static_cast<double>(sent) / seconds);
    close(fd);
    return 0;
}
