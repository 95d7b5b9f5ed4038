#pragma once

// Configuration of the SIP transports: one ListenerConfig per listening socket.
// Plain data, no Asio; validated by TransportLayer::addListener().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sbc::transport {

enum class Protocol : std::uint8_t { Udp, Tcp, Tls };

// "udp" / "tcp" / "tls" (the Via transport token is the upper-case form, RFC 3261 §18).
std::string_view toString(Protocol protocol) noexcept;

struct TlsConfig {
    // PEM certificate chain (leaf first) and PEM private key presented by this side, both as
    // server (accepted connections) and as client (connections we open; mutual TLS).
    std::string certFile;
    std::string keyFile;
    // Optional PEM bundle of trusted CAs. Without it the system default paths are used when
    // verifyPeer is set.
    std::string caFile;
    // Server side: require and verify a client certificate. Client side: verify the server
    // certificate chain. (No host name check: outbound targets are addresses; matching the SIP
    // domain, RFC 5922, belongs to the layer that knows it.)
    bool verifyPeer = false;
    // OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites use OpenSSL's defaults). Forward-secret AEAD
    // first, AES-CBC kept for older SIP trunks; never NULL/export/RC4/3DES/MD5.
    std::string cipherList =
        "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:ECDHE+AES:!aNULL:!eNULL:!MD5:!RC4:!3DES:!DES";
};

// Every resource a peer can make us spend is bounded here.
struct Limits {
    // Largest SIP message (start-line + headers + body) accepted or sent, in bytes. UDP datagrams
    // above it are dropped; on TCP/TLS it closes the connection.
    std::size_t maxMessageBytes = 65535;
    // Open TCP/TLS connections on this listener, inbound + outbound.
    std::size_t maxConnections = 4096;
    // Open inbound TCP/TLS connections from one source IP address on this listener.
    std::size_t maxConnectionsPerSource = 32;
    // A stream connection with no bytes read or written for this long is closed.
    std::chrono::milliseconds idleTimeout{std::chrono::minutes(5)};
    // Deadline for the TLS handshake, inbound and outbound.
    std::chrono::milliseconds tlsHandshakeTimeout{std::chrono::seconds(10)};
    // Deadline for an outbound TCP connect.
    std::chrono::milliseconds connectTimeout{std::chrono::seconds(5)};
    // Bytes queued for sending on one stream connection; a send beyond it is refused.
    std::size_t maxSendQueueBytes = 1024 * 1024;
};

struct ListenerConfig {
    // Side/interface name ("outside", "inside", ...), reported with every inbound message.
    std::string name;
    Protocol protocol = Protocol::Udp;
    // Literal IPv4 or IPv6 address ("0.0.0.0", "::", "192.0.2.1", "2001:db8::1"). IPv6 sockets
    // are IPv6-only: add a second listener to serve both families on one port.
    std::string bindAddress = "0.0.0.0";
    // 0 picks an ephemeral port; TransportLayer::localEndpoint() reports the bound one.
    std::uint16_t port = 5060;
    TlsConfig tls;  // used when protocol == Protocol::Tls
    Limits limits;
};

struct Config {
    std::vector<ListenerConfig> listeners;
};

}  // namespace sbc::transport
