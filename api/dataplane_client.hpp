#pragma once
// A small blocking client of the data-plane control channel (dataplane/README.md): connect,
// send a request, await the reply with the same seq. Events (FlowIdle) that arrive while waiting
// are queued and returned by nextEvent(). Used by tests, benchmarks and controlplane/media.
//
// Threading: one thread at a time per Client (no internal locking).
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "api/dataplane_protocol.hpp"

namespace sbc::dpapi {

// I/O failure, timeout, or a datagram from the data plane that does not decode.
class ClientError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Client {
  public:
    // Connects to the SOCK_SEQPACKET socket at `path`; throws ClientError.
    explicit Client(const std::string& path);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Sends `req` and returns its reply (which may be an ErrorReply). Throws ClientError on I/O
    // failure, a malformed reply, or no reply within `timeout`.
    Message request(const Message& req,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Pipelining: send() returns the seq used; await() returns that seq's reply.
    std::uint32_t send(const Message& req);
    Message await(std::uint32_t seq, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // The next unsolicited event, waiting up to `timeout`; nullopt when none arrived.
    std::optional<Message> nextEvent(std::chrono::milliseconds timeout);

    // Sends raw bytes as one datagram (tests of the server's validation).
    void sendRaw(const std::vector<std::uint8_t>& bytes);
    // Receives one datagram and decodes it; nullopt on timeout. Throws on I/O error.
    std::optional<DecodeResult> receiveRaw(std::chrono::milliseconds timeout);

    int fd() const noexcept { return fd_; }

  private:
    // Receives one datagram into replies_/events_; false on timeout.
    bool receiveOne(std::chrono::milliseconds timeout);

    int fd_ = -1;
    std::uint32_t nextSeq_ = 1;
    std::map<std::uint32_t, Message> replies_;
    std::deque<Message> events_;
};

}  // namespace sbc::dpapi
