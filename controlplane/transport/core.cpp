#include "controlplane/transport/detail/core.hpp"

#include <vector>

#include "controlplane/transport/detail/listeners.hpp"
#include "controlplane/transport/detail/stream_connection.hpp"

namespace sbc::transport::detail {

ProtocolCounters& Core::counters(Protocol protocol) noexcept {
    switch (protocol) {
        case Protocol::Udp:
            return stats.udp;
        case Protocol::Tcp:
            return stats.tcp;
        case Protocol::Tls:
            return stats.tls;
    }
    return stats.udp;
}

void Core::deliver(const InboundMessage& message) {
    if (stopped) {
        return;
    }
    ++counters(message.protocol).messagesReceived;
    if (onReceive) {
        onReceive(message);
    }
}

void Core::countFramingError(FramingError error) noexcept {
    switch (error) {
        case FramingError::MissingContentLength:
            ++stats.framingMissingContentLength;
            return;
        case FramingError::InvalidContentLength:
            ++stats.framingInvalidContentLength;
            return;
        case FramingError::ConflictingContentLength:
            ++stats.framingConflictingContentLength;
            return;
        case FramingError::HeadersTooLarge:
            ++stats.framingHeadersTooLarge;
            return;
        case FramingError::MessageTooLarge:
            ++stats.framingMessageTooLarge;
            return;
        case FramingError::None:
            return;
    }
}

void Core::addConnection(const std::shared_ptr<StreamConnection>& connection) {
    connections.emplace(connection->id(), connection);
    // Only the first connection to a remote becomes its route; later ones are reachable by id.
    routes.emplace(std::make_tuple(connection->listener().id, connection->remote()),
                   connection->id());
    ListenerState& listener = connection->listener();
    ++listener.connections;
    if (!connection->outbound()) {
        ++listener.inboundPerSource[connection->remote().address];
    }
    ++stats.connectionsOpen;
}

void Core::removeConnection(const StreamConnection& connection, CloseReason reason) {
    auto it = connections.find(connection.id());
    if (it == connections.end()) {
        return;
    }
    std::shared_ptr<StreamConnection> keep = std::move(it->second);
    connections.erase(it);

    auto route = routes.find(std::make_tuple(connection.listener().id, connection.remote()));
    if (route != routes.end() && route->second == connection.id()) {
        routes.erase(route);
    }
    ListenerState& listener = connection.listener();
    --listener.connections;
    if (!connection.outbound()) {
        auto source = listener.inboundPerSource.find(connection.remote().address);
        if (source != listener.inboundPerSource.end() && --source->second == 0) {
            listener.inboundPerSource.erase(source);
        }
    }

    --stats.connectionsOpen;
    ++stats.connectionsClosed;
    switch (reason) {
        case CloseReason::PeerClosed:
            ++stats.connectionsPeerClosed;
            break;
        case CloseReason::ReadError:
            ++stats.connectionsReadErrors;
            break;
        case CloseReason::WriteError:
            ++stats.connectionsWriteErrors;
            break;
        case CloseReason::IdleTimeout:
            ++stats.connectionsIdleTimeouts;
            break;
        case CloseReason::HandshakeFailed:
            ++stats.tlsHandshakeFailures;
            break;
        case CloseReason::HandshakeTimeout:
            ++stats.tlsHandshakeTimeouts;
            break;
        case CloseReason::ConnectFailed:
            ++stats.connectFailures;
            break;
        case CloseReason::FramingError:  // counted by reason in countFramingError()
        case CloseReason::LocalClose:
        case CloseReason::Shutdown:
            break;
    }
    if (!stopped && onClose) {
        onClose(connection.id(), reason);
    }
}

std::shared_ptr<StreamConnection> Core::findRoute(ListenerId listener,
                                                  const Endpoint& remote) const {
    auto route = routes.find(std::make_tuple(listener, remote));
    if (route == routes.end()) {
        return nullptr;
    }
    auto it = connections.find(route->second);
    if (it == connections.end() || it->second->closed()) {
        return nullptr;
    }
    return it->second;
}

void Core::shutdown() {
    if (stopped) {
        return;
    }
    stopped = true;
    for (auto& [id, listener] : listeners) {
        if (listener.udp) {
            listener.udp->close();
        }
        if (listener.stream) {
            listener.stream->close();
        }
    }
    std::vector<std::shared_ptr<StreamConnection>> open;
    open.reserve(connections.size());
    for (auto& [id, connection] : connections) {
        open.push_back(connection);
    }
    for (auto& connection : open) {
        connection->close(CloseReason::Shutdown);
    }
    listeners.clear();
    routes.clear();
}

}  // namespace sbc::transport::detail
