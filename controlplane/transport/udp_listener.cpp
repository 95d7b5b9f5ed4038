#include <boost/asio/error.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <stdexcept>

#include "controlplane/transport/detail/core.hpp"
#include "controlplane/transport/detail/listeners.hpp"

namespace sbc::transport::detail {

namespace {

namespace asio = boost::asio;
using asio::ip::udp;

// RFC 5626 §4.4.1 style CRLF keep-alives sent over UDP by many user agents (the RFC's own UDP
// mechanism is STUN, which the SIP parser rejects): only CR and LF octets.
bool onlyCrlf(std::string_view bytes) noexcept {
    for (char c : bytes) {
        if (c != '\r' && c != '\n') {
            return false;
        }
    }
    return true;
}

[[noreturn]] void fail(const ListenerState& state, const std::string& what,
                       const boost::system::error_code& ec) {
    throw std::runtime_error("transport: udp listener '" + state.config.name + "' on " +
                             toString(state.local) + ": " + what + ": " + ec.message());
}

}  // namespace

std::shared_ptr<UdpListener> openUdpListener(const std::shared_ptr<Core>& core,
                                             const std::shared_ptr<ListenerState>& state) {
    udp::socket socket(core->io);
    const udp::endpoint bindTo(state->local.address, state->local.port);
    boost::system::error_code ec;
    socket.open(bindTo.protocol(), ec);
    if (ec) {
        fail(*state, "cannot open socket", ec);
    }
    if (bindTo.address().is_v6()) {
        // One family per listener: "::" must not also swallow IPv4 (mapped addresses).
        socket.set_option(asio::ip::v6_only(true), ec);
        if (ec) {
            fail(*state, "cannot set IPV6_V6ONLY", ec);
        }
    }
    socket.bind(bindTo, ec);
    if (ec) {
        fail(*state, "cannot bind", ec);
    }
    // send_to() must never block the io_context thread.
    socket.non_blocking(true, ec);
    if (ec) {
        fail(*state, "cannot make the socket non-blocking", ec);
    }
    udp::endpoint bound = socket.local_endpoint(ec);
    if (ec) {
        fail(*state, "cannot read the bound address", ec);
    }
    state->local = Endpoint{bound.address(), bound.port()};
    auto listener = std::make_shared<UdpListener>(core, state, std::move(socket));
    listener->start();
    return listener;
}

UdpListener::UdpListener(std::shared_ptr<Core> core, std::shared_ptr<ListenerState> state,
                         udp::socket socket)
    : core_(std::move(core)),
      state_(std::move(state)),
      socket_(std::move(socket)),
      buffer_(state_->config.limits.maxMessageBytes + 1) {}

void UdpListener::start() {
    doReceive();
}

void UdpListener::close() {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
}

void UdpListener::doReceive() {
    socket_.async_receive_from(
        asio::buffer(buffer_), sender_,
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            self->onReceive(ec, n);
        });
}

void UdpListener::onReceive(const boost::system::error_code& ec, std::size_t n) {
    if (closed_ || core_->stopped) {
        return;
    }
    if (ec) {
        if (ec == asio::error::operation_aborted) {
            return;
        }
        ++core_->stats.udpReceiveErrors;
        doReceive();
        return;
    }
    core_->stats.udp.bytesReceived += n;
    const std::string_view bytes(buffer_.data(), n);
    if (n == 0) {
        ++core_->stats.udpEmptyDrops;
    } else if (n > state_->config.limits.maxMessageBytes) {
        // The buffer is one byte larger than the limit, so n > limit means "too large" (the
        // kernel truncated the rest of the datagram).
        ++core_->stats.udpOversizeDrops;
    } else if (onlyCrlf(bytes)) {
        ++core_->stats.udpKeepalives;
    } else {
        InboundMessage message;
        message.bytes = bytes;
        message.protocol = Protocol::Udp;
        message.listener = state_->id;
        message.listenerName = state_->config.name;
        message.connection = 0;
        message.local = state_->local;
        message.remote = Endpoint{sender_.address(), sender_.port()};
        core_->deliver(message);
        if (closed_ || core_->stopped) {
            return;
        }
    }
    doReceive();
}

SendStatus UdpListener::sendTo(const Endpoint& remote, std::string_view bytes) {
    if (closed_) {
        ++core_->stats.sendNoListener;
        return SendStatus::NoListener;
    }
    if (bytes.size() > state_->config.limits.maxMessageBytes) {
        ++core_->stats.sendTooLarge;
        return SendStatus::TooLarge;
    }
    if (remote.address.is_v6() != state_->local.address.is_v6()) {
        ++core_->stats.sendNoListener;
        return SendStatus::AddressFamily;
    }
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(bytes.data(), bytes.size()),
                    udp::endpoint(remote.address, remote.port), 0, ec);
    if (ec) {
        ++core_->stats.sendErrors;
        return SendStatus::Error;
    }
    ++core_->stats.udp.messagesSent;
    core_->stats.udp.bytesSent += bytes.size();
    return SendStatus::Ok;
}

}  // namespace sbc::transport::detail
