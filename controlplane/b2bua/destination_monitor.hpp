#pragma once
// DestinationMonitor: OPTIONS pinging of trunk destinations (RFC 3261 §11 as a keep-alive, the
// carriers' usual health check). Each destination of a trunk whose policy enables pinging gets an
// OPTIONS every interval; `failuresToDown` consecutive timeouts or 5xx mark it down (calls skip
// it), `successesToUp` answers (any other final) mark it up again. Destinations of trunks without
// pinging are always up.
//
// The policy can change under it (reload): destinations are keyed by trunk, host, port and
// transport, and state of destinations no longer in the policy is dropped.
//
// Threading: owned by the io_context thread, like the transaction layer it sends through.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "controlplane/b2bua/call.hpp"
#include "controlplane/b2bua/identifiers.hpp"
#include "controlplane/policy/model.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/transaction_layer.hpp"

namespace sbc::b2bua {

struct DestinationMonitorStats {
    std::uint64_t pingsSent = 0;
    std::uint64_t pingsAnswered = 0;
    std::uint64_t pingsFailed = 0;  // timeout, transport error or 5xx
    std::uint64_t markedDown = 0;
    std::uint64_t markedUp = 0;
    std::uint64_t down = 0;  // gauge
};

// One pinged destination as the operator sees it (sbcctl destinations, metrics, logs).
struct DestinationStatus {
    std::string trunk;
    std::string host;
    std::uint16_t port = 0;
    policy::Transport transport = policy::Transport::Udp;
    bool up = true;
    int failures = 0;           // consecutive failed pings
    int successes = 0;          // consecutive answered pings
    std::uint64_t changes = 0;  // up/down transitions since sbc started
};

class DestinationMonitor {
  public:
    using PolicyFn = std::function<policy::PolicyPtr()>;
    // Called when a destination is marked down or up again (after the change).
    using ChangeFn = std::function<void(const DestinationStatus&)>;

    DestinationMonitor(transaction::TransactionLayer& transactions,
                       transaction::TimerService& timers, PolicyFn policy,
                       std::vector<SideListener> listeners, std::string userAgent,
                       std::chrono::milliseconds tick = std::chrono::seconds(1));
    ~DestinationMonitor();
    DestinationMonitor(const DestinationMonitor&) = delete;
    DestinationMonitor& operator=(const DestinationMonitor&) = delete;

    void start();
    bool isUp(const policy::Trunk& trunk, const policy::Destination& d) const;
    // Every destination of a trunk with pinging enabled, sorted by trunk, then host and port.
    std::vector<DestinationStatus> snapshot() const;
    void setChangeHandler(ChangeFn fn) { onChange_ = std::move(fn); }
    const DestinationMonitorStats& stats() const noexcept { return stats_; }

  private:
    struct State {
        DestinationStatus status;  // up, failures, successes live here
        bool inFlight = false;
        bool seen = false;  // still in the policy at the last tick
        transaction::TimePoint next{};
    };

    void tick();
    void ping(const std::string& key, const policy::Trunk& trunk, const policy::Destination& d);
    void result(const std::string& key, bool ok);
    const SideListener* listenerFor(const std::string& side, policy::Transport t, bool v6) const;

    transaction::TransactionLayer& transactions_;
    transaction::TimerService& timers_;
    PolicyFn policy_;
    std::vector<SideListener> listeners_;
    std::string userAgent_;
    std::chrono::milliseconds tick_;
    transaction::TimerId timer_ = transaction::kNoTimer;
    std::unordered_map<std::string, State> states_;
    std::unordered_map<std::string, policy::OptionsPing> settings_;
    IdGenerator ids_;
    DestinationMonitorStats stats_;
    ChangeFn onChange_;
    // Transaction callbacks may outlive the monitor: they check this first.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "host:port;transport=udp" ([host] for IPv6): how logs, sbcctl and metrics name a destination.
std::string destinationName(const DestinationStatus& d);

// "trunk|host|port|transport": the identity of a destination across policy reloads.
std::string destinationKey(const policy::Trunk& trunk, const policy::Destination& d);

}  // namespace sbc::b2bua
