#include "controlplane/transport/types.hpp"

namespace sbc::transport {

std::string_view toString(Protocol protocol) noexcept {
    switch (protocol) {
        case Protocol::Udp:
            return "udp";
        case Protocol::Tcp:
            return "tcp";
        case Protocol::Tls:
            return "tls";
    }
    return "unknown";
}

std::string toString(const Endpoint& endpoint) {
    std::string out;
    if (endpoint.address.is_v6()) {
        out = "[" + endpoint.address.to_string() + "]";
    } else {
        out = endpoint.address.to_string();
    }
    out += ':';
    out += std::to_string(endpoint.port);
    return out;
}

std::string_view toString(SendStatus status) noexcept {
    switch (status) {
        case SendStatus::Ok:
            return "ok";
        case SendStatus::NoConnection:
            return "no_connection";
        case SendStatus::NoListener:
            return "no_listener";
        case SendStatus::AddressFamily:
            return "address_family";
        case SendStatus::TooLarge:
            return "too_large";
        case SendStatus::QueueFull:
            return "queue_full";
        case SendStatus::ConnectionLimit:
            return "connection_limit";
        case SendStatus::Error:
            return "error";
    }
    return "unknown";
}

std::string_view toString(CloseReason reason) noexcept {
    switch (reason) {
        case CloseReason::PeerClosed:
            return "peer_closed";
        case CloseReason::ReadError:
            return "read_error";
        case CloseReason::WriteError:
            return "write_error";
        case CloseReason::FramingError:
            return "framing_error";
        case CloseReason::IdleTimeout:
            return "idle_timeout";
        case CloseReason::HandshakeFailed:
            return "handshake_failed";
        case CloseReason::HandshakeTimeout:
            return "handshake_timeout";
        case CloseReason::ConnectFailed:
            return "connect_failed";
        case CloseReason::LocalClose:
            return "local_close";
        case CloseReason::Shutdown:
            return "shutdown";
    }
    return "unknown";
}

}  // namespace sbc::transport
