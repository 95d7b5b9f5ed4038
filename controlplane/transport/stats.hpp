#pragma once

// Transport counters. Plain data; updated only on the io_context thread that runs the
// TransportLayer (see transport_layer.hpp) and read from there (TransportLayer::stats()) by the
// metrics exporter. All values are monotonically increasing counters except where marked "gauge".

#include <cstdint>

namespace sbc::transport {

struct ProtocolCounters {
    std::uint64_t messagesReceived = 0;  // SIP messages delivered to the receive callback
    std::uint64_t bytesReceived = 0;     // bytes read from sockets (incl. keep-alives, TLS payload)
    std::uint64_t messagesSent = 0;      // SIP messages fully handed to the kernel
    std::uint64_t bytesSent = 0;         // bytes of those messages (excluding keep-alive pongs)
};

struct Stats {
    ProtocolCounters udp;
    ProtocolCounters tcp;
    ProtocolCounters tls;

    // --- UDP ---
    std::uint64_t udpOversizeDrops = 0;  // datagrams larger than Limits::maxMessageBytes, dropped
    std::uint64_t udpEmptyDrops = 0;     // zero-length datagrams, dropped
    std::uint64_t udpKeepalives = 0;     // datagrams made only of CR/LF, dropped silently
    std::uint64_t udpReceiveErrors = 0;  // receive_from errors (the listener keeps receiving)

    // --- stream keep-alives (RFC 5626 §4.4.1) ---
    std::uint64_t streamPings = 0;  // "\r\n\r\n" pings received on TCP/TLS
    std::uint64_t streamPongs = 0;  // "\r\n" pongs queued in answer

    // --- stream framing errors (StreamFramer; each closes its connection) ---
    std::uint64_t framingMissingContentLength = 0;
    std::uint64_t framingInvalidContentLength = 0;      // empty, non-numeric, negative
    std::uint64_t framingConflictingContentLength = 0;  // several different values
    std::uint64_t framingHeadersTooLarge = 0;           // no end of headers within the limit
    std::uint64_t framingMessageTooLarge = 0;           // headers + body above the limit

    // --- stream connections ---
    std::uint64_t connectionsAccepted = 0;        // inbound connections accepted and kept
    std::uint64_t connectionsOpenedOutbound = 0;  // outbound connections started
    std::uint64_t connectionsRejectedTotal = 0;   // refused: listener at Limits::maxConnections
                                                  // (inbound closed at once / outbound not opened)
    std::uint64_t connectionsRejectedPerSource = 0;  // inbound closed at once: source IP at
                                                     // Limits::maxConnectionsPerSource
    std::uint64_t connectionsClosed = 0;             // connections closed for any reason
    std::uint64_t connectionsPeerClosed = 0;         // ... because the peer closed (EOF)
    std::uint64_t connectionsIdleTimeouts = 0;       // ... because of Limits::idleTimeout
    std::uint64_t connectionsReadErrors = 0;         // ... because a read failed (not EOF)
    std::uint64_t connectionsWriteErrors = 0;        // ... because a write failed
    std::uint64_t connectFailures = 0;               // outbound connects failed or timed out
    std::uint64_t acceptErrors = 0;                  // accept() errors (the listener keeps going)
    std::uint64_t connectionsOpen = 0;               // gauge: stream connections open right now

    // --- TLS ---
    std::uint64_t tlsHandshakesCompleted = 0;  // inbound + outbound
    std::uint64_t tlsHandshakeFailures = 0;  // handshake errors (protocol version, cipher, cert..)
    std::uint64_t tlsHandshakeTimeouts = 0;  // handshakes cut by Limits::tlsHandshakeTimeout

    // --- sending ---
    std::uint64_t sendQueueOverflows = 0;  // sends refused: Limits::maxSendQueueBytes reached
    std::uint64_t sendTooLarge = 0;        // sends refused: above Limits::maxMessageBytes
    std::uint64_t sendNoConnection = 0;    // sends refused: connection id unknown or closed
    std::uint64_t sendNoListener = 0;      // refused: no such listener, or wrong address family
    std::uint64_t sendErrors = 0;          // UDP send_to errors (incl. would-block drops)
    std::uint64_t sendDroppedOnClose = 0;  // queued stream messages discarded by a close
};

}  // namespace sbc::transport
