#pragma once

// Internal to controlplane/transport: shared state of one TransportLayer.
//
// Ownership: TransportLayer holds the Core by shared_ptr; listeners and connections hold it too,
// so a handler still queued in the io_context after the layer is gone finds valid (stopped) state.
// The Core owns the listener and connection tables; the cycles Core -> table -> object -> Core
// are broken by close()/shutdown(), which empty the tables. Single io_context thread only.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstddef>
#include <map>
#include <memory>
#include <tuple>
#include <unordered_map>

#include "controlplane/transport/config.hpp"
#include "controlplane/transport/stats.hpp"
#include "controlplane/transport/stream_framer.hpp"
#include "controlplane/transport/transport_layer.hpp"
#include "controlplane/transport/types.hpp"

namespace sbc::transport::detail {

class UdpListener;
class StreamListener;
class StreamConnection;

// What every socket of one listener shares. Config and contexts are fixed after addListener();
// the counters are maintained by Core::addConnection()/removeConnection().
struct ListenerState {
    ListenerId id = 0;
    ListenerConfig config;
    Endpoint local;                                        // bound endpoint
    std::unique_ptr<boost::asio::ssl::context> tlsServer;  // TLS listeners only
    std::unique_ptr<boost::asio::ssl::context> tlsClient;  // TLS listeners only
    std::size_t connections = 0;                           // open, inbound + outbound
    std::map<boost::asio::ip::address, std::size_t> inboundPerSource;
};

struct Listener {
    std::shared_ptr<ListenerState> state;
    std::shared_ptr<UdpListener> udp;        // set for UDP
    std::shared_ptr<StreamListener> stream;  // set for TCP/TLS
};

class Core {
  public:
    explicit Core(boost::asio::io_context& ioContext) : io(ioContext) {}

    ProtocolCounters& counters(Protocol protocol) noexcept;
    // Hands a message to the SIP layer (no-op once stopped).
    void deliver(const InboundMessage& message);
    void countFramingError(FramingError error) noexcept;

    // Connection table. addConnection() takes a new connection into the table and the listener's
    // counters; removeConnection() undoes it exactly once, counts the close and calls the
    // CloseHandler.
    void addConnection(const std::shared_ptr<StreamConnection>& connection);
    void removeConnection(const StreamConnection& connection, CloseReason reason);
    // An open connection of `listener` to exactly `remote` (RFC 3261 §18.1.1 reuse), or null.
    std::shared_ptr<StreamConnection> findRoute(ListenerId listener, const Endpoint& remote) const;

    void shutdown();

    boost::asio::io_context& io;
    Stats stats;
    TransportLayer::ReceiveHandler onReceive;
    TransportLayer::CloseHandler onClose;
    std::map<ListenerId, Listener> listeners;
    std::unordered_map<ConnectionId, std::shared_ptr<StreamConnection>> connections;
    std::map<std::tuple<ListenerId, Endpoint>, ConnectionId> routes;
    ListenerId nextListenerId = 1;
    ConnectionId nextConnectionId = 1;
    bool stopped = false;
};

}  // namespace sbc::transport::detail
