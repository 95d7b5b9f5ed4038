#include "controlplane/b2bua/destination_monitor.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "controlplane/b2bua/messages.hpp"
#include "controlplane/sip/serializer.hpp"

namespace sbc::b2bua {

std::string destinationKey(const policy::Trunk& trunk, const policy::Destination& d) {
    return trunk.name + "|" + d.host + "|" + std::to_string(d.port) + "|" +
           std::string(viaTransport(d.transport));
}

std::string destinationName(const DestinationStatus& d) {
    std::string transport(viaTransport(d.transport));
    for (char& c : transport) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return hostPort(d.host, d.port) + ";transport=" + transport;
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
    return it == states_.end() || it->second.status.up;
}

std::vector<DestinationStatus> DestinationMonitor::snapshot() const {
    std::vector<DestinationStatus> out;
    out.reserve(states_.size());
    for (const auto& [key, s] : states_) {
        out.push_back(s.status);
    }
    std::sort(out.begin(), out.end(), [](const DestinationStatus& a, const DestinationStatus& b) {
        return std::tie(a.trunk, a.host, a.port, a.transport) <
               std::tie(b.trunk, b.host, b.port, b.transport);
    });
    return out;
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
                if (s.status.trunk.empty()) {
                    s.status.trunk = trunk.name;
                    s.status.host = d.host;
                    s.status.port = d.port;
                    s.status.transport = d.transport;
                }
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
        down += s.status.up ? 0 : 1;
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
    DestinationStatus& st = s.status;
    s.inFlight = false;
    const policy::OptionsPing& cfg = settings_[key];
    bool changed = false;
    if (ok) {
        ++stats_.pingsAnswered;
        st.failures = 0;
        ++st.successes;
        if (!st.up && st.successes >= cfg.successesToUp) {
            st.up = true;
            ++stats_.markedUp;
            changed = true;
        }
    } else {
        ++stats_.pingsFailed;
        st.successes = 0;
        ++st.failures;
        if (st.up && st.failures >= cfg.failuresToDown) {
            st.up = false;
            ++stats_.markedDown;
            changed = true;
        }
    }
    if (changed) {
        ++st.changes;
        // The gauge follows at once, not at the next tick.
        if (st.up) {
            --stats_.down;
        } else {
            ++stats_.down;
        }
        if (onChange_) {
            onChange_(st);
        }
    }
}

}  // namespace sbc::b2bua
