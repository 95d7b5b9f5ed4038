#include "api/dataplane_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sbc::dpapi {

namespace {

std::string errnoText(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

Client::Client(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) {
        throw ClientError("socket path too long: " + path);
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        throw ClientError(errnoText("socket"));
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::string e = errnoText(("connect " + path).c_str());
        ::close(fd_);
        fd_ = -1;
        throw ClientError(e);
    }
}

Client::~Client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void Client::sendRaw(const std::vector<std::uint8_t>& bytes) {
    ssize_t n;
    do {
        n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || static_cast<std::size_t>(n) != bytes.size()) {
        throw ClientError(errnoText("send"));
    }
}

std::optional<DecodeResult> Client::receiveRaw(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    int r;
    do {
        r = ::poll(&p, 1, static_cast<int>(timeout.count()));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        throw ClientError(errnoText("poll"));
    }
    if (r == 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> buf(kMaxMessageSize + 1);
    ssize_t n;
    do {
        n = ::recv(fd_, buf.data(), buf.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        throw ClientError(errnoText("recv"));
    }
    if (n == 0) {
        throw ClientError("the data plane closed the control channel");
    }
    buf.resize(static_cast<std::size_t>(n));
    return decode(buf);
}

bool Client::receiveOne(std::chrono::milliseconds timeout) {
    auto res = receiveRaw(timeout);
    if (!res) {
        return false;
    }
    if (!res->ok()) {
        throw ClientError("malformed message from the data plane: " + res->error.text);
    }
    Envelope& e = *res->envelope;
    if (e.seq == 0) {
        events_.push_back(std::move(e.message));
    } else {
        replies_.insert_or_assign(e.seq, std::move(e.message));
    }
    return true;
}

std::uint32_t Client::send(const Message& req) {
    std::uint32_t seq = nextSeq_++;
    if (nextSeq_ == 0) {
        nextSeq_ = 1;
    }
    sendRaw(encode(req, seq));
    return seq;
}

Message Client::await(std::uint32_t seq, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto it = replies_.find(seq); it != replies_.end()) {
            Message m = std::move(it->second);
            replies_.erase(it);
            return m;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !receiveOne(left)) {
            throw ClientError("no reply from the data plane within " +
                              std::to_string(timeout.count()) + " ms");
        }
    }
}

Message Client::request(const Message& req, std::chrono::milliseconds timeout) {
    return await(send(req), timeout);
}

std::optional<Message> Client::nextEvent(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (events_.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() < 0 || !receiveOne(left)) {
            return std::nullopt;
        }
    }
    Message m = std::move(events_.front());
    events_.pop_front();
    return m;
}

}  // namespace sbc::dpapi
