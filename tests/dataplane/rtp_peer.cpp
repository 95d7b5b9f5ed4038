// rtp_peer: one side of RTP calls for the data-plane integration test. Opens N real UDP sockets,
// sends each stream's RTP at a fixed rate to its relay port and receives what the relay sends
// back on the same sockets (symmetric RTP), then prints one JSON line of what it saw.
//
//   rtp_peer --bind IP --bind-port P --bind-step S --peer IP --peer-port Q --peer-step T
//            --streams N --pps R --seconds SEC [--linger-ms MS] [--ssrc-base B]
//            [--start-at-ms UNIX_MS]
//
// Stream i: local (IP, P + i*S) <-> relay (peer IP, Q + i*T). Received packets are checked:
// source must be the stream's relay address and port, RTP version 2; per stream the sequence
// numbers must be contiguous from 0 (gaps and reordering are reported).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
    std::string bind;
    int bindPort = 0;
    int bindStep = 2;
    std::string peer;
    int peerPort = 0;
    int peerStep = 2;
    int streams = 1;
    int pps = 50;
    double seconds = 1;
    int lingerMs = 1500;
    std::uint32_t ssrcBase = 0x10000;
    std::uint64_t startAtMs = 0;  // Unix time (ms) to start sending; 0 = now
};

struct Stream {
    int fd = -1;
    sockaddr_in relay{};
    std::uint16_t nextSeq = 0;
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t gaps = 0;
    std::uint64_t reordered = 0;
    std::uint64_t badSource = 0;
    bool started = false;
    std::uint16_t expectSeq = 0;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "rtp_peer: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--bind") {
            o.bind = v;
        } else if (k == "--bind-port") {
            o.bindPort = std::stoi(v);
        } else if (k == "--bind-step") {
            o.bindStep = std::stoi(v);
        } else if (k == "--peer") {
            o.peer = v;
        } else if (k == "--peer-port") {
            o.peerPort = std::stoi(v);
        } else if (k == "--peer-step") {
            o.peerStep = std::stoi(v);
        } else if (k == "--streams") {
            o.streams = std::stoi(v);
        } else if (k == "--pps") {
            o.pps = std::stoi(v);
        } else if (k == "--seconds") {
            o.seconds = std::stod(v);
        } else if (k == "--linger-ms") {
            o.lingerMs = std::stoi(v);
        } else if (k == "--start-at-ms") {
            o.startAtMs = std::stoull(v);
        } else if (k == "--ssrc-base") {
            o.ssrcBase = static_cast<std::uint32_t>(std::stoul(v));
        } else {
            std::fprintf(stderr, "rtp_peer: unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    return o;
}

std::uint64_t nowNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1000000000ULL + std::uint64_t(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    std::vector<Stream> streams(static_cast<std::size_t>(o.streams));
    int ep = epoll_create1(0);
    for (int i = 0; i < o.streams; ++i) {
        Stream& s = streams[static_cast<std::size_t>(i)];
        s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (s.fd < 0) {
            die("socket");
        }
        // A receiver that the scheduler leaves aside for a moment must not lose packets in its
        // socket buffer (root may exceed rmem_max; others get rmem_max).
        int buf = 4 << 20;
        if (setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) != 0) {
            setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        }
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_port = htons(static_cast<std::uint16_t>(o.bindPort + i * o.bindStep));
        inet_pton(AF_INET, o.bind.c_str(), &local.sin_addr);
        if (bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            die("bind");
        }
        s.relay.sin_family = AF_INET;
        s.relay.sin_port = htons(static_cast<std::uint16_t>(o.peerPort + i * o.peerStep));
        inet_pton(AF_INET, o.peer.c_str(), &s.relay.sin_addr);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
    }
    const std::uint64_t perStream = static_cast<std::uint64_t>(o.pps * o.seconds);
    const std::uint64_t intervalNs = 1000000000ULL / static_cast<std::uint64_t>(o.pps);
    // Streams are spread evenly over the packet interval.
    // Both sides bind all their sockets before either sends (a packet arriving before its
    // socket exists would be lost), then start together at --start-at-ms.
    std::uint64_t start = nowNs() + 10000000ULL;
    if (o.startAtMs != 0) {
        timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        std::uint64_t realNowMs =
            std::uint64_t(rt.tv_sec) * 1000 + std::uint64_t(rt.tv_nsec) / 1000000;
        if (o.startAtMs > realNowMs) {
            start = nowNs() + (o.startAtMs - realNowMs) * 1000000ULL;
        }
    }
    // The run ends once everything is sent and nothing has arrived for the linger time (the
    // other side may finish later than this one when the machine is busy).
    const std::uint64_t lingerNs = std::uint64_t(o.lingerMs) * 1000000;
    std::uint64_t lastActivity = start;
    std::uint64_t nextRound = start;
    std::uint64_t round = 0;
    std::vector<std::uint8_t> pkt(172, 0xd5);
    std::uint8_t rx[2048];
    // Sends are spread evenly: stream i of round r goes at start + (r*N + i) * interval / N, so
    // the wire sees a steady rate rather than a burst of N packets per interval.
    const std::uint64_t total = perStream * streams.size();
    std::uint64_t k = 0;  // next send index
    for (;;) {
        std::uint64_t now = nowNs();
        bool sentAny = false;
        // After a stall (the process was not scheduled) resume at the nominal rate instead of
        // bursting everything that is late: at most 20 ms worth of packets go back to back.
        constexpr std::uint64_t kMaxLagNs = 20000000;
        if (k < total && now > start + k * intervalNs / streams.size() + kMaxLagNs) {
            start = now - kMaxLagNs - k * intervalNs / streams.size();
        }
        while (k < total && now >= start + k * intervalNs / streams.size()) {
            Stream& s = streams[k % streams.size()];
            round = k / streams.size();
            std::uint32_t ssrc = o.ssrcBase + static_cast<std::uint32_t>(k % streams.size());
            std::uint32_t ts = static_cast<std::uint32_t>(round * 160);
            pkt[0] = 0x80;
            pkt[1] = 0;
            pkt[2] = static_cast<std::uint8_t>(s.nextSeq >> 8);
            pkt[3] = static_cast<std::uint8_t>(s.nextSeq);
            for (int b = 0; b < 4; ++b) {
                pkt[4 + b] = static_cast<std::uint8_t>(ts >> (24 - 8 * b));
                pkt[8 + b] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * b));
            }
            ssize_t n;
            do {
                n = sendto(s.fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&s.relay),
                           sizeof s.relay);
            } while (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOBUFS));
            if (n < 0) {
                die("sendto");
            }
            ++s.nextSeq;
            ++s.sent;
            ++k;
            sentAny = true;
        }
        if (sentAny) {
            lastActivity = now;
        }
        nextRound = k < total ? start + k * intervalNs / streams.size() : lastActivity + lingerNs;
        if (k == total && now >= lastActivity + lingerNs) {
            break;
        }
        std::uint64_t waitUntil = nextRound;
        int timeoutMs = static_cast<int>((waitUntil > now ? waitUntil - now : 0) / 1000000);
        epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, std::min(timeoutMs, 1));
        for (int e = 0; e < n; ++e) {
            Stream& s = streams[evs[e].data.u32];
            for (;;) {
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                ssize_t len =
                    recvfrom(s.fd, rx, sizeof rx, 0, reinterpret_cast<sockaddr*>(&from), &fl);
                if (len < 0) {
                    break;
                }
                if (from.sin_addr.s_addr != s.relay.sin_addr.s_addr ||
                    from.sin_port != s.relay.sin_port || len < 12 || (rx[0] >> 6) != 2) {
                    ++s.badSource;
                    continue;
                }
                std::uint16_t seq = static_cast<std::uint16_t>((rx[2] << 8) | rx[3]);
                if (!s.started) {
                    s.started = true;
                    if (seq != 0) {
                        s.gaps += seq;
                    }
                } else if (seq != s.expectSeq) {
                    if (static_cast<std::uint16_t>(seq - s.expectSeq) < 32768) {
                        s.gaps += static_cast<std::uint16_t>(seq - s.expectSeq);
                    } else {
                        ++s.reordered;
                    }
                }
                s.expectSeq = static_cast<std::uint16_t>(seq + 1);
                ++s.received;
                lastActivity = nowNs();
            }
        }
    }
    std::uint64_t sent = 0, received = 0, gaps = 0, reordered = 0, bad = 0;
    std::uint64_t minReceived = UINT64_MAX;
    for (const auto& s : streams) {
        sent += s.sent;
        received += s.received;
        gaps += s.gaps;
        reordered += s.reordered;
        bad += s.badSource;
        minReceived = std::min(minReceived, s.received);
        close(s.fd);
    }
    std::printf(
        "{\"streams\": %d, \"sent\": %llu, \"received\": %llu, \"min_received_per_stream\": "
        "%llu, \"gaps\": %llu, \"reordered\": %llu, \"bad_source\": %llu}\n",
        o.streams, static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
        static_cast<unsigned long long>(minReceived), static_cast<unsigned long long>(gaps),
        static_cast<unsigned long long>(reordered), static_cast<unsigned long long>(bad));
    return 0;
}
