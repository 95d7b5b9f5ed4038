// libFuzzer target: the B2BUA fed untrusted SIP messages from both legs.
//
// Input: messages separated by "\n#\n"; the first byte of each says where it comes from (even:
// the carrier 198.51.100.7 on the outside listener, odd: the PBX 10.1.1.10 inside). Every
// message is parsed; requests go through the transaction layer into the B2BUA when it claims
// them, responses into the transaction layer (which hands them to the B2BUA's calls). Between
// messages the fake clock moves on, so timers (C, failover, 2xx retransmission, session) fire.
// Identifiers are deterministic (fixed seed), so a corpus can reach in-dialog states.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/transaction_layer.hpp"

namespace {

using namespace std::chrono_literals;
using namespace sbc;

class NullMedia final : public media::MediaService {
  public:
    std::optional<media::SessionId> allocate(std::vector<media::Stream>& streams) override {
        fill(streams);
        return next_++;
    }
    bool addStreams(media::SessionId, std::vector<media::Stream>& streams) override {
        fill(streams);
        return true;
    }
    bool update(media::SessionId, const std::vector<media::Stream>&) override { return true; }
    std::vector<media::MediaStats> release(media::SessionId) override { return {}; }

  private:
    void fill(std::vector<media::Stream>& streams) {
        for (auto& s : streams) {
            s.a.local = {"203.0.113.100", 30000};
            s.b.local = {"10.0.0.100", 30002};
        }
    }
    media::SessionId next_ = 1;
};

policy::PolicyPtr fuzzPolicy() {
    auto p = std::make_shared<policy::PolicySnapshot>();
    policy::Trunk carrier;
    carrier.name = "carrier";
    carrier.side = "outside";
    carrier.sources.push_back({boost::asio::ip::make_address("198.51.100.0"), 24});
    carrier.destinations.push_back({"198.51.100.7", 5060, policy::Transport::Udp, 1, 1});
    carrier.headers.allow = {"P-Asserted-Identity"};
    policy::Trunk pbx;
    pbx.name = "pbx";
    pbx.side = "inside";
    pbx.sources.push_back({boost::asio::ip::make_address("10.1.1.0"), 24});
    pbx.destinations.push_back({"10.1.1.10", 5060, policy::Transport::Udp, 1, 1});
    pbx.destinations.push_back({"10.1.1.11", 5060, policy::Transport::Tcp, 2, 1});
    pbx.redirects = policy::RedirectMode::Follow;
    pbx.credentials = "c";
    p->trunks = {carrier, pbx};
    policy::Route in;
    in.name = "in";
    in.targetTrunk = "pbx";
    in.fromTrunks = {"carrier"};
    policy::Route out;
    out.name = "out";
    out.targetTrunk = "carrier";
    out.fromTrunks = {"pbx"};
    p->routes = {in, out};
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const policy::PolicyPtr policy = fuzzPolicy();
    transaction::FakeTimerService timers;
    auto send = [](const transaction::Target&, std::string_view) {};
    transaction::TransactionLayer layer(timers, transaction::TimerConfig{}, send);
    NullMedia media;
    b2bua::B2buaConfig config;
    config.listeners = {{1, "outside", policy::Transport::Udp, "203.0.113.5", 5060},
                        {2, "inside", policy::Transport::Udp, "10.0.0.5", 5060},
                        {3, "inside", policy::Transport::Tcp, "10.0.0.5", 5060}};
    config.credentials["c"] = {"u", "p"};
    config.maxCalls = 8;
    b2bua::B2bua b2b(
        layer, timers, send, media, [] { return policy; }, nullptr, config);
    b2b.setIdSeed(1);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    int messages = 0;
    while (!input.empty() && messages++ < 32) {
        size_t end = input.find("\n#\n");
        std::string_view chunk = input.substr(0, end);
        input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 3);
        if (chunk.size() < 2) {
            continue;
        }
        bool fromPbx = (static_cast<unsigned char>(chunk[0]) & 1) != 0;
        sip::Message m = sip::Message::parse(chunk.substr(1));
        if (!m.ok()) {
            continue;
        }
        transaction::Target src = fromPbx ? transaction::Target{2, 0, "10.1.1.10", 5060, false}
                                          : transaction::Target{1, 0, "198.51.100.7", 5062, false};
        if (m.isRequest()) {
            transaction::ServerResult r = layer.onRequest(m, src);
            if ((r.kind == transaction::ServerResult::Kind::New ||
                 r.kind == transaction::ServerResult::Kind::AckForUnknown) &&
                b2bua::B2bua::claims(m)) {
                b2b.onRequest(m, r, src);
            }
        } else {
            layer.onResponse(m);
        }
        timers.advance(700ms);
    }
    timers.advance(std::chrono::hours(5));
    return 0;
}
