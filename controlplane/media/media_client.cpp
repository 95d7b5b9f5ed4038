#include "controlplane/media/media_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <stdexcept>

namespace sbc::media {

namespace dp = sbc::dpapi;
using SeqSocket = boost::asio::generic::seq_packet_protocol;

namespace {

std::uint64_t wallMicros() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

// Boost 1.74 has no local::seq_packet_protocol: a generic endpoint over a sockaddr_un.
SeqSocket::endpoint unixEndpoint(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    return SeqSocket::endpoint(&addr, sizeof addr, 0);
}

MediaStats toMediaStats(const dp::EndStats& s) {
    return MediaStats{s.packets + s.rtcpPackets, s.bytes + s.rtcpBytes, s.lost};
}

}  // namespace

MediaClient::MediaClient(boost::asio::io_context& io, MediaClientConfig config)
    : io_(io),
      config_(std::move(config)),
      socket_(io),
      reconnectTimer_(io),
      readBuf_(dp::kMaxMessageSize),
      // Session ids grow from the start time, so ids (and flow ids) of a restarted sbc never
      // collide with flows an earlier instance left in the data plane.
      nextSession_((wallMicros() / 1000000) << 20) {
    for (const auto& s : config_.sides) {
        if (s.name.empty() || s.name.size() > dp::kMaxInterfaceNameLength) {
            throw std::invalid_argument("media side name must be 1..31 characters");
        }
        auto addr = dp::IpAddress::parse(s.address);
        if (!addr) {
            throw std::invalid_argument("media side " + s.name + ": bad address " + s.address);
        }
        Side side{s, *addr, PortPool(s.firstPort, s.lastPort)};
        if (side.pool.capacity() == 0) {
            throw std::invalid_argument("media side " + s.name + ": empty port range");
        }
        sides_.push_back(std::move(side));
    }
}

MediaClient::~MediaClient() {
    *alive_ = false;
    stop();
}

void MediaClient::start() {
    stopped_ = false;
    connect();
}

void MediaClient::stop() {
    stopped_ = true;
    reconnectTimer_.cancel();
    boost::system::error_code ec;
    socket_.close(ec);
    open_ = ready_ = false;
    writing_ = false;
    queue_.clear();
    pending_.clear();
}

MediaClient::Side* MediaClient::side(const std::string& name) {
    for (auto& s : sides_) {
        if (s.config.name == name) {
            return &s;
        }
    }
    return nullptr;
}

std::vector<std::pair<std::string, std::size_t>> MediaClient::freePorts() const {
    std::vector<std::pair<std::string, std::size_t>> out;
    for (const auto& s : sides_) {
        out.emplace_back(s.config.name, s.pool.available());
    }
    return out;
}

bool MediaClient::allocateEnd(StreamEnd& end) {
    Side* s = side(end.side);
    if (s == nullptr) {
        return false;
    }
    auto port = s->pool.allocate();
    if (!port) {
        return false;
    }
    end.local.ip = s->config.address;
    end.local.port = *port;
    return true;
}

void MediaClient::freeEnd(const StreamEnd& end) {
    if (Side* s = side(end.side); s != nullptr && end.local.port != 0) {
        s->pool.release(end.local.port);
    }
}

std::optional<SessionId> MediaClient::allocate(std::vector<Stream>& streams) {
    if (!ready_ || streams.empty() || streams.size() > 255) {
        ++stats_.allocationsRefused;
        return std::nullopt;
    }
    std::size_t done = 0;
    for (; done < streams.size(); ++done) {
        if (!allocateEnd(streams[done].a)) {
            break;
        }
        if (!allocateEnd(streams[done].b)) {
            freeEnd(streams[done].a);
            break;
        }
    }
    if (done != streams.size()) {
        for (std::size_t i = 0; i < done; ++i) {
            freeEnd(streams[i].a);
            freeEnd(streams[i].b);
        }
        for (auto& s : streams) {
            s.a.local = {};
            s.b.local = {};
        }
        ++stats_.allocationsRefused;
        return std::nullopt;
    }
    SessionId id = nextSession_++;
    sessions_[id].streams = streams;
    ++stats_.sessionsAllocated;
    for (std::size_t i = 0; i < streams.size(); ++i) {
        programFlow(id, i, true);
    }
    return id;
}

bool MediaClient::adopt(SessionId id, const std::vector<Stream>& streams) {
    if (id == 0 || sessions_.count(id) != 0 || streams.empty() || streams.size() > 255) {
        return false;
    }
    std::vector<std::pair<Side*, std::uint16_t>> taken;
    auto take = [&](const StreamEnd& e) {
        Side* s = side(e.side);
        if (s == nullptr || e.local.ip != s->config.address || !s->pool.reserve(e.local.port)) {
            return false;
        }
        taken.emplace_back(s, e.local.port);
        return true;
    };
    for (const auto& st : streams) {
        if (!take(st.a) || !take(st.b)) {
            for (auto& [s, port] : taken) {
                s->pool.release(port);
            }
            return false;
        }
    }
    sessions_[id].streams = streams;
    nextSession_ = std::max(nextSession_, id + 1);
    for (std::size_t i = 0; i < streams.size(); ++i) {
        programFlow(id, i, true);
    }
    return true;
}

bool MediaClient::addStreams(SessionId id, std::vector<Stream>& streams) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.streams.size() + streams.size() > 255) {
        return false;
    }
    std::size_t done = 0;
    for (; done < streams.size(); ++done) {
        if (!allocateEnd(streams[done].a)) {
            break;
        }
        if (!allocateEnd(streams[done].b)) {
            freeEnd(streams[done].a);
            break;
        }
    }
    if (done != streams.size()) {
        for (std::size_t i = 0; i < done; ++i) {
            freeEnd(streams[i].a);
            freeEnd(streams[i].b);
        }
        ++stats_.allocationsRefused;
        return false;
    }
    std::size_t first = it->second.streams.size();
    it->second.streams.insert(it->second.streams.end(), streams.begin(), streams.end());
    for (std::size_t i = first; i < it->second.streams.size(); ++i) {
        programFlow(id, i, true);
    }
    return true;
}

bool MediaClient::update(SessionId id, const std::vector<Stream>& streams) {
    auto it = sessions_.find(id);
    if (it == sessions_.end() || streams.size() != it->second.streams.size()) {
        return false;
    }
    for (std::size_t i = 0; i < streams.size(); ++i) {
        Stream& cur = it->second.streams[i];
        // The locals are ours: only what the peers announced may change.
        for (auto [dst, src] :
             {std::pair{&cur.a, &streams[i].a}, std::pair{&cur.b, &streams[i].b}}) {
            dst->remote = src->remote;
            dst->remoteRtcpPort = src->remoteRtcpPort;
            dst->rtcpMux = src->rtcpMux;
            dst->latch = src->latch;
        }
        programFlow(id, i, false);
    }
    return true;
}

std::vector<MediaStats> MediaClient::release(SessionId id) {
    std::vector<MediaStats> out;
    release(id, [&out](std::vector<MediaStats> s) { out = std::move(s); });
    return out;  // the counters known now (final ones arrive with the DeleteFlow replies)
}

void MediaClient::release(SessionId id, StatsHandler done) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        done({});
        return;
    }
    Session session = std::move(it->second);
    sessions_.erase(it);
    ++stats_.sessionsReleased;
    for (const auto& s : session.streams) {
        freeEnd(s.a);
        freeEnd(s.b);
    }
    // Collect the final counters of every stream; answer when all replies are in (a failed
    // request counts as answered, with what is known).
    struct Collect {
        std::vector<MediaStats> stats;
        std::size_t waiting = 0;
        StatsHandler done;
    };
    auto c = std::make_shared<Collect>();
    c->stats.resize(session.streams.size() * 2);
    for (std::size_t i = 0; i < session.lastStats.size() && i < c->stats.size(); ++i) {
        c->stats[i] = session.lastStats[i];
    }
    c->done = std::move(done);
    if (!ready_) {
        // The data plane will drop the flows at the next ResyncDone: nothing to ask.
        auto d = std::move(c->done);
        d(std::move(c->stats));
        return;
    }
    c->waiting = session.streams.size();
    for (std::size_t i = 0; i < session.streams.size(); ++i) {
        ++stats_.flowsDeleted;
        send(dp::DeleteFlow{flowIdOf(id, i)}, [c, i](const dp::Message* reply) {
            if (reply != nullptr) {
                if (const auto* r = std::get_if<dp::DeleteFlowReply>(reply)) {
                    c->stats[2 * i] = toMediaStats(r->statsA);
                    c->stats[2 * i + 1] = toMediaStats(r->statsB);
                }
            }
            if (--c->waiting == 0) {
                auto d = std::move(c->done);
                d(std::move(c->stats));
            }
        });
    }
}

std::optional<dp::FlowSpec> MediaClient::specOf(SessionId id, std::size_t index,
                                                const Stream& s) const {
    dp::FlowSpec spec;
    spec.flowId = flowIdOf(id, index);
    spec.generation = generation_;
    spec.idleTimeoutMs = config_.idleTimeoutMs;
    auto end = [](const StreamEnd& e, dp::FlowEnd& out) {
        out.interface = e.side;
        out.local = dp::IpAddress::parse(e.local.ip).value_or(dp::IpAddress{});
        out.localRtpPort = e.local.port;
        out.rtcpMux = e.rtcpMux;
        out.localRtcpPort = e.rtcpMux ? 0 : static_cast<std::uint16_t>(e.local.port + 1);
        out.latch = static_cast<dp::LatchMode>(e.latch);
        // A remote of another address family than our relay address (an IPv6 peer on an IPv4
        // side, say) cannot be reached from it: leave it to latching.
        auto remote = dp::IpAddress::parse(e.remote.ip);
        if (remote && remote->family == out.local.family && e.remote.port != 0) {
            out.remote = *remote;
            out.remoteRtpPort = e.remote.port;
            out.remoteRtcpPort = e.rtcpMux ? 0 : e.remoteRtcpPort;
        }
    };
    end(s.a, spec.a);
    end(s.b, spec.b);
    if (!dp::validate(spec).empty()) {
        return std::nullopt;
    }
    return spec;
}

void MediaClient::programFlow(SessionId id, std::size_t index, bool create) {
    if (!ready_) {
        return;  // replayed by resync() once the data plane answers Hello
    }
    const Stream& s = sessions_.at(id).streams[index];
    auto spec = specOf(id, index, s);
    if (!spec) {
        ++stats_.errorReplies;
        return;
    }
    if (create) {
        ++stats_.flowsCreated;
        send(dp::CreateFlow{*spec}, [this](const dp::Message* reply) {
            if (reply != nullptr) {
                if (const auto* r = std::get_if<dp::CreateFlowReply>(reply); r && r->reclaimed) {
                    ++stats_.flowsReclaimed;
                }
            }
        });
    } else {
        ++stats_.flowsUpdated;
        send(dp::UpdateFlow{*spec}, nullptr);
    }
}

// ---- the control channel ---------------------------------------------------------------------

void MediaClient::connect() {
    if (stopped_) {
        return;
    }
    boost::system::error_code ec;
    socket_.close(ec);
    socket_ = SeqSocket::socket(io_);
    auto alive = alive_;
    socket_.async_connect(
        unixEndpoint(config_.socketPath), [this, alive](const boost::system::error_code& err) {
            if (!*alive || stopped_) {
                return;
            }
            if (err) {
                ++stats_.connectFailures;
                scheduleReconnect();
                return;
            }
            open_ = true;
            boost::system::error_code nb;
            socket_.non_blocking(true, nb);  // writeNext() writes at once when the socket takes it
            read();
            generation_ = std::max(generation_ + 1, wallMicros());
            send(dp::Hello{generation_}, [this](const dp::Message* reply) {
                const auto* r = reply ? std::get_if<dp::HelloReply>(reply) : nullptr;
                if (r == nullptr || r->generation != generation_) {
                    onDisconnected("hello refused");
                    return;
                }
                bootId_ = r->bootId;
                ready_ = true;
                ++stats_.connects;
                resync();
            });
        });
}

void MediaClient::scheduleReconnect() {
    if (stopped_) {
        return;
    }
    reconnectTimer_.expires_after(config_.reconnectInterval);
    auto alive = alive_;
    reconnectTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
        if (!ec && *alive) {
            connect();
        }
    });
}

void MediaClient::onDisconnected(const char* /*why*/) {
    if (!open_) {
        return;
    }
    open_ = ready_ = false;
    writing_ = false;
    ++stats_.disconnects;
    boost::system::error_code ec;
    socket_.close(ec);
    queue_.clear();
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [seq, handler] : pending) {
        if (handler) {
            handler(nullptr);
        }
    }
    scheduleReconnect();
}

void MediaClient::resync() {
    for (const auto& [id, session] : sessions_) {
        for (std::size_t i = 0; i < session.streams.size(); ++i) {
            programFlow(id, i, true);
        }
    }
    send(dp::ResyncDone{generation_}, [this](const dp::Message* reply) {
        if (reply != nullptr) {
            if (const auto* r = std::get_if<dp::ResyncDoneReply>(reply)) {
                stats_.resyncRemoved += r->removed;
            }
        }
    });
}

void MediaClient::read() {
    auto alive = alive_;
    socket_.async_receive(boost::asio::buffer(readBuf_), readFlags_,
                          [this, alive](const boost::system::error_code& ec, std::size_t n) {
                              if (!*alive || !open_) {
                                  return;
                              }
                              if (ec || n == 0) {
                                  onDisconnected("read");
                                  return;
                              }
                              onDatagram(n);
                              if (open_) {
                                  read();
                              }
                          });
}

void MediaClient::onDatagram(std::size_t n) {
    auto result = dp::decode(std::span<const std::uint8_t>(readBuf_.data(), n));
    if (!result.ok()) {
        ++stats_.badMessages;
        return;
    }
    dp::Envelope& env = *result.envelope;
    if (const auto* idle = std::get_if<dp::FlowIdleEvent>(&env.message)) {
        ++stats_.idleEvents;
        SessionId sid = idle->flowId >> 8;
        std::size_t index = idle->flowId & 0xff;
        auto it = sessions_.find(sid);
        if (it != sessions_.end() && index < it->second.streams.size()) {
            auto& last = it->second.lastStats;
            last.resize(it->second.streams.size() * 2);
            last[2 * index] = toMediaStats(idle->statsA);
            last[2 * index + 1] = toMediaStats(idle->statsB);
            if (onIdle_) {
                onIdle_(sid, index);
            }
        }
        return;
    }
    if (std::holds_alternative<dp::ErrorReply>(env.message)) {
        ++stats_.errorReplies;
    }
    auto it = pending_.find(env.seq);
    if (it == pending_.end()) {
        return;
    }
    ReplyHandler handler = std::move(it->second);
    pending_.erase(it);
    if (handler) {
        handler(&env.message);
    }
}

void MediaClient::send(const dp::Message& m, ReplyHandler onReply) {
    auto fail = [this, &onReply]() {
        if (onReply) {
            boost::asio::post(io_, [alive = alive_, h = std::move(onReply)]() {
                if (*alive) {
                    h(nullptr);
                }
            });
        }
    };
    if (!open_) {
        fail();
        return;
    }
    if (queue_.size() >= config_.maxQueuedMessages) {
        ++stats_.queueDrops;
        fail();
        return;
    }
    std::uint32_t seq = nextSeq_++;
    if (nextSeq_ == 0) {
        nextSeq_ = 1;
    }
    try {
        queue_.push_back(dp::encode(m, seq));
    } catch (const std::invalid_argument&) {
        ++stats_.errorReplies;
        fail();
        return;
    }
    if (onReply) {
        pending_[seq] = std::move(onReply);
    }
    writeNext();
}

void MediaClient::writeNext() {
    if (writing_ || queue_.empty() || !open_) {
        return;
    }
    // Write now what the socket takes without blocking, in order. A flow change then reaches
    // the data plane before the SIP message the B2BUA sends next (the answer relayed to the
    // caller), so that the caller's first RTP packets find the flow programmed; queued behind an
    // asynchronous write it could lose that race on a busy machine and clip the call's start.
    while (!queue_.empty()) {
        boost::system::error_code ec;
        socket_.send(boost::asio::buffer(queue_.front()), 0, ec);
        if (ec) {
            break;  // full (would block) or an error: the asynchronous write below reports it
        }
        queue_.pop_front();
    }
    if (queue_.empty()) {
        return;
    }
    writing_ = true;
    auto alive = alive_;
    socket_.async_send(boost::asio::buffer(queue_.front()), 0,
                       [this, alive](const boost::system::error_code& ec, std::size_t) {
                           if (!*alive || !open_) {
                               return;
                           }
                           writing_ = false;
                           if (ec) {
                               onDisconnected("write");
                               return;
                           }
                           queue_.pop_front();
                           writeNext();
                       });
}

void MediaClient::queryCounters(CountersHandler done) {
    send(dp::Stats{}, [done = std::move(done)](const dp::Message* reply) {
        const auto* r = reply ? std::get_if<dp::StatsReply>(reply) : nullptr;
        if (r == nullptr) {
            done(false, {});
            return;
        }
        done(true, r->counters);
    });
}

void MediaClient::queryFlows(FlowsHandler done) {
    struct Walk {
        std::vector<dp::FlowInfo> flows;
        FlowsHandler done;
    };
    auto w = std::make_shared<Walk>();
    w->done = std::move(done);
    auto page = std::make_shared<std::function<void(std::uint64_t)>>();
    *page = [this, w, page](std::uint64_t cursor) {
        send(dp::ListFlows{cursor, dp::kMaxListPage}, [w, page](const dp::Message* reply) {
            const auto* r = reply ? std::get_if<dp::ListFlowsReply>(reply) : nullptr;
            if (r == nullptr) {
                auto d = std::move(w->done);
                *page = nullptr;  // break the cycle
                d(false, std::move(w->flows));
                return;
            }
            w->flows.insert(w->flows.end(), r->flows.begin(), r->flows.end());
            if (r->nextCursor == 0 || w->flows.size() >= 1000000) {
                auto d = std::move(w->done);
                *page = nullptr;  // break the cycle (this handler is not *page)
                d(true, std::move(w->flows));
                return;
            }
            (*page)(r->nextCursor);
        });
    };
    (*page)(0);
}

}  // namespace sbc::media
