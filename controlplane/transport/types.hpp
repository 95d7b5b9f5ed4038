#pragma once

// Value types exchanged between the TransportLayer and the SIP layer above it.

#include <boost/asio/ip/address.hpp>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "controlplane/transport/config.hpp"

namespace sbc::transport {

using ListenerId = std::uint32_t;    // 1, 2, ... in addListener() order; 0 is never used
using ConnectionId = std::uint64_t;  // 1, 2, ...; never reused; 0 means "no connection" (UDP)

struct Endpoint {
    boost::asio::ip::address address;
    std::uint16_t port = 0;

    friend bool operator==(const Endpoint&, const Endpoint&) = default;
    friend std::strong_ordering operator<=>(const Endpoint& a, const Endpoint& b) {
        if (a.address != b.address) {
            return a.address < b.address ? std::strong_ordering::less
                                         : std::strong_ordering::greater;
        }
        return a.port <=> b.port;
    }
};

// "192.0.2.1:5060" or "[2001:db8::1]:5060".
std::string toString(const Endpoint& endpoint);

// One SIP message as received. Everything the SIP layer needs for RFC 3581 rport/received and
// for sending the response back the way the request came (RFC 3261 §18.2.2).
struct InboundMessage {
    // The whole message. For UDP one datagram (may carry trailing octets, RFC 3261 §18.3); for
    // TCP/TLS exactly start-line + headers + Content-Length body. Valid only during the callback.
    std::string_view bytes;
    Protocol protocol = Protocol::Udp;
    ListenerId listener = 0;
    std::string_view listenerName;  // ListenerConfig::name; valid while the listener exists
    ConnectionId connection = 0;    // 0 for UDP
    // Local address/port the message arrived on (for UDP the listener's bound endpoint).
    Endpoint local;
    // Observed source address/port of the packet or connection: the value for Via
    // "received"/"rport" (RFC 3581 §4).
    Endpoint remote;
};

// Where send() puts bytes.
struct OutboundTarget {
    // Reply over an existing TCP/TLS connection (RFC 3261 §18.2.2). Fails if it has closed.
    static OutboundTarget onConnection(ConnectionId id) {
        OutboundTarget t;
        t.connection = id;
        return t;
    }
    // Send from listener L to remote. UDP: from the listener's own socket, so the source port is
    // the listener's (symmetric signalling, RFC 3581 §4). TCP/TLS: over an open connection of
    // that listener to exactly this remote if there is one (RFC 3261 §18.1.1), otherwise over a
    // new outbound connection (TLS client handshake included).
    static OutboundTarget to(ListenerId listener, Endpoint remote) {
        OutboundTarget t;
        t.listener = listener;
        t.remote = remote;
        return t;
    }

    ConnectionId connection = 0;  // non-zero: onConnection()
    ListenerId listener = 0;
    Endpoint remote;
};

enum class SendStatus : std::uint8_t {
    Ok,               // UDP: handed to the kernel. TCP/TLS: queued (written in order later)
    NoConnection,     // connection id unknown or already closed
    NoListener,       // listener id unknown
    AddressFamily,    // remote address family differs from the listener's bound address
    TooLarge,         // above Limits::maxMessageBytes
    QueueFull,        // Limits::maxSendQueueBytes reached on that connection
    ConnectionLimit,  // a new outbound connection would exceed Limits::maxConnections
    Error,            // immediate socket error (UDP send_to, outbound socket setup)
};

std::string_view toString(SendStatus status) noexcept;

struct SendResult {
    SendStatus status = SendStatus::Error;
    // The TCP/TLS connection used or opened (lets the transaction layer expect the response
    // there); 0 for UDP or on failure.
    ConnectionId connection = 0;

    [[nodiscard]] bool ok() const noexcept { return status == SendStatus::Ok; }
};

// Snapshot of an open TCP/TLS connection.
struct ConnectionInfo {
    ConnectionId id = 0;
    ListenerId listener = 0;
    Protocol protocol = Protocol::Tcp;
    bool outbound = false;  // opened by send(), not accepted
    Endpoint local;         // unknown (unspecified, port 0) until an outbound connect completes
    Endpoint remote;
};

enum class CloseReason : std::uint8_t {
    PeerClosed,  // EOF from the peer
    ReadError,
    WriteError,
    FramingError,  // StreamFramer error (see Stats::framing*)
    IdleTimeout,
    HandshakeFailed,   // TLS
    HandshakeTimeout,  // TLS
    ConnectFailed,     // outbound connect error or timeout
    LocalClose,        // TransportLayer::closeConnection()
    Shutdown,          // TransportLayer destroyed / shutdown()
};

std::string_view toString(CloseReason reason) noexcept;

}  // namespace sbc::transport
