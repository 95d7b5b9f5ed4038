#pragma once
// MediaClient: the MediaService of a running sbc, backed by sbc-dataplane over its control channel
// (the protocol in api/dataplane_protocol.hpp, documented in dataplane/README.md).
//
// Ports are allocated here, from one PortPool per media side, so allocate() answers at once; the
// flows are programmed asynchronously (CreateFlow at allocate, UpdateFlow when remotes change,
// DeleteFlow at release). The client keeps every live session, so that after either process
// restarts it can re-program the data plane:
//   * on every (re)connect it sends Hello with a fresh generation, replays CreateFlow for each
//     stream of each live session (same flow id and local ports: the data plane re-claims a flow
//     it still has, keeping counters and latched remotes) and ends with ResyncDone, after which
//     the data plane removes flows nobody re-claimed;
//   * while the data plane is unreachable, allocate() refuses new sessions (the B2BUA answers
//     503) but live sessions are kept and replayed on reconnect; reconnects are retried every
//     reconnectInterval, so media resumes within about that time after sbc-dataplane is back.
// The side name is the data plane's interface name ("outside", "inside").
//
// Threading: owned by the io_context thread; every member is called there, and the completion
// handlers of the socket run there too.
#include <boost/asio/generic/seq_packet_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/dataplane_protocol.hpp"
#include "controlplane/media/media_service.hpp"
#include "controlplane/media/port_pool.hpp"

namespace sbc::media {

struct MediaSideConfig {
    std::string name;     // "outside" / "inside": also the data plane's interface name
    std::string address;  // relay address on that side (a data-plane media address)
    std::uint16_t firstPort = 20000;
    std::uint16_t lastPort = 29999;
};

struct MediaClientConfig {
    std::string socketPath;
    std::vector<MediaSideConfig> sides;
    std::chrono::milliseconds reconnectInterval{200};
    std::uint32_t idleTimeoutMs = 0;         // per flow; 0 = the data plane's default
    std::size_t maxQueuedMessages = 100000;  // bound of the send queue while the socket is slow
};

#define SBC_MEDIA_CLIENT_STATS(X)                                                           \
    X(connects, "control-channel connections established (Hello answered)")                 \
    X(disconnects, "control-channel connections lost")                                      \
    X(connectFailures, "connection attempts that failed")                                   \
    X(sessionsAllocated, "media sessions allocated")                                        \
    X(sessionsReleased, "media sessions released")                                          \
    X(allocationsRefused, "allocations refused: data plane down or a port pool empty")      \
    X(flowsCreated, "CreateFlow requests sent (replays included)")                          \
    X(flowsUpdated, "UpdateFlow requests sent")                                             \
    X(flowsDeleted, "DeleteFlow requests sent")                                             \
    X(flowsReclaimed, "flows the data plane still had after a restart of sbc")              \
    X(resyncRemoved, "flows the data plane removed at ResyncDone (nobody re-claimed them)") \
    X(errorReplies, "Error replies from the data plane")                                    \
    X(badMessages, "messages from the data plane that failed to decode")                    \
    X(queueDrops, "messages dropped because the send queue was full")                       \
    X(idleEvents, "FlowIdle events received")

struct MediaClientStats {
#define SBC_MEDIA_FIELD(name, help) std::uint64_t name = 0;
    SBC_MEDIA_CLIENT_STATS(SBC_MEDIA_FIELD)
#undef SBC_MEDIA_FIELD
};

class MediaClient final : public MediaService {
  public:
    // Called for a FlowIdle event: the session and the index of its stream.
    using IdleHandler = std::function<void(SessionId, std::size_t stream)>;
    using CountersHandler = std::function<void(bool ok, std::vector<dpapi::Counter>)>;
    using FlowsHandler = std::function<void(bool ok, std::vector<dpapi::FlowInfo>)>;

    // Throws std::invalid_argument for a side with a bad address or an empty port range.
    MediaClient(boost::asio::io_context& io, MediaClientConfig config);
    ~MediaClient() override;
    MediaClient(const MediaClient&) = delete;
    MediaClient& operator=(const MediaClient&) = delete;

    void start();  // connects (and keeps reconnecting) in the background
    void stop();   // closes the socket; no handler runs afterwards

    std::optional<SessionId> allocate(std::vector<Stream>& streams) override;
    bool addStreams(SessionId id, std::vector<Stream>& streams) override;
    bool update(SessionId id, const std::vector<Stream>& streams) override;
    std::vector<MediaStats> release(SessionId id) override;
    void release(SessionId id, StatsHandler done) override;

    // Re-adopts a session of an earlier sbc process (from a persisted call record, after a
    // restart): its relay ports are taken out of the pools and its flows are (re-)created, which
    // the data plane treats as a re-claim when it still has them (counters and latches kept).
    // Call before start() so that the first resync re-claims them instead of removing them.
    // False (nothing changes) when the id is live or a port is outside its pool or in use.
    // nextSession_ moves past an adopted id, so allocate() never hands it out again.
    bool adopt(SessionId id, const std::vector<Stream>& streams) override;

    void setIdleHandler(IdleHandler h) { onIdle_ = std::move(h); }

    // Admin queries, answered asynchronously (ok=false when the data plane is unreachable).
    void queryCounters(CountersHandler done);
    void queryFlows(FlowsHandler done);

    bool connected() const noexcept { return ready_; }
    std::uint64_t generation() const noexcept { return generation_; }
    std::size_t sessionCount() const noexcept { return sessions_.size(); }
    const MediaClientStats& stats() const noexcept { return stats_; }
    // Free RTP/RTCP pairs per side, for status and metrics.
    std::vector<std::pair<std::string, std::size_t>> freePorts() const;

    static constexpr std::uint64_t flowIdOf(SessionId s, std::size_t stream) {
        return (s << 8) | static_cast<std::uint64_t>(stream);
    }

  private:
    struct Side {
        MediaSideConfig config;
        dpapi::IpAddress address;
        PortPool pool;
    };
    struct Session {
        std::vector<Stream> streams;
        std::vector<MediaStats> lastStats;  // from DeleteFlow replies / idle events
    };
    using ReplyHandler = std::function<void(const dpapi::Message*)>;  // nullptr: failed

    Side* side(const std::string& name);
    bool allocateEnd(StreamEnd& end);
    void freeEnd(const StreamEnd& end);
    std::optional<dpapi::FlowSpec> specOf(SessionId id, std::size_t index, const Stream& s) const;

    void connect();
    void scheduleReconnect();
    void onDisconnected(const char* why);
    void resync();
    void read();
    void onDatagram(std::size_t n);
    void send(const dpapi::Message& m, ReplyHandler onReply);
    void writeNext();
    void programFlow(SessionId id, std::size_t index, bool create);

    boost::asio::io_context& io_;
    MediaClientConfig config_;
    std::vector<Side> sides_;
    boost::asio::generic::seq_packet_protocol::socket socket_;  // AF_UNIX, SOCK_SEQPACKET
    boost::asio::steady_timer reconnectTimer_;
    bool stopped_ = true;
    bool open_ = false;   // socket connected
    bool ready_ = false;  // Hello answered: sessions may be allocated
    std::uint64_t generation_ = 0;
    std::uint64_t bootId_ = 0;
    std::uint32_t nextSeq_ = 1;
    std::deque<std::vector<std::uint8_t>> queue_;
    bool writing_ = false;
    std::vector<std::uint8_t> readBuf_;
    boost::asio::socket_base::message_flags readFlags_ = 0;  // out-parameter of async_receive
    std::unordered_map<std::uint32_t, ReplyHandler> pending_;
    std::map<SessionId, Session> sessions_;
    SessionId nextSession_;
    IdleHandler onIdle_;
    MediaClientStats stats_;
    // Lets completion handlers that outlive a stop() know they must not touch *this.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sbc::media
