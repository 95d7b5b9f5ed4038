#pragma once
// The control channel server (dataplane/README.md): a Unix SOCK_SEQPACKET socket (mode 0600),
// sessions that must start with Hello, requests decoded and validated by api::decode() before
// anything is applied, FlowIdle events broadcast to every session after Hello.
//
// Threading: run() is the body of one control thread created with rte_ctrl_thread_create (never a
// polling lcore). It owns the sessions and is the only caller of the FlowTable. handle() is
// public so unit tests can drive the same code without a socket, on their own thread.
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "api/dataplane_protocol.hpp"
#include "dataplane/dataplane.hpp"

namespace sbc::dataplane {

inline constexpr std::size_t kMaxControlSessions = 16;

class ControlServer {
  public:
    struct Session {
        int fd = -1;
        bool hello = false;
    };

    // Binds and listens on `path` (replacing a stale socket file); throws std::runtime_error.
    ControlServer(Dataplane& dp, std::string path);
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    void start();                                          // the control thread
    void stop();                                           // and join it
    pthread_t thread() const noexcept { return thread_; }  // valid after start()

    // One datagram of `session` in, the encoded reply out.
    std::vector<std::uint8_t> handle(Session& session, std::span<const std::uint8_t> datagram);
    // Several datagrams of one session, replies in order. Consecutive DeleteFlow requests share
    // one RCU grace period (what makes deletes cheap while workers are busy).
    std::vector<std::vector<std::uint8_t>> handleBatch(
        Session& session, const std::vector<std::vector<std::uint8_t>>& datagrams);
    // Idle flows as encoded FlowIdle events (the caller sends them).
    std::vector<std::vector<std::uint8_t>> idleEvents();

  private:
    static void* threadMain(void* self);
    void run();
    dpapi::Message dispatch(Session& session, const dpapi::Message& m);

    Dataplane& dp_;
    std::string path_;
    int listenFd_ = -1;
    std::vector<Session> sessions_;
    pthread_t thread_{};
    bool started_ = false;
    std::atomic<bool> stop_{false};
};

}  // namespace sbc::dataplane
