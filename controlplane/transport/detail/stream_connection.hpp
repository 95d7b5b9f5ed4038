#pragma once

// Internal: one TCP or TLS connection, inbound (accepted) or outbound (opened by send()).
//
// Lifetime: created by StreamListener, registered in Core::connections, kept alive by that table
// and by the shared_from_this() captured in each pending async operation (at most one read, one
// write, one connect/handshake and one timer wait). close() removes it from the table; the object
// dies when the last aborted handler has run. Single io_context thread only.
//
// States: Connecting (outbound) -> Handshaking (TLS) -> Open -> Closed. Reads start, and queued
// writes are flushed, on Open. One steady_timer serves as connect deadline, TLS handshake
// deadline and then idle timer.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "controlplane/transport/stream_framer.hpp"
#include "controlplane/transport/types.hpp"

namespace sbc::transport::detail {

class Core;
struct ListenerState;

class StreamConnection : public std::enable_shared_from_this<StreamConnection> {
  public:
    using TcpSocket = boost::asio::ip::tcp::socket;
    using TlsStream = boost::asio::ssl::stream<TcpSocket>;

    StreamConnection(std::shared_ptr<Core> core, std::shared_ptr<ListenerState> listener,
                     ConnectionId id, bool outbound, TcpSocket socket, Endpoint remote);
    StreamConnection(const StreamConnection&) = delete;
    StreamConnection& operator=(const StreamConnection&) = delete;

    // Inbound: starts the TLS server handshake, or reading for plain TCP.
    void startAccepted();
    // Outbound: connects to remote(), then TLS client handshake, then Open.
    void startConnect();

    // Queues one message (RFC 3261 §18: written whole and in order). Checks the size and queue
    // limits; counts refusals.
    SendStatus enqueue(std::string_view bytes);
    // Idempotent. Closes the socket, cancels the timer, unregisters from the Core.
    void close(CloseReason reason);

    [[nodiscard]] ConnectionId id() const noexcept { return id_; }
    [[nodiscard]] bool outbound() const noexcept { return outbound_; }
    [[nodiscard]] bool closed() const noexcept { return state_ == State::Closed; }
    [[nodiscard]] Protocol protocol() const noexcept;
    // The listener's shared state (mutable: Core keeps its connection counters).
    [[nodiscard]] ListenerState& listener() const noexcept { return *listener_; }
    [[nodiscard]] const Endpoint& local() const noexcept { return local_; }
    [[nodiscard]] const Endpoint& remote() const noexcept { return remote_; }

  private:
    enum class State : std::uint8_t { Idle, Connecting, Handshaking, Open, Closed };

    struct Outgoing {
        std::string bytes;
        bool keepalive = false;  // a CRLF pong, not a SIP message
    };

    TcpSocket& socket() noexcept;
    template <typename F>
    void withStream(F&& f);

    void onConnect(const boost::system::error_code& ec);
    void startHandshake();
    void onHandshake(const boost::system::error_code& ec);
    void onOpen();
    void doRead();
    void onRead(const boost::system::error_code& ec, std::size_t n);
    void doWrite();
    void onWrite(const boost::system::error_code& ec, std::size_t n);
    bool queue(std::string_view bytes, bool keepalive);
    void armTimer(std::chrono::steady_clock::duration after);
    void onTimer(const boost::system::error_code& ec, std::uint64_t generation);
    void recordLocal();

    std::shared_ptr<Core> core_;
    std::shared_ptr<ListenerState> listener_;  // keeps the TLS contexts alive
    ConnectionId id_;
    bool outbound_;
    State state_ = State::Idle;
    TcpSocket socket_;              // the connection, unless moved into tls_
    std::optional<TlsStream> tls_;  // TLS: owns the socket
    boost::asio::steady_timer timer_;
    std::uint64_t timerGeneration_ = 0;  // stale timer completions are ignored
    std::chrono::steady_clock::time_point lastActivity_;
    StreamFramer framer_;
    std::deque<Outgoing> queue_;  // front() is being written while writing_
    std::size_t queuedBytes_ = 0;
    bool writing_ = false;
    Endpoint local_;
    Endpoint remote_;
};

}  // namespace sbc::transport::detail
