#pragma once

// Internal: the listening sockets. Each is owned by Core::listeners and kept alive by its own
// pending receive/accept (shared_from_this). Single io_context thread only.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string_view>
#include <vector>

#include "controlplane/transport/types.hpp"

namespace sbc::transport::detail {

class Core;
struct ListenerState;

// Binds the socket(s) described by state->config, records state->local and starts the listener.
// Throws std::runtime_error on failure. Implemented in udp_listener.cpp / stream_listener.cpp.
class UdpListener;
class StreamListener;
std::shared_ptr<UdpListener> openUdpListener(const std::shared_ptr<Core>& core,
                                             const std::shared_ptr<ListenerState>& state);
std::shared_ptr<StreamListener> openStreamListener(const std::shared_ptr<Core>& core,
                                                   const std::shared_ptr<ListenerState>& state);

// One UDP socket: receives datagrams (each one SIP message, RFC 3261 §18.3) and sends from the
// same socket, so responses leave from the port requests arrived on (RFC 3581 §4).
class UdpListener : public std::enable_shared_from_this<UdpListener> {
  public:
    UdpListener(std::shared_ptr<Core> core, std::shared_ptr<ListenerState> state,
                boost::asio::ip::udp::socket socket);

    void start();
    void close();
    // Synchronous, non-blocking send_to (a full socket buffer is a counted drop, SIP retransmits).
    SendStatus sendTo(const Endpoint& remote, std::string_view bytes);

  private:
    void doReceive();
    void onReceive(const boost::system::error_code& ec, std::size_t n);

    std::shared_ptr<Core> core_;
    std::shared_ptr<ListenerState> state_;
    boost::asio::ip::udp::socket socket_;
    boost::asio::ip::udp::endpoint sender_;
    std::vector<char> buffer_;  // maxMessageBytes + 1: one more byte detects oversize datagrams
    bool closed_ = false;
};

// One TCP/TLS acceptor; applies the connection limits, and opens outbound connections for this
// listener.
class StreamListener : public std::enable_shared_from_this<StreamListener> {
  public:
    StreamListener(std::shared_ptr<Core> core, std::shared_ptr<ListenerState> state,
                   boost::asio::ip::tcp::acceptor acceptor);

    void start();
    void close();
    // send() to a remote without an open connection: opens one, queues `bytes` on it.
    SendResult openOutbound(const Endpoint& remote, std::string_view bytes);

  private:
    void doAccept();
    void onAccept(const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);

    std::shared_ptr<Core> core_;
    std::shared_ptr<ListenerState> state_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retryTimer_;  // back-off after EMFILE-like accept errors
    bool closed_ = false;
};

}  // namespace sbc::transport::detail
