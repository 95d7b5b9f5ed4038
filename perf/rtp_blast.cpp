// rtp_blast: a fast RTP load generator and counting receiver for perf/media_bench.py.
// Python cannot send or count hundreds of thousands of datagrams per second; this can
// (sendmmsg/recvmmsg, batches of 64, one socket).
//
//   rtp_blast send --bind IP[:PORT] --dst IP --ports-file FILE --pps R --seconds S
//                  [--ssrc-base B] [--start-at-ms UNIX_MS]
//   rtp_blast recv --bind IP:PORT --flows N --seconds S [--ssrc-base B] [--idle-ms MS]
//
// send: flow i (line i of FILE, one destination UDP port per line) gets 172-byte RTP datagrams
// (12-byte header, PT 0, 160 bytes of G.711 silence; 214 bytes on the wire) with SSRC B + i and
// sequence numbers from 0. Flows are sent round-robin at R datagrams/s in total, paced in
// batches (at most 1 ms of lateness is sent back to back, so a stall does not become a burst).
// recv: counts datagrams per SSRC (B .. B + N - 1): received, sequence gaps, reordered, foreign.
// It stops S seconds after start, or once packets have arrived and then none for MS ms.
// Each prints one JSON line on stdout.
//
// Threading: one thread; neither mode allocates after start-up.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace {

constexpr unsigned kBatch = 64;
constexpr std::size_t kPayload = 172;

struct Options {
    std::string mode;
    std::string bind;
    std::string dst;
    std::string portsFile;
    double pps = 10000;
    double seconds = 5;
    std::uint32_t ssrcBase = 0x10000;
    std::uint64_t startAtMs = 0;
    unsigned flows = 1;
    unsigned idleMs = 1000;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "rtp_blast: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(2);
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: rtp_blast send --bind IP[:PORT] --dst IP --ports-file FILE --pps R "
                 "--seconds S [--ssrc-base B] [--start-at-ms UNIX_MS]\n"
                 "       rtp_blast recv --bind IP:PORT --flows N --seconds S [--ssrc-base B] "
                 "[--idle-ms MS]\n");
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    if (argc < 2) {
        usage();
    }
    o.mode = argv[1];
    if (o.mode == "--help" || o.mode == "-h") {
        usage();
    }
    for (int i = 2; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--bind") {
            o.bind = v;
        } else if (k == "--dst") {
            o.dst = v;
        } else if (k == "--ports-file") {
            o.portsFile = v;
        } else if (k == "--pps") {
            o.pps = std::stod(v);
        } else if (k == "--seconds") {
            o.seconds = std::stod(v);
        } else if (k == "--ssrc-base") {
            o.ssrcBase = static_cast<std::uint32_t>(std::stoul(v));
        } else if (k == "--start-at-ms") {
            o.startAtMs = std::stoull(v);
        } else if (k == "--flows") {
            o.flows = static_cast<unsigned>(std::stoul(v));
        } else if (k == "--idle-ms") {
            o.idleMs = static_cast<unsigned>(std::stoul(v));
        } else {
            usage();
        }
    }
    if ((o.mode != "send" && o.mode != "recv") || o.bind.empty() || o.pps <= 0 || o.seconds <= 0 ||
        o.flows == 0) {
        usage();
    }
    return o;
}

std::uint64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
}

// "IP" or "IP:PORT".
sockaddr_in endpoint(const std::string& s) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    auto colon = s.find(':');
    if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) {
        std::fprintf(stderr, "rtp_blast: bad address '%s'\n", s.c_str());
        std::exit(2);
    }
    if (colon != std::string::npos) {
        a.sin_port = htons(static_cast<std::uint16_t>(std::stoul(s.substr(colon + 1))));
    }
    return a;
}

int udpSocket(const sockaddr_in& local) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        die("socket");
    }
    // Root may exceed rmem_max/wmem_max: a receiver that is not scheduled for a moment must not
    // lose what the relay sent meanwhile.
    int buf = 64 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    }
    if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        die("bind");
    }
    return fd;
}

void put32(std::uint8_t* p, std::uint32_t v) {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

int sendMode(const Options& o) {
    std::vector<sockaddr_in> dsts;
    sockaddr_in base = endpoint(o.dst);
    std::ifstream f(o.portsFile);
    for (unsigned long port; f >> port;) {
        if (port == 0 || port > 65535) {
            std::fprintf(stderr, "rtp_blast: bad port %lu in %s\n", port, o.portsFile.c_str());
            return 2;
        }
        sockaddr_in d = base;
        d.sin_port = htons(static_cast<std::uint16_t>(port));
        dsts.push_back(d);
    }
    if (dsts.empty()) {
        std::fprintf(stderr, "rtp_blast: no ports in '%s'\n", o.portsFile.c_str());
        return 2;
    }
    int fd = udpSocket(endpoint(o.bind));
    std::vector<std::uint16_t> seq(dsts.size(), 0);
    std::uint8_t pkts[kBatch][kPayload];
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    for (unsigned i = 0; i < kBatch; ++i) {
        std::memset(pkts[i], 0xd5, kPayload);
        pkts[i][0] = 0x80;
        pkts[i][1] = 0;
        iov[i] = {pkts[i], kPayload};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    }
    if (o.startAtMs != 0) {
        timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        std::uint64_t realNowMs =
            std::uint64_t(rt.tv_sec) * 1000 + std::uint64_t(rt.tv_nsec) / 1000000;
        if (o.startAtMs > realNowMs) {
            std::uint64_t ns = (o.startAtMs - realNowMs) * 1000000ULL;
            timespec d{static_cast<time_t>(ns / 1000000000ULL), static_cast<long>(ns % 1000000000)};
            nanosleep(&d, nullptr);
        }
    }
    const std::uint64_t total = static_cast<std::uint64_t>(o.pps * o.seconds);
    const double nsPerPacket = 1e9 / o.pps;
    constexpr std::uint64_t kMaxLagNs = 1000000;
    const std::uint64_t begin = nowNs();
    std::uint64_t start = begin;  // moved forward when the sender falls behind (slips)
    std::uint64_t sent = 0;
    std::uint64_t errors = 0;
    std::uint64_t slips = 0;  // times the sender fell more than 1 ms behind and skipped ahead
    std::size_t next = 0;
    while (sent < total) {
        std::uint64_t now = nowNs();
        std::uint64_t due = static_cast<std::uint64_t>(double(sent) * nsPerPacket);
        if (now - start > due + kMaxLagNs) {
            start = now - due - kMaxLagNs;
            ++slips;
        }
        std::uint64_t allowed = static_cast<std::uint64_t>(double(now - start) / nsPerPacket) + 1;
        if (allowed <= sent) {
            std::uint64_t waitNs = start + due - now;
            if (waitNs > 60000) {
                timespec d{0, static_cast<long>(waitNs - 50000)};
                nanosleep(&d, nullptr);
            }
            continue;
        }
        unsigned n = static_cast<unsigned>(std::min<std::uint64_t>(
            {allowed - sent, total - sent, static_cast<std::uint64_t>(kBatch)}));
        for (unsigned i = 0; i < n; ++i) {
            std::size_t flow = next;
            next = next + 1 == dsts.size() ? 0 : next + 1;
            std::uint16_t s = seq[flow]++;
            pkts[i][2] = static_cast<std::uint8_t>(s >> 8);
            pkts[i][3] = static_cast<std::uint8_t>(s);
            put32(pkts[i] + 4, std::uint32_t{s} * 160);
            put32(pkts[i] + 8, o.ssrcBase + static_cast<std::uint32_t>(flow));
            msgs[i].msg_hdr.msg_name = &dsts[flow];
        }
        unsigned done = 0;
        while (done < n) {
            int r = sendmmsg(fd, msgs + done, n - done, 0);
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS) {
                    ++errors;
                    continue;
                }
                die("sendmmsg");
            }
            done += static_cast<unsigned>(r);
        }
        sent += n;
    }
    // The rate actually offered: over the real duration, slips included.
    double elapsed = double(nowNs() - begin) / 1e9;
    std::printf(
        "{\"sent\": %llu, \"seconds\": %.6f, \"pps\": %.1f, \"flows\": %zu, \"retries\": %llu, "
        "\"slips\": %llu}\n",
        static_cast<unsigned long long>(sent), elapsed, double(sent) / elapsed, dsts.size(),
        static_cast<unsigned long long>(errors), static_cast<unsigned long long>(slips));
    close(fd);
    return 0;
}

struct FlowCount {
    std::uint64_t received = 0;
    std::uint64_t gaps = 0;
    std::uint64_t reordered = 0;
    std::uint16_t expect = 0;
    bool started = false;
};

int recvMode(const Options& o) {
    int fd = udpSocket(endpoint(o.bind));
    timeval tv{0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::vector<FlowCount> flows(o.flows);
    static std::uint8_t bufs[kBatch][2048];
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
    for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {bufs[i], sizeof bufs[i]};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // Ready: the bench waits for this line before it starts the sender.
    std::fprintf(stderr, "rtp_blast: receiving on %s\n", o.bind.c_str());
    const std::uint64_t start = nowNs();
    const std::uint64_t end = start + static_cast<std::uint64_t>(o.seconds * 1e9);
    const std::uint64_t idleNs = std::uint64_t{o.idleMs} * 1000000;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t foreign = 0;
    std::uint64_t received = 0;
    for (;;) {
        std::uint64_t now = nowNs();
        if (now >= end || (last != 0 && now - last >= idleNs)) {
            break;
        }
        int n = recvmmsg(fd, msgs, kBatch, MSG_WAITFORONE, nullptr);
        if (n <= 0) {
            continue;
        }
        now = nowNs();
        if (first == 0) {
            first = now;
        }
        last = now;
        for (int i = 0; i < n; ++i) {
            const std::uint8_t* p = bufs[i];
            if (msgs[i].msg_len < 12 || (p[0] >> 6) != 2) {
                ++foreign;
                continue;
            }
            std::uint32_t ssrc = (std::uint32_t{p[8]} << 24) | (std::uint32_t{p[9]} << 16) |
                                 (std::uint32_t{p[10]} << 8) | p[11];
            std::uint32_t idx = ssrc - o.ssrcBase;
            if (idx >= o.flows) {
                ++foreign;
                continue;
            }
            FlowCount& c = flows[idx];
            std::uint16_t s = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
            if (!c.started) {
                c.started = true;
                c.gaps += s;
                c.expect = static_cast<std::uint16_t>(s + 1);
            } else if (s == c.expect) {
                c.expect = static_cast<std::uint16_t>(s + 1);
            } else if (static_cast<std::uint16_t>(s - c.expect) < 32768) {
                c.gaps += static_cast<std::uint16_t>(s - c.expect);
                c.expect = static_cast<std::uint16_t>(s + 1);
            } else {
                ++c.reordered;  // late: counted once as a gap already, not again
            }
            ++c.received;
            ++received;
        }
    }
    std::uint64_t gaps = 0;
    std::uint64_t reordered = 0;
    std::uint64_t silent = 0;
    for (const auto& c : flows) {
        gaps += c.gaps;
        reordered += c.reordered;
        silent += c.started ? 0 : 1;
    }
    std::printf(
        "{\"received\": %llu, \"gaps\": %llu, \"reordered\": %llu, \"foreign\": %llu, "
        "\"silent_flows\": %llu, \"active_seconds\": %.6f}\n",
        static_cast<unsigned long long>(received), static_cast<unsigned long long>(gaps),
        static_cast<unsigned long long>(reordered), static_cast<unsigned long long>(foreign),
        static_cast<unsigned long long>(silent), first != 0 ? double(last - first) / 1e9 : 0.0);
    close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    return o.mode == "send" ? sendMode(o) : recvMode(o);
}
