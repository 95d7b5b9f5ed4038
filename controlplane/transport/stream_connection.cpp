#include "controlplane/transport/detail/stream_connection.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

#include "controlplane/transport/detail/core.hpp"

namespace sbc::transport::detail {

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Bytes asked from the socket per read (the framer may offer less near its bound).
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::string_view kPong = "\r\n";

}  // namespace

StreamConnection::StreamConnection(std::shared_ptr<Core> core,
                                   std::shared_ptr<ListenerState> listener, ConnectionId id,
                                   bool outbound, TcpSocket socket, Endpoint remote)
    : core_(std::move(core)),
      listener_(std::move(listener)),
      id_(id),
      outbound_(outbound),
      socket_(std::move(socket)),
      timer_(core_->io),
      framer_(listener_->config.limits.maxMessageBytes),
      remote_(std::move(remote)) {
    if (listener_->config.protocol == Protocol::Tls) {
        asio::ssl::context& ctx = outbound_ ? *listener_->tlsClient : *listener_->tlsServer;
        tls_.emplace(std::move(socket_), ctx);
    }
}

Protocol StreamConnection::protocol() const noexcept {
    return listener_->config.protocol;
}

StreamConnection::TcpSocket& StreamConnection::socket() noexcept {
    return tls_ ? tls_->next_layer() : socket_;
}

template <typename F>
void StreamConnection::withStream(F&& f) {
    if (tls_) {
        f(*tls_);
    } else {
        f(socket_);
    }
}

void StreamConnection::recordLocal() {
    boost::system::error_code ec;
    auto ep = socket().local_endpoint(ec);
    if (!ec) {
        local_ = Endpoint{ep.address(), ep.port()};
    }
}

void StreamConnection::startAccepted() {
    recordLocal();
    if (tls_) {
        startHandshake();
    } else {
        onOpen();
    }
}

void StreamConnection::startConnect() {
    state_ = State::Connecting;
    armTimer(listener_->config.limits.connectTimeout);
    socket().async_connect(
        asio::ip::tcp::endpoint(remote_.address, remote_.port),
        [self = shared_from_this()](const boost::system::error_code& ec) { self->onConnect(ec); });
}

void StreamConnection::onConnect(const boost::system::error_code& ec) {
    if (closed()) {
        return;
    }
    if (ec) {
        close(CloseReason::ConnectFailed);
        return;
    }
    boost::system::error_code ignored;
    socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    recordLocal();
    if (tls_) {
        startHandshake();
    } else {
        onOpen();
    }
}

void StreamConnection::startHandshake() {
    state_ = State::Handshaking;
    armTimer(listener_->config.limits.tlsHandshakeTimeout);
    tls_->async_handshake(
        outbound_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
        [self = shared_from_this()](const boost::system::error_code& ec) {
            self->onHandshake(ec);
        });
}

void StreamConnection::onHandshake(const boost::system::error_code& ec) {
    if (closed()) {
        return;
    }
    if (ec) {
        close(CloseReason::HandshakeFailed);
        return;
    }
    ++core_->stats.tlsHandshakesCompleted;
    onOpen();
}

void StreamConnection::onOpen() {
    state_ = State::Open;
    lastActivity_ = Clock::now();
    if (listener_->config.limits.idleTimeout.count() > 0) {
        armTimer(listener_->config.limits.idleTimeout);
    } else {
        ++timerGeneration_;
        timer_.cancel();
    }
    doRead();
    doWrite();
}

void StreamConnection::doRead() {
    std::span<char> space = framer_.prepare(kReadChunk);
    if (space.empty()) {
        // Unreachable: after next() returned NeedMore the framer always has room.
        core_->countFramingError(FramingError::MessageTooLarge);
        close(CloseReason::FramingError);
        return;
    }
    withStream([&](auto& stream) {
        stream.async_read_some(asio::buffer(space.data(), space.size()),
                               [self = shared_from_this()](const boost::system::error_code& ec,
                                                           std::size_t n) { self->onRead(ec, n); });
    });
}

void StreamConnection::onRead(const boost::system::error_code& ec, std::size_t n) {
    if (closed()) {
        return;
    }
    framer_.commit(n);
    if (n > 0) {
        core_->counters(protocol()).bytesReceived += n;
        lastActivity_ = Clock::now();
    }
    // Deliver what is complete even if the read also reported an error.
    for (;;) {
        FrameResult r = framer_.next();
        if (r.kind == FrameResult::Kind::NeedMore) {
            break;
        }
        if (r.kind == FrameResult::Kind::Error) {
            core_->countFramingError(r.error);
            close(CloseReason::FramingError);
            return;
        }
        if (r.kind == FrameResult::Kind::Ping) {
            // RFC 5626 §4.4.1: answer a double-CRLF ping with a single-CRLF pong.
            ++core_->stats.streamPings;
            if (queue(kPong, true)) {
                ++core_->stats.streamPongs;
            }
            continue;
        }
        InboundMessage message;
        message.bytes = r.message;
        message.protocol = protocol();
        message.listener = listener_->id;
        message.listenerName = listener_->config.name;
        message.connection = id_;
        message.local = local_;
        message.remote = remote_;
        core_->deliver(message);
        if (closed()) {
            return;  // the callback closed us (or shut the layer down)
        }
    }
    if (ec) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
            close(CloseReason::PeerClosed);
        } else {
            close(CloseReason::ReadError);
        }
        return;
    }
    doRead();
}

bool StreamConnection::queue(std::string_view bytes, bool keepalive) {
    if (queuedBytes_ + bytes.size() > listener_->config.limits.maxSendQueueBytes) {
        ++core_->stats.sendQueueOverflows;
        return false;
    }
    queue_.push_back(Outgoing{std::string(bytes), keepalive});
    queuedBytes_ += bytes.size();
    doWrite();
    return true;
}

SendStatus StreamConnection::enqueue(std::string_view bytes) {
    if (closed()) {
        ++core_->stats.sendNoConnection;
        return SendStatus::NoConnection;
    }
    if (bytes.size() > listener_->config.limits.maxMessageBytes) {
        ++core_->stats.sendTooLarge;
        return SendStatus::TooLarge;
    }
    return queue(bytes, false) ? SendStatus::Ok : SendStatus::QueueFull;
}

void StreamConnection::doWrite() {
    if (state_ != State::Open || writing_ || queue_.empty()) {
        return;
    }
    writing_ = true;
    // queue_.front() is not touched until onWrite(): deque::push_back keeps references valid.
    const std::string& bytes = queue_.front().bytes;
    withStream([&](auto& stream) {
        asio::async_write(stream, asio::buffer(bytes),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->onWrite(ec, n); });
    });
}

void StreamConnection::onWrite(const boost::system::error_code& ec, std::size_t n) {
    writing_ = false;
    if (closed()) {
        return;
    }
    if (ec) {
        close(CloseReason::WriteError);
        return;
    }
    lastActivity_ = Clock::now();
    const Outgoing& done = queue_.front();
    queuedBytes_ -= done.bytes.size();
    if (!done.keepalive) {
        ProtocolCounters& c = core_->counters(protocol());
        ++c.messagesSent;
        c.bytesSent += n;
    }
    queue_.pop_front();
    doWrite();
}

void StreamConnection::armTimer(std::chrono::steady_clock::duration after) {
    const std::uint64_t generation = ++timerGeneration_;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code& ec) {
        self->onTimer(ec, generation);
    });
}

void StreamConnection::onTimer(const boost::system::error_code& ec, std::uint64_t generation) {
    if (closed() || ec == asio::error::operation_aborted || generation != timerGeneration_) {
        return;
    }
    switch (state_) {
        case State::Connecting:
            close(CloseReason::ConnectFailed);
            return;
        case State::Handshaking:
            close(CloseReason::HandshakeTimeout);
            return;
        case State::Open: {
            const auto limit = listener_->config.limits.idleTimeout;
            const auto idle = Clock::now() - lastActivity_;
            if (idle >= limit) {
                close(CloseReason::IdleTimeout);
            } else {
                armTimer(limit - idle);
            }
            return;
        }
        case State::Idle:
        case State::Closed:
            return;
    }
}

void StreamConnection::close(CloseReason reason) {
    if (closed()) {
        return;
    }
    auto self = shared_from_this();  // the table's reference goes away below
    state_ = State::Closed;
    ++timerGeneration_;
    timer_.cancel();
    boost::system::error_code ignored;
    socket().close(ignored);
    // Queued messages are dropped; the buffers stay alive until the aborted write completes.
    for (const Outgoing& o : queue_) {
        if (!o.keepalive) {
            ++core_->stats.sendDroppedOnClose;
        }
    }
    core_->removeConnection(*this, reason);
}

}  // namespace sbc::transport::detail
