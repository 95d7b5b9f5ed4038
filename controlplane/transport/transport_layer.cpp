#include "controlplane/transport/transport_layer.hpp"

#include <stdexcept>
#include <string>

#include "controlplane/transport/detail/core.hpp"
#include "controlplane/transport/detail/listeners.hpp"
#include "controlplane/transport/detail/stream_connection.hpp"
#include "controlplane/transport/detail/tls_context.hpp"

namespace sbc::transport {

namespace {

[[noreturn]] void invalid(const ListenerConfig& config, const std::string& what) {
    throw std::runtime_error("transport: listener '" + config.name + "': " + what);
}

void validate(const ListenerConfig& config) {
    const Limits& l = config.limits;
    if (l.maxMessageBytes == 0 || l.maxMessageBytes > 16 * 1024 * 1024) {
        invalid(config, "maxMessageBytes must be in 1..16777216");
    }
    if (config.protocol == Protocol::Udp) {
        return;
    }
    if (l.maxConnections == 0 || l.maxConnectionsPerSource == 0) {
        invalid(config, "maxConnections and maxConnectionsPerSource must be positive");
    }
    if (l.idleTimeout.count() < 0 || l.tlsHandshakeTimeout.count() <= 0 ||
        l.connectTimeout.count() <= 0) {
        invalid(config, "timeouts must be positive (idleTimeout 0 disables the idle timer)");
    }
    if (l.maxSendQueueBytes < l.maxMessageBytes) {
        invalid(config, "maxSendQueueBytes must be at least maxMessageBytes");
    }
}

}  // namespace

TransportLayer::TransportLayer(boost::asio::io_context& io)
    : core_(std::make_shared<detail::Core>(io)) {}

TransportLayer::~TransportLayer() {
    core_->shutdown();
}

void TransportLayer::setReceiveHandler(ReceiveHandler handler) {
    core_->onReceive = std::move(handler);
}

void TransportLayer::setCloseHandler(CloseHandler handler) {
    core_->onClose = std::move(handler);
}

ListenerId TransportLayer::addListener(const ListenerConfig& config) {
    if (core_->stopped) {
        throw std::runtime_error("transport: addListener after shutdown");
    }
    validate(config);
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(config.bindAddress, ec);
    if (ec) {
        invalid(config, "invalid bind address '" + config.bindAddress + "'");
    }

    auto state = std::make_shared<detail::ListenerState>();
    state->config = config;
    state->local = Endpoint{address, config.port};
    detail::Listener listener;
    listener.state = state;
    if (config.protocol == Protocol::Tls) {
        // Load certificates before binding, so a bad file leaves no half-open listener.
        state->tlsServer = detail::makeTlsContext(config, detail::TlsRole::Server);
        state->tlsClient = detail::makeTlsContext(config, detail::TlsRole::Client);
    }
    state->id = core_->nextListenerId;
    if (config.protocol == Protocol::Udp) {
        listener.udp = detail::openUdpListener(core_, state);
    } else {
        listener.stream = detail::openStreamListener(core_, state);
    }
    ++core_->nextListenerId;
    core_->listeners.emplace(state->id, std::move(listener));
    return state->id;
}

std::vector<ListenerId> TransportLayer::addListeners(const Config& config) {
    std::vector<ListenerId> ids;
    ids.reserve(config.listeners.size());
    for (const ListenerConfig& listener : config.listeners) {
        ids.push_back(addListener(listener));
    }
    return ids;
}

SendResult TransportLayer::send(const OutboundTarget& target, std::string_view bytes) {
    detail::Core& core = *core_;
    if (target.connection != 0) {
        auto it = core.connections.find(target.connection);
        if (it == core.connections.end()) {
            ++core.stats.sendNoConnection;
            return {SendStatus::NoConnection, 0};
        }
        const SendStatus status = it->second->enqueue(bytes);
        return {status, status == SendStatus::Ok ? target.connection : 0};
    }
    auto it = core.listeners.find(target.listener);
    if (it == core.listeners.end()) {
        ++core.stats.sendNoListener;
        return {SendStatus::NoListener, 0};
    }
    const detail::Listener& listener = it->second;
    if (listener.udp) {
        return {listener.udp->sendTo(target.remote, bytes), 0};
    }
    if (target.remote.address.is_v6() != listener.state->local.address.is_v6()) {
        ++core.stats.sendNoListener;
        return {SendStatus::AddressFamily, 0};
    }
    // RFC 3261 §18.1.1: reuse an open connection to the destination.
    if (auto connection = core.findRoute(target.listener, target.remote)) {
        const SendStatus status = connection->enqueue(bytes);
        return {status, status == SendStatus::Ok ? connection->id() : 0};
    }
    return listener.stream->openOutbound(target.remote, bytes);
}

bool TransportLayer::closeConnection(ConnectionId id) {
    auto it = core_->connections.find(id);
    if (it == core_->connections.end()) {
        return false;
    }
    auto connection = it->second;
    connection->close(CloseReason::LocalClose);
    return true;
}

void TransportLayer::shutdown() {
    core_->shutdown();
}

Endpoint TransportLayer::localEndpoint(ListenerId id) const {
    auto it = core_->listeners.find(id);
    if (it == core_->listeners.end()) {
        throw std::out_of_range("transport: unknown listener id " + std::to_string(id));
    }
    return it->second.state->local;
}

const ListenerConfig* TransportLayer::listenerConfig(ListenerId id) const {
    auto it = core_->listeners.find(id);
    return it == core_->listeners.end() ? nullptr : &it->second.state->config;
}

std::optional<ConnectionInfo> TransportLayer::connectionInfo(ConnectionId id) const {
    auto it = core_->connections.find(id);
    if (it == core_->connections.end()) {
        return std::nullopt;
    }
    const detail::StreamConnection& c = *it->second;
    return ConnectionInfo{c.id(),       c.listener().id, c.protocol(),
                          c.outbound(), c.local(),       c.remote()};
}

std::size_t TransportLayer::openConnections() const {
    return core_->connections.size();
}

const Stats& TransportLayer::stats() const {
    return core_->stats;
}

}  // namespace sbc::transport
