// MediaClient against a data-plane double speaking the real protocol over a real Unix
// SOCK_SEQPACKET socket: flows programmed from allocate/update/release, allocation refused while
// the data plane is away, and the resync after a restart (same flow ids, then ResyncDone).
#include "controlplane/media/media_client.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>

namespace sbc::media {
namespace {

namespace dp = sbc::dpapi;

// A minimal data plane: accepts one client at a time, answers every request, records them.
class FakeDataplane {
  public:
    explicit FakeDataplane(std::string path) : path_(std::move(path)) { listen(); }
    ~FakeDataplane() { closeAll(); }

    void listen() {
        ::unlink(path_.c_str());
        listenFd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
        EXPECT_EQ(::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        EXPECT_EQ(::listen(listenFd_, 4), 0);
    }
    void closeAll() {
        if (clientFd_ >= 0) {
            ::close(clientFd_);
            clientFd_ = -1;
        }
        if (listenFd_ >= 0) {
            ::close(listenFd_);
            listenFd_ = -1;
        }
        ::unlink(path_.c_str());
    }
    // Drops the client connection (as if sbc-dataplane had died) and forgets its flows.
    void restart() {
        closeAll();
        flows_.clear();
        listen();
    }

    // Serves whatever is pending; returns after one non-blocking pass.
    void poll() {
        if (clientFd_ < 0 && listenFd_ >= 0) {
            int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK);
            if (fd >= 0) {
                clientFd_ = fd;
            }
        }
        if (clientFd_ < 0) {
            return;
        }
        std::vector<std::uint8_t> buf(dp::kMaxMessageSize);
        for (;;) {
            ssize_t n = ::recv(clientFd_, buf.data(), buf.size(), 0);
            if (n <= 0) {
                return;
            }
            auto r = dp::decode(std::span<const std::uint8_t>(buf.data(), static_cast<size_t>(n)));
            ASSERT_TRUE(r.ok()) << r.error.text;
            received.push_back(r.envelope->message);
            auto reply = answer(r.envelope->message);
            auto bytes = dp::encode(reply, r.envelope->seq);
            ASSERT_EQ(::send(clientFd_, bytes.data(), bytes.size(), 0),
                      static_cast<ssize_t>(bytes.size()));
        }
    }
    void sendEvent(const dp::Message& m) {
        auto bytes = dp::encode(m, 0);
        ASSERT_EQ(::send(clientFd_, bytes.data(), bytes.size(), 0),
                  static_cast<ssize_t>(bytes.size()));
    }

    template <typename T>
    std::vector<T> all() const {
        std::vector<T> out;
        for (const auto& m : received) {
            if (const T* t = std::get_if<T>(&m)) {
                out.push_back(*t);
            }
        }
        return out;
    }

    std::vector<dp::Message> received;
    std::map<std::uint64_t, dp::FlowSpec> flows_;
    std::uint64_t generation = 0;
    dp::EndStats deleteStats;

  private:
    dp::Message answer(const dp::Message& m) {
        if (const auto* h = std::get_if<dp::Hello>(&m)) {
            dp::HelloReply r;
            r.bootId = 42;
            r.previousGeneration = generation;
            r.generation = generation = h->generation;
            r.flowCapacity = 1000;
            return r;
        }
        if (const auto* c = std::get_if<dp::CreateFlow>(&m)) {
            bool reclaimed = flows_.count(c->spec.flowId) != 0;
            flows_[c->spec.flowId] = c->spec;
            return dp::CreateFlowReply{c->spec.flowId, reclaimed};
        }
        if (const auto* u = std::get_if<dp::UpdateFlow>(&m)) {
            if (flows_.count(u->spec.flowId) == 0) {
                return dp::ErrorReply{dp::ErrorCode::NoSuchFlow, "no such flow"};
            }
            flows_[u->spec.flowId] = u->spec;
            return dp::UpdateFlowReply{u->spec.flowId};
        }
        if (const auto* d = std::get_if<dp::DeleteFlow>(&m)) {
            flows_.erase(d->flowId);
            return dp::DeleteFlowReply{d->flowId, deleteStats, deleteStats};
        }
        if (std::holds_alternative<dp::ResyncDone>(m)) {
            std::uint32_t removed = 0;
            for (auto it = flows_.begin(); it != flows_.end();) {
                if (it->second.generation != generation) {
                    it = flows_.erase(it);
                    ++removed;
                } else {
                    ++it;
                }
            }
            return dp::ResyncDoneReply{removed};
        }
        if (std::holds_alternative<dp::Stats>(m)) {
            return dp::StatsReply{{{"rx_packets", 7}}};
        }
        return dp::ErrorReply{dp::ErrorCode::UnknownType, "unexpected"};
    }

    std::string path_;
    int listenFd_ = -1;
    int clientFd_ = -1;
};

class MediaClientTest : public ::testing::Test {
  protected:
    MediaClientTest()
        : path_((std::filesystem::temp_directory_path() /
                 ("sbc-media-test-" + std::to_string(::getpid()) + ".sock"))
                    .string()),
          dp_(path_) {
        MediaClientConfig cfg;
        cfg.socketPath = path_;
        cfg.sides = {{"outside", "203.0.113.10", 20000, 20007},
                     {"inside", "10.0.0.10", 30000, 30099}};
        cfg.reconnectInterval = std::chrono::milliseconds(20);
        client_ = std::make_unique<MediaClient>(io_, cfg);
    }

    // Runs the client and the fake until `done` holds (or 5 s pass: a failure).
    void runUntil(const std::function<bool()>& done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(std::chrono::milliseconds(2));
            io_.restart();
            dp_.poll();
        }
        ASSERT_TRUE(done());
    }

    static std::vector<Stream> audio() {
        Stream s;
        s.a.side = "outside";
        s.a.remote = {"198.51.100.7", 4000};
        s.a.remoteRtcpPort = 4001;
        s.b.side = "inside";
        return {s};
    }

    std::string path_;
    boost::asio::io_context io_;
    FakeDataplane dp_;
    std::unique_ptr<MediaClient> client_;
};

TEST_F(MediaClientTest, RefusesSessionsUntilTheDataplaneAnswersHello) {
    auto streams = audio();
    EXPECT_FALSE(client_->allocate(streams).has_value());
    EXPECT_EQ(client_->stats().allocationsRefused, 1u);
    client_->start();
    runUntil([&] { return client_->connected(); });
    ASSERT_EQ(dp_.all<dp::Hello>().size(), 1u);
    EXPECT_EQ(dp_.all<dp::Hello>()[0].generation, client_->generation());
    EXPECT_EQ(dp_.all<dp::ResyncDone>().size(), 1u);
}

TEST_F(MediaClientTest, ProgramsFlowsFromAllocateUpdateAndRelease) {
    client_->start();
    runUntil([&] { return client_->connected(); });
    auto streams = audio();
    auto id = client_->allocate(streams);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(streams[0].a.local.ip, "203.0.113.10");
    EXPECT_EQ(streams[0].b.local.ip, "10.0.0.10");
    EXPECT_EQ(streams[0].a.local.port % 2, 0);
    EXPECT_GE(streams[0].b.local.port, 30000);
    runUntil([&] { return dp_.all<dp::CreateFlow>().size() == 1; });
    const dp::FlowSpec c = dp_.all<dp::CreateFlow>()[0].spec;
    EXPECT_EQ(c.flowId, MediaClient::flowIdOf(*id, 0));
    EXPECT_EQ(c.generation, client_->generation());
    EXPECT_EQ(c.a.interface, "outside");
    EXPECT_EQ(c.a.localRtpPort, streams[0].a.local.port);
    EXPECT_EQ(c.a.localRtcpPort, streams[0].a.local.port + 1);
    EXPECT_EQ(c.a.remote.toString(), "198.51.100.7");
    EXPECT_EQ(c.a.remoteRtpPort, 4000);
    EXPECT_EQ(c.a.remoteRtcpPort, 4001);
    EXPECT_FALSE(c.b.remote.isSet());  // the answer is not in yet
    EXPECT_EQ(c.a.latch, dp::LatchMode::AnySource);

    // The answer brings the inside remote, with rtcp-mux.
    streams[0].b.remote = {"10.0.0.99", 6000};
    streams[0].b.rtcpMux = true;
    streams[0].b.local.port = 1;  // ignored: locals are the client's
    ASSERT_TRUE(client_->update(*id, streams));
    runUntil([&] { return dp_.all<dp::UpdateFlow>().size() == 1; });
    const dp::FlowSpec u = dp_.all<dp::UpdateFlow>()[0].spec;
    EXPECT_EQ(u.b.remote.toString(), "10.0.0.99");
    EXPECT_TRUE(u.b.rtcpMux);
    EXPECT_EQ(u.b.localRtcpPort, 0);
    EXPECT_EQ(u.b.localRtpPort, c.b.localRtpPort);

    dp_.deleteStats.packets = 100;
    dp_.deleteStats.bytes = 17200;
    dp_.deleteStats.lost = 3;
    std::vector<MediaStats> final;
    bool done = false;
    client_->release(*id, [&](std::vector<MediaStats> s) {
        final = std::move(s);
        done = true;
    });
    runUntil([&] { return done; });
    ASSERT_EQ(final.size(), 2u);
    EXPECT_EQ(final[0].packets, 100u);
    EXPECT_EQ(final[1].lost, 3u);
    EXPECT_TRUE(dp_.flows_.empty());
    EXPECT_TRUE(client_->release(*id).empty());  // unknown now
}

// A flow change is on the socket when allocate()/update() return, before the io_context runs
// again: the B2BUA sends the SIP answer right after, and the caller's first RTP must find the
// flow programmed (queued behind an asynchronous write, it lost that race under load).
TEST_F(MediaClientTest, WritesFlowChangesBeforeReturning) {
    client_->start();
    runUntil([&] { return client_->connected(); });
    auto streams = audio();
    auto id = client_->allocate(streams);
    ASSERT_TRUE(id.has_value());
    dp_.poll();  // no io_.run() in between
    EXPECT_EQ(dp_.all<dp::CreateFlow>().size(), 1u);
    streams[0].b.remote = {"10.0.0.99", 6000};
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(client_->update(*id, streams));
    }
    dp_.poll();
    EXPECT_EQ(dp_.all<dp::UpdateFlow>().size(), 3u);
}

TEST_F(MediaClientTest, PoolExhaustionRefusesAndFreesPartialAllocations) {
    client_->start();
    runUntil([&] { return client_->connected(); });
    std::vector<SessionId> ids;
    for (int i = 0; i < 4; ++i) {  // the outside pool holds 4 pairs
        auto s = audio();
        auto id = client_->allocate(s);
        ASSERT_TRUE(id.has_value());
        ids.push_back(*id);
    }
    auto s = audio();
    EXPECT_FALSE(client_->allocate(s).has_value());
    EXPECT_EQ(client_->freePorts()[1].second, 46u);  // inside: 50 - 4, the refused one freed
    client_->release(ids[0]);
    auto again = audio();
    EXPECT_TRUE(client_->allocate(again).has_value());
}

TEST_F(MediaClientTest, ReplaysLiveSessionsAfterTheDataplaneRestarts) {
    client_->start();
    runUntil([&] { return client_->connected(); });
    auto streams = audio();
    auto id = client_->allocate(streams);
    ASSERT_TRUE(id.has_value());
    runUntil([&] { return dp_.flows_.size() == 1; });
    std::uint64_t firstGeneration = client_->generation();

    dp_.restart();  // the data plane dies and comes back with no flows
    runUntil([&] { return client_->stats().disconnects == 1; });
    auto refused = audio();
    EXPECT_FALSE(client_->allocate(refused).has_value());  // down: new calls get 503
    runUntil([&] { return client_->connected() && dp_.flows_.size() == 1; });
    EXPECT_GT(client_->generation(), firstGeneration);
    const dp::FlowSpec& replayed = dp_.flows_.begin()->second;
    EXPECT_EQ(replayed.flowId, MediaClient::flowIdOf(*id, 0));
    EXPECT_EQ(replayed.a.localRtpPort, streams[0].a.local.port);
    EXPECT_EQ(replayed.generation, client_->generation());
    runUntil([&] { return dp_.all<dp::ResyncDone>().size() == 2; });
}

TEST_F(MediaClientTest, AdoptsSessionsOfAnEarlierProcessBeforeTheFirstResync) {
    auto streams = audio();
    streams[0].a.local = {"203.0.113.10", 20002};
    streams[0].b.local = {"10.0.0.10", 30010};
    const SessionId old = 12345;
    EXPECT_FALSE(client_->adopt(old, {}));
    auto foreign = streams;
    foreign[0].b.local.port = 40000;  // outside the inside pool
    EXPECT_FALSE(client_->adopt(old, foreign));
    ASSERT_TRUE(client_->adopt(old, streams));
    EXPECT_FALSE(client_->adopt(old, streams));  // live already
    // The data plane still has the flow from the earlier process.
    dp::FlowSpec kept;
    kept.flowId = MediaClient::flowIdOf(old, 0);
    kept.generation = 1;
    dp_.flows_[kept.flowId] = kept;
    client_->start();
    runUntil([&] { return client_->connected() && dp_.all<dp::ResyncDone>().size() == 1; });
    runUntil([&] { return client_->stats().flowsReclaimed == 1; });
    ASSERT_EQ(dp_.flows_.size(), 1u);  // re-claimed, not removed at ResyncDone
    EXPECT_EQ(dp_.flows_.begin()->second.a.localRtpPort, 20002);
    // Its ports are not handed out again, and new sessions get ids after it.
    for (int i = 0; i < 3; ++i) {
        auto s = audio();
        auto id = client_->allocate(s);
        ASSERT_TRUE(id.has_value());
        EXPECT_GT(*id, old);
        EXPECT_NE(s[0].a.local.port, 20002);
    }
    auto s = audio();
    EXPECT_FALSE(client_->allocate(s).has_value());  // 4 outside pairs: 1 adopted + 3 new
}

TEST_F(MediaClientTest, ReportsIdleFlowsAndAnswersStats) {
    client_->start();
    runUntil([&] { return client_->connected(); });
    auto streams = audio();
    auto id = client_->allocate(streams);
    SessionId idleSession = 0;
    client_->setIdleHandler([&](SessionId s, std::size_t) { idleSession = s; });
    runUntil([&] { return dp_.flows_.size() == 1; });
    dp::FlowIdleEvent ev;
    ev.flowId = MediaClient::flowIdOf(*id, 0);
    ev.generation = client_->generation();
    ev.idleMs = 30000;
    dp_.sendEvent(ev);
    runUntil([&] { return idleSession == *id; });

    bool got = false;
    client_->queryCounters([&](bool ok, std::vector<dp::Counter> c) {
        got = ok && c.size() == 1 && c[0].name == "rx_packets" && c[0].value == 7;
    });
    runUntil([&] { return got; });
}

}  // namespace
}  // namespace sbc::media
