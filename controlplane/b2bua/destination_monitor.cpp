#include "controlplane/b2bua/destination_monitor.hpp"

#include "controlplane/b2bua/messages.hpp"
#include "controlplane/sip/serializer.hpp"

namespace sbc::b2bua {

std::string destinationKey(const policy::Trunk& trunk, const policy::Destination& d) {
    return trunk.name + "|" + d.host + "|" + std::to_string(d.port) + "|" +
           std::string(viaTransport(d.transport));
}

DestinationMonitor::DestinationMonitor(transaction::TransactionLayer& transactions,
                                       transaction::TimerService& timers, PolicyFn policy,
                                       std::vector<SideListener> listeners, std::string userAgent,
                                       std::chrono::milliseconds tick)
    : transactions_(transactions),
      timers_(timers),
      policy_(std::move(policy)),
      listeners_(std::move(listeners)),
      userAgent_(std::move(userAgent)),
      tick_(tick) {}

DestinationMonitor::~DestinationMonitor() {
    *alive_ = false;
    timers_.cancel(timer_);
}

void DestinationMonitor::start() {
    timers_.cancel(timer_);
    timer_ = timers_.schedule(std::chrono::milliseconds(0), [this] { tick(); });
}

bool DestinationMonitor::isUp(const policy::Trunk& trunk, const policy::Destination& d) const {
    if (!trunk.ping.enabled) {
        return true;
    }
    auto it = states_.find(destinationKey(trunk, d));
    return it == states_.end() || it->second.up;
}

const SideListener* DestinationMonitor::listenerFor(const std::string& side, policy::Transport t,
                                                    bool v6) const {
    for (const SideListener& l : listeners_) {
        if (l.side == side && l.transport == t &&
            (l.address.find(':') != std::string::npos) == v6) {
            return &l;
        }
    }
    return nullptr;
}

void DestinationMonitor::tick() {
    timer_ = timers_.schedule(tick_, [this] { tick(); });
    policy::PolicyPtr p = policy_ ? policy_() : nullptr;
    for (auto& [key, s] : states_) {
        s.seen = false;
    }
    if (p != nullptr) {
        transaction::TimePoint now = timers_.now();
        for (const policy::Trunk& trunk : p->trunks) {
            if (!trunk.ping.enabled) {
                continue;
            }
            for (const policy::Destination& d : trunk.destinations) {
                std::string key = destinationKey(trunk, d);
                State& s = states_[key];
                s.seen = true;
                settings_[key] = trunk.ping;
                if (!s.inFlight && s.next <= now) {
                    s.next = now + trunk.ping.interval;
                    ping(key, trunk, d);
                }
            }
        }
    }
    // Destinations gone from the policy are forgotten (a reload removed them).
    std::erase_if(states_, [](const auto& kv) { return !kv.second.seen && !kv.second.inFlight; });
    std::erase_if(settings_, [this](const auto& kv) { return !states_.contains(kv.first); });
    std::uint64_t down = 0;
    for (const auto& [key, s] : states_) {
        down += s.up ? 0 : 1;
    }
    stats_.down = down;
}

void DestinationMonitor::ping(const std::string& key, const policy::Trunk& trunk,
                              const policy::Destination& d) {
    const SideListener* l =
        listenerFor(trunk.side, d.transport, d.host.find(':') != std::string::npos);
    if (l == nullptr) {
        return;
    }
    std::string hp = hostPort(d.host, d.port);
    sip::MessageWriter w(512);
    w.requestLine("OPTIONS", "sip:" + hp);
    w.header(sip::HeaderId::Via, "SIP/2.0/" + std::string(viaTransport(d.transport)) + " " +
                                     hostPort(l->address, l->port) + ";branch=" + ids_.branch() +
                                     ";rport");
    w.header(sip::HeaderId::MaxForwards, "70");
    w.header(sip::HeaderId::From,
             "<sip:ping@" + hostPort(l->address, l->port) + ">;tag=" + ids_.tag());
    w.header(sip::HeaderId::To, "<sip:" + hp + ">");
    w.header(sip::HeaderId::CallId, ids_.callId());
    w.header(sip::HeaderId::CSeq, "1 OPTIONS");
    w.header(sip::HeaderId::UserAgent, userAgent_);
    w.header(sip::HeaderId::Accept, "application/sdp");
    transaction::Target target{l->id, 0, d.host, d.port, d.transport != policy::Transport::Udp};
    std::weak_ptr<bool> alive = alive_;
    transaction::ClientCallbacks cb;
    cb.onResponse = [this, alive, key](const sip::Message& r) {
        if (alive.expired() || r.statusCode() < 200) {
            return;
        }
        result(key, r.statusCode() < 500);
    };
    cb.onTimeout = [this, alive, key] {
        if (!alive.expired()) {
            result(key, false);
        }
    };
    transaction::StartResult res = transactions_.sendRequest(w.finish(), target, std::move(cb));
    if (res.ok()) {
        states_[key].inFlight = true;
        ++stats_.pingsSent;
    }
}

void DestinationMonitor::result(const std::string& key, bool ok) {
    auto it = states_.find(key);
    if (it == states_.end()) {
        return;
    }
    State& s = it->second;
    s.inFlight = false;
    const policy::OptionsPing& cfg = settings_[key];
    if (ok) {
        ++stats_.pingsAnswered;
        s.failures = 0;
        ++s.successes;
        if (!s.up && s.successes >= cfg.successesToUp) {
            s.up = true;
            ++stats_.markedUp;
        }
    } else {
        ++stats_.pingsFailed;
        s.successes = 0;
        ++s.failures;
        if (s.up && s.failures >= cfg.failuresToDown) {
            s.up = false;
            ++stats_.markedDown;
        }
    }
}

}  // namespace sbc::b2bua
