#include "dataplane/control_server.hpp"

#include <poll.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sbc::dataplane {

using dpapi::ErrorCode;

namespace {
constexpr std::size_t kMaxBatch = 64;  // datagrams taken from one session per turn
}  // namespace

ControlServer::ControlServer(Dataplane& dp, std::string path) : dp_(dp), path_(std::move(path)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
        throw std::runtime_error("control socket path must be 1..107 characters");
    }
    std::memcpy(addr.sun_path, path_.data(), path_.size());
    listenFd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listenFd_ < 0) {
        throw std::runtime_error(std::string("control socket: ") + std::strerror(errno));
    }
    ::unlink(path_.c_str());
    // Only the owner (the sbc service user) may connect: the socket is created 0600.
    mode_t old = ::umask(0177);
    int rc = ::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc != 0 || ::listen(listenFd_, 8) != 0) {
        std::string e = std::strerror(errno);
        ::close(listenFd_);
        throw std::runtime_error("control socket " + path_ + ": " + e);
    }
    ::chmod(path_.c_str(), 0600);
}

ControlServer::~ControlServer() {
    stop();
    for (auto& s : sessions_) {
        ::close(s.fd);
    }
    ::close(listenFd_);
    ::unlink(path_.c_str());
}

void ControlServer::start() {
    if (rte_ctrl_thread_create(&thread_, "sbc-control", nullptr, &ControlServer::threadMain,
                               this) != 0) {
        throw std::runtime_error("cannot create the control thread");
    }
    started_ = true;
}

void ControlServer::stop() {
    if (started_) {
        stop_ = true;
        pthread_join(thread_, nullptr);
        started_ = false;
    }
}

void* ControlServer::threadMain(void* self) {
    static_cast<ControlServer*>(self)->run();
    return nullptr;
}

dpapi::Message ControlServer::dispatch(Session& session, const dpapi::Message& m) {
    FlowTable& flows = dp_.flows();
    dpapi::MessageType type = dpapi::messageType(m);
    if (!dpapi::isRequest(type)) {
        ++flows.counters().control_errors;
        return dpapi::ErrorReply{ErrorCode::UnknownType,
                                 std::string(dpapi::messageTypeName(type)) + " is not a request"};
    }
    if (!session.hello && type != dpapi::MessageType::Hello) {
        ++flows.counters().control_errors;
        return dpapi::ErrorReply{ErrorCode::HelloRequired, "send Hello first"};
    }
    return std::visit(
        [&](const auto& v) -> dpapi::Message {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, dpapi::Hello>) {
                session.hello = true;
                return flows.hello(v.generation);
            } else if constexpr (std::is_same_v<T, dpapi::CreateFlow>) {
                return flows.create(v.spec);
            } else if constexpr (std::is_same_v<T, dpapi::UpdateFlow>) {
                return flows.update(v.spec);
            } else if constexpr (std::is_same_v<T, dpapi::DeleteFlow>) {
                return flows.remove(v.flowId);
            } else if constexpr (std::is_same_v<T, dpapi::ListFlows>) {
                return flows.list(v);
            } else if constexpr (std::is_same_v<T, dpapi::Stats>) {
                return dp_.stats();
            } else if constexpr (std::is_same_v<T, dpapi::ResyncDone>) {
                return flows.resyncDone(v.generation);
            } else {
                return dpapi::ErrorReply{ErrorCode::UnknownType, "not a request"};
            }
        },
        m);
}

std::vector<std::uint8_t> ControlServer::handle(Session& session,
                                                std::span<const std::uint8_t> datagram) {
    FlowTable& flows = dp_.flows();
    ++flows.counters().control_requests;
    dpapi::DecodeResult res = dpapi::decode(datagram);
    if (!res.ok()) {
        ++flows.counters().control_malformed;
        ++flows.counters().control_errors;
        return dpapi::encode(
            dpapi::ErrorReply{res.error.code, res.error.text.substr(0, dpapi::kMaxErrorTextLength)},
            res.error.seq);
    }
    dpapi::Message reply = dispatch(session, res.envelope->message);
    try {
        return dpapi::encode(reply, res.envelope->seq);
    } catch (const std::invalid_argument& e) {
        // Our own reply failed validation: a bug, answered rather than sent malformed.
        return dpapi::encode(dpapi::ErrorReply{ErrorCode::Internal, "reply not encodable"},
                             res.envelope->seq);
    }
}

std::vector<std::vector<std::uint8_t>> ControlServer::handleBatch(
    Session& session, const std::vector<std::vector<std::uint8_t>>& datagrams) {
    std::vector<std::vector<std::uint8_t>> replies(datagrams.size());
    std::vector<std::uint64_t> ids;
    std::vector<std::uint32_t> seqs;
    std::vector<std::size_t> where;
    auto flushDeletes = [&] {
        if (ids.empty()) {
            return;
        }
        auto results = dp_.flows().removeMany(ids);
        for (std::size_t k = 0; k < ids.size(); ++k) {
            replies[where[k]] = dpapi::encode(results[k], seqs[k]);
        }
        ids.clear();
        seqs.clear();
        where.clear();
    };
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        if (session.hello) {
            dpapi::DecodeResult res = dpapi::decode(datagrams[i]);
            if (res.ok() && std::holds_alternative<dpapi::DeleteFlow>(res.envelope->message)) {
                ++dp_.flows().counters().control_requests;
                ids.push_back(std::get<dpapi::DeleteFlow>(res.envelope->message).flowId);
                seqs.push_back(res.envelope->seq);
                where.push_back(i);
                continue;
            }
        }
        flushDeletes();
        replies[i] = handle(session, datagrams[i]);
    }
    flushDeletes();
    return replies;
}

std::vector<std::vector<std::uint8_t>> ControlServer::idleEvents() {
    std::vector<std::vector<std::uint8_t>> out;
    for (const auto& ev : dp_.flows().scanIdle(rte_rdtsc())) {
        out.push_back(dpapi::encode(ev, 0));
    }
    return out;
}

void ControlServer::run() {
    std::vector<std::uint8_t> buf(dpapi::kMaxMessageSize + 1);
    std::uint64_t nextScan = 0;
    const std::uint64_t hz = rte_get_tsc_hz();
    while (!stop_) {
        std::vector<pollfd> fds;
        fds.push_back({listenFd_, POLLIN, 0});
        for (const auto& s : sessions_) {
            fds.push_back({s.fd, POLLIN, 0});
        }
        int n = ::poll(fds.data(), fds.size(), 100);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n > 0 && (fds[0].revents & POLLIN)) {
            int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd >= 0) {
                if (sessions_.size() >= kMaxControlSessions) {
                    ::close(fd);
                } else {
                    // A client that stops reading must not stall the control thread.
                    timeval tv{1, 0};
                    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
                    sessions_.push_back({fd, false});
                    ++dp_.flows().counters().control_connections;
                }
            }
        }
        for (std::size_t i = 1; n > 0 && i < fds.size(); ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            Session& s = sessions_[i - 1];
            // Serve what is queued on this session now, without blocking.
            // Take what is queued (bounded), answer it in order.
            std::vector<std::vector<std::uint8_t>> batch;
            bool closed = false;
            while (batch.size() < kMaxBatch) {
                ssize_t len = ::recv(s.fd, buf.data(), buf.size(), MSG_DONTWAIT);
                if (len <= 0) {
                    closed = len == 0 || (errno != EAGAIN && errno != EINTR);
                    break;
                }
                batch.emplace_back(buf.begin(), buf.begin() + len);
            }
            for (const auto& reply : handleBatch(s, batch)) {
                if (::send(s.fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) {
                    closed = true;
                    break;
                }
            }
            if (closed) {
                ::close(s.fd);
                s.fd = -1;
            }
        }
        std::erase_if(sessions_, [](const Session& s) { return s.fd < 0; });
        std::uint64_t now = rte_rdtsc();
        if (now >= nextScan) {
            nextScan = now + hz;  // idle flows are reported within a second of their timeout
            for (const auto& ev : idleEvents()) {
                for (auto& s : sessions_) {
                    if (s.hello) {
                        ::send(s.fd, ev.data(), ev.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                    }
                }
            }
        }
    }
}

}  // namespace sbc::dataplane
