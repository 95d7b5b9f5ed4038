#include <boost/asio/error.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <chrono>
#include <stdexcept>

#include "controlplane/transport/detail/core.hpp"
#include "controlplane/transport/detail/listeners.hpp"
#include "controlplane/transport/detail/stream_connection.hpp"

namespace sbc::transport::detail {

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Back-off after accept errors that mean "out of descriptors/memory", which would otherwise spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

[[noreturn]] void fail(const ListenerState& state, const std::string& what,
                       const boost::system::error_code& ec) {
    throw std::runtime_error("transport: " + std::string(toString(state.config.protocol)) +
                             " listener '" + state.config.name + "' on " + toString(state.local) +
                             ": " + what + ": " + ec.message());
}

bool isResourceError(const boost::system::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory;
}

}  // namespace

std::shared_ptr<StreamListener> openStreamListener(const std::shared_ptr<Core>& core,
                                                   const std::shared_ptr<ListenerState>& state) {
    tcp::acceptor acceptor(core->io);
    const tcp::endpoint bindTo(state->local.address, state->local.port);
    boost::system::error_code ec;
    acceptor.open(bindTo.protocol(), ec);
    if (ec) {
        fail(*state, "cannot open socket", ec);
    }
    // Restart-friendly (TIME_WAIT); does not allow two live listeners on one port on Linux.
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) {
        fail(*state, "cannot set SO_REUSEADDR", ec);
    }
    if (bindTo.address().is_v6()) {
        acceptor.set_option(asio::ip::v6_only(true), ec);
        if (ec) {
            fail(*state, "cannot set IPV6_V6ONLY", ec);
        }
    }
    acceptor.bind(bindTo, ec);
    if (ec) {
        fail(*state, "cannot bind", ec);
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        fail(*state, "cannot listen", ec);
    }
    tcp::endpoint bound = acceptor.local_endpoint(ec);
    if (ec) {
        fail(*state, "cannot read the bound address", ec);
    }
    state->local = Endpoint{bound.address(), bound.port()};
    auto listener = std::make_shared<StreamListener>(core, state, std::move(acceptor));
    listener->start();
    return listener;
}

StreamListener::StreamListener(std::shared_ptr<Core> core, std::shared_ptr<ListenerState> state,
                               tcp::acceptor acceptor)
    : core_(std::move(core)),
      state_(std::move(state)),
      acceptor_(std::move(acceptor)),
      retryTimer_(core_->io) {}

void StreamListener::start() {
    doAccept();
}

void StreamListener::close() {
    closed_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retryTimer_.cancel();
}

void StreamListener::doAccept() {
    acceptor_.async_accept(
        [self = shared_from_this()](const boost::system::error_code& ec, tcp::socket socket) {
            self->onAccept(ec, std::move(socket));
        });
}

void StreamListener::onAccept(const boost::system::error_code& ec, tcp::socket socket) {
    if (closed_ || core_->stopped) {
        return;
    }
    if (ec) {
        if (ec == asio::error::operation_aborted) {
            return;
        }
        ++core_->stats.acceptErrors;
        if (isResourceError(ec)) {
            retryTimer_.expires_after(kAcceptRetryDelay);
            retryTimer_.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
                if (!e && !self->closed_) {
                    self->doAccept();
                }
            });
        } else {
            doAccept();
        }
        return;
    }
    boost::system::error_code rec;
    tcp::endpoint peer = socket.remote_endpoint(rec);
    if (rec) {
        // The peer is already gone (reset between accept and now).
        ++core_->stats.acceptErrors;
        boost::system::error_code ignored;
        socket.close(ignored);
        doAccept();
        return;
    }
    const Limits& limits = state_->config.limits;
    const Endpoint remote{peer.address(), peer.port()};
    bool reject = false;
    if (state_->connections >= limits.maxConnections) {
        ++core_->stats.connectionsRejectedTotal;
        reject = true;
    } else if (auto it = state_->inboundPerSource.find(remote.address);
               it != state_->inboundPerSource.end() &&
               it->second >= limits.maxConnectionsPerSource) {
        ++core_->stats.connectionsRejectedPerSource;
        reject = true;
    }
    if (reject) {
        // Excess connections are closed at once, before any byte is read or TLS work is done.
        boost::system::error_code ignored;
        socket.close(ignored);
        doAccept();
        return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto connection = std::make_shared<StreamConnection>(core_, state_, core_->nextConnectionId++,
                                                         false, std::move(socket), remote);
    core_->addConnection(connection);
    ++core_->stats.connectionsAccepted;
    connection->startAccepted();
    doAccept();
}

SendResult StreamListener::openOutbound(const Endpoint& remote, std::string_view bytes) {
    const Limits& limits = state_->config.limits;
    if (closed_) {
        ++core_->stats.sendNoListener;
        return {SendStatus::NoListener, 0};
    }
    if (bytes.size() > limits.maxMessageBytes) {
        ++core_->stats.sendTooLarge;
        return {SendStatus::TooLarge, 0};
    }
    if (state_->connections >= limits.maxConnections) {
        ++core_->stats.connectionsRejectedTotal;
        return {SendStatus::ConnectionLimit, 0};
    }
    const tcp::endpoint target(remote.address, remote.port);
    tcp::socket socket(core_->io);
    boost::system::error_code ec;
    socket.open(target.protocol(), ec);
    if (!ec && !state_->local.address.is_unspecified()) {
        // Leave from the listener's address (its interface/side); the port is ephemeral.
        socket.bind(tcp::endpoint(state_->local.address, 0), ec);
    }
    if (ec) {
        ++core_->stats.sendErrors;
        return {SendStatus::Error, 0};
    }
    auto connection = std::make_shared<StreamConnection>(core_, state_, core_->nextConnectionId++,
                                                         true, std::move(socket), remote);
    core_->addConnection(connection);
    ++core_->stats.connectionsOpenedOutbound;
    const SendStatus status = connection->enqueue(bytes);
    connection->startConnect();
    return {status, connection->id()};
}

}  // namespace sbc::transport::detail
