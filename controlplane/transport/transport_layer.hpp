#pragma once

// TransportLayer: the SIP transports (RFC 3261 §18) of the SBC: UDP, TCP and TLS listeners on
// IPv4 and IPv6, inbound and outbound stream connections, keep-alives and resource limits.
//
// Threading and ownership
//  * Everything runs on ONE boost::asio::io_context, driven by ONE thread. Every member function
//    must be called from that thread (or before it starts running the io_context). Nothing here
//    is locked; do not run the io_context from several threads.
//  * The io_context must outlive the TransportLayer.
//  * The TransportLayer owns its listeners. Each stream connection is a std::shared_ptr owned by
//    the layer's connection table while open and by its own pending async operations; close()
//    removes it from the table, and it is freed once its last handler has run.
//  * Callbacks (receive, close) run on the io_context thread, from inside the layer. They may call
//    send()/closeConnection()/stats(); they must not throw, and must not destroy the layer.
//  * Destroying the layer (or shutdown()) closes every socket at once (no graceful TLS
//    close_notify, queued sends are dropped and counted) and stops all callbacks.
//
// What the SIP layer above gets: each message with its protocol, listener, connection id and the
// exact observed source address/port (for Via received/rport, RFC 3581 §4), and a way to answer
// on the same socket/connection (RFC 3261 §18.2.2, RFC 3581 §4). Rewriting the Via is its job.

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "controlplane/transport/config.hpp"
#include "controlplane/transport/stats.hpp"
#include "controlplane/transport/types.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace sbc::transport {

namespace detail {
class Core;
}  // namespace detail

class TransportLayer {
  public:
    using ReceiveHandler = std::function<void(const InboundMessage&)>;
    using CloseHandler = std::function<void(ConnectionId, CloseReason)>;

    explicit TransportLayer(boost::asio::io_context& io);
    ~TransportLayer();
    TransportLayer(const TransportLayer&) = delete;
    TransportLayer& operator=(const TransportLayer&) = delete;

    // Called for every received SIP message. InboundMessage::bytes is valid during the call only.
    void setReceiveHandler(ReceiveHandler handler);
    // Called once for every stream connection that closes (not for shutdown()).
    void setCloseHandler(CloseHandler handler);

    // Binds and starts a listener (start-up time). Throws std::runtime_error with a readable
    // message on an invalid address or limits, a bind/listen failure, or unusable TLS
    // certificate/key/CA files.
    ListenerId addListener(const ListenerConfig& config);
    std::vector<ListenerId> addListeners(const Config& config);

    // Sends one SIP message (see OutboundTarget). Never blocks and never throws on network
    // errors: failures are returned and counted in stats(). For TCP/TLS, Ok means queued: a later
    // write failure closes the connection (CloseHandler, CloseReason::WriteError).
    SendResult send(const OutboundTarget& target, std::string_view bytes);

    // Closes a TCP/TLS connection now (CloseReason::LocalClose). Returns false if unknown.
    bool closeConnection(ConnectionId id);

    // Closes all listeners and connections; further sends fail. Idempotent; the destructor calls
    // it.
    void shutdown();

    // The bound endpoint of a listener (with the real port if ListenerConfig::port was 0).
    // Throws std::out_of_range for an unknown id.
    [[nodiscard]] Endpoint localEndpoint(ListenerId id) const;
    // Nullptr for an unknown id.
    [[nodiscard]] const ListenerConfig* listenerConfig(ListenerId id) const;
    [[nodiscard]] std::optional<ConnectionInfo> connectionInfo(ConnectionId id) const;
    [[nodiscard]] std::size_t openConnections() const;

    [[nodiscard]] const Stats& stats() const;

  private:
    std::shared_ptr<detail::Core> core_;
};

}  // namespace sbc::transport
