#pragma once
// Message-level harness of the B2BUA: a real TransactionLayer on a FakeTimerService, every byte
// sent captured with its target, a fake MediaService and a policy built by hand.
//
// Topology of the tests:
//   A (carrier, 198.51.100.7:5062)  --outside 203.0.113.5:5060-- sbc --inside 10.0.0.5:5060--
//   B (PBX 10.1.1.10:5060, backup 10.1.1.11:5060)
// Relay addresses: outside 203.0.113.100, inside 10.0.0.100.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controlplane/b2bua/b2bua.hpp"
#include "controlplane/b2bua/cdr.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/sip/serializer.hpp"
#include "controlplane/transaction/timer_service.hpp"
#include "controlplane/transaction/transaction_layer.hpp"

namespace sbc::b2bua::test {

using namespace std::chrono_literals;

class FakeMedia final : public media::MediaService {
  public:
    std::optional<media::SessionId> allocate(std::vector<media::Stream>& streams) override {
        if (exhausted) {
            return std::nullopt;
        }
        fill(streams);
        media::SessionId id = nextId++;
        sessions[id] = streams;
        ++allocations;
        return id;
    }
    bool addStreams(media::SessionId id, std::vector<media::Stream>& streams) override {
        if (!sessions.contains(id)) {
            return false;
        }
        fill(streams);
        for (const auto& s : streams) {
            sessions[id].push_back(s);
        }
        return true;
    }
    bool update(media::SessionId id, const std::vector<media::Stream>& streams) override {
        if (!sessions.contains(id)) {
            return false;
        }
        sessions[id] = streams;
        ++updates;
        return true;
    }
    std::vector<media::MediaStats> release(media::SessionId id) override {
        auto it = sessions.find(id);
        if (it == sessions.end()) {
            return {};
        }
        std::vector<media::MediaStats> out;
        for (size_t i = 0; i < it->second.size(); ++i) {
            out.push_back({100 + i, 17200 + i, 1});
            out.push_back({200 + i, 34400 + i, 0});
        }
        sessions.erase(it);
        ++releases;
        return out;
    }

    bool adopt(media::SessionId id, const std::vector<media::Stream>& streams) override {
        if (refuseAdopt || sessions.contains(id)) {
            return false;
        }
        sessions[id] = streams;
        nextId = std::max(nextId, id + 1);
        ++adoptions;
        return true;
    }

    static std::string addressOf(const std::string& side) {
        return side == "outside" ? "203.0.113.100" : "10.0.0.100";
    }

    std::map<media::SessionId, std::vector<media::Stream>> sessions;
    media::SessionId nextId = 1;
    int allocations = 0;
    int updates = 0;
    int releases = 0;
    int adoptions = 0;
    bool exhausted = false;
    bool refuseAdopt = false;
    std::uint16_t nextPort = 30000;

  private:
    void fill(std::vector<media::Stream>& streams) {
        for (auto& s : streams) {
            s.a.local = {addressOf(s.a.side), nextPort};
            nextPort = static_cast<std::uint16_t>(nextPort + 2);
            s.b.local = {addressOf(s.b.side), nextPort};
            nextPort = static_cast<std::uint16_t>(nextPort + 2);
        }
    }
};

class CaptureCdr final : public CdrWriter {
  public:
    void write(const CdrRecord& r) override { records.push_back(r); }
    std::vector<CdrRecord> records;
};

struct Sent {
    transaction::Target target;
    std::string bytes;
};

inline policy::PolicyPtr defaultPolicy() {
    auto p = std::make_shared<policy::PolicySnapshot>();
    policy::Trunk carrier;
    carrier.name = "carrier";
    carrier.side = "outside";
    carrier.sources.push_back({boost::asio::ip::make_address("198.51.100.0"), 24});
    carrier.headers.allow = {"P-Asserted-Identity", "Reason"};
    carrier.stripIce = true;
    policy::Trunk pbx;
    pbx.name = "pbx";
    pbx.side = "inside";
    pbx.sources.push_back({boost::asio::ip::make_address("10.1.1.0"), 24});
    pbx.destinations.push_back({"10.1.1.10", 5060, policy::Transport::Udp, 1, 1});
    pbx.destinations.push_back({"10.1.1.11", 5060, policy::Transport::Udp, 2, 1});
    pbx.headers.allow = {"P-Asserted-Identity", "X-Keep", "X-Strip", "Subject", "Reason"};
    pbx.headers.strip = {"x-strip"};
    pbx.failoverTimeout = 2000ms;
    p->trunks = {carrier, pbx};
    policy::Route toPbx;
    toPbx.name = "to-pbx";
    toPbx.fromTrunks = {"carrier"};
    toPbx.userPrefix = "+1555";
    toPbx.targetTrunk = "pbx";
    policy::Route toCarrier;
    toCarrier.name = "to-carrier";
    toCarrier.fromTrunks = {"pbx"};
    toCarrier.targetTrunk = "carrier";
    p->routes = {toPbx, toCarrier};
    return p;
}

inline B2buaConfig defaultConfig() {
    B2buaConfig c;
    c.listeners.push_back({1, "outside", policy::Transport::Udp, "203.0.113.5", 5060});
    c.listeners.push_back({2, "inside", policy::Transport::Udp, "10.0.0.5", 5060});
    c.listeners.push_back({3, "inside", policy::Transport::Tcp, "10.0.0.5", 5060});
    c.timerC = 180s;
    c.maxCallDuration = 3600s;
    return c;
}

inline const char* kOfferA =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    "s=Carrier Media\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=rtcp:49171 IN IP4 198.51.100.7\r\n"
    "a=candidate:1 1 UDP 2130706431 198.51.100.7 49170 typ host\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n";

inline const char* kAnswerB =
    "v=0\r\n"
    "o=pbx 1 1 IN IP4 10.1.1.10\r\n"
    "s=PBX\r\n"
    "c=IN IP4 10.1.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/AVP 96\r\n";

class Harness {
  public:
    explicit Harness(policy::PolicyPtr p = defaultPolicy(), B2buaConfig config = defaultConfig())
        : policySnapshot(std::move(p)),
          layer(timers, transaction::TimerConfig{},
                [this](const transaction::Target& t, std::string_view bytes) {
                    sent.push_back({t, std::string(bytes)});
                }),
          b2bua(
              layer, timers,
              [this](const transaction::Target& t, std::string_view bytes) {
                  sent.push_back({t, std::string(bytes)});
              },
              media, [this] { return policySnapshot; }, &cdr, std::move(config)) {
        b2bua.setIdSeed(42);
        b2bua.setWallClock([this] {
            return WallClock::time_point{} + std::chrono::hours(24 * 365 * 50) + timers.elapsed();
        });
    }

    static transaction::Target carrierSource() {
        return transaction::Target{1, 0, "198.51.100.7", 5062, false};
    }
    static transaction::Target pbxSource(const std::string& address = "10.1.1.10") {
        return transaction::Target{2, 0, address, 5060, false};
    }

    // A request arriving from `source`, through the transaction layer into the B2BUA.
    void request(const std::string& text, const transaction::Target& source = carrierSource()) {
        sip::Message m = sip::Message::parse(text);
        ASSERT_TRUE(m.ok()) << m.errorText() << "\n" << text;
        transaction::ServerResult r = layer.onRequest(m, source);
        if (r.kind == transaction::ServerResult::Kind::New ||
            r.kind == transaction::ServerResult::Kind::AckForUnknown) {
            ASSERT_TRUE(B2bua::claims(m));
            b2bua.onRequest(m, r, source);
        }
    }
    // A response arriving from B (or A), matched by the transaction layer.
    bool response(const std::string& text) {
        sip::Message m = sip::Message::parse(text);
        EXPECT_TRUE(m.ok()) << m.errorText() << "\n" << text;
        return layer.onResponse(m);
    }

    // Messages sent to `address` since index `from`.
    std::vector<std::string> sentTo(const std::string& address, size_t from = 0) const {
        std::vector<std::string> out;
        for (size_t i = from; i < sent.size(); ++i) {
            if (sent[i].target.address == address) {
                out.push_back(sent[i].bytes);
            }
        }
        return out;
    }
    // The last message sent to `address` whose start line begins with `start`.
    std::string last(const std::string& address, const std::string& start) const {
        for (auto it = sent.rbegin(); it != sent.rend(); ++it) {
            if (it->target.address == address && it->bytes.starts_with(start)) {
                return it->bytes;
            }
        }
        return {};
    }
    size_t count(const std::string& address, const std::string& start) const {
        size_t n = 0;
        for (const Sent& s : sent) {
            if (s.target.address == address && s.bytes.starts_with(start)) {
                ++n;
            }
        }
        return n;
    }

    policy::PolicyPtr policySnapshot;
    transaction::FakeTimerService timers;
    std::vector<Sent> sent;
    FakeMedia media;
    CaptureCdr cdr;
    transaction::TransactionLayer layer;
    B2bua b2bua;
};

// Builders of the messages the peers send.
struct InviteFromA {
    std::string uri = "sip:+15550001@203.0.113.5";
    std::string branch = "z9hG4bKcarrierbranch1";
    std::string callId = "carrier-call-1@198.51.100.7";
    std::string fromTag = "carrierTag1";
    std::string body = kOfferA;
    int maxForwards = 70;
    std::vector<std::string> extra;

    std::string text() const {
        std::string s = "INVITE " + uri + " SIP/2.0\r\n";
        s += "Via: SIP/2.0/UDP 198.51.100.7:5062;branch=" + branch + "\r\n";
        s += "Via: SIP/2.0/UDP 192.168.77.1:5060;branch=z9hG4bKinternalhop\r\n";
        s += "Record-Route: <sip:rr.carrier.example;lr>\r\n";
        s += "Max-Forwards: " + std::to_string(maxForwards) + "\r\n";
        s += "From: \"Alice\" <sip:+14440001@carrier.example>;tag=" + fromTag + "\r\n";
        s += "To: <sip:+15550001@sbc.example>\r\n";
        s += "Call-ID: " + callId + "\r\n";
        s += "CSeq: 10 INVITE\r\n";
        s += "Contact: <sip:alice@198.51.100.7:5062>\r\n";
        s += "User-Agent: CarrierSwitch 9.1\r\n";
        s += "P-Asserted-Identity: <sip:+14440001@pai.example>\r\n";
        s += "X-Keep: yes\r\n";
        s += "X-Strip: secret\r\n";
        s += "X-Other: internal\r\n";
        for (const std::string& h : extra) {
            s += h + "\r\n";
        }
        if (!body.empty()) {
            s += "Content-Type: application/sdp\r\n";
        }
        s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        return s;
    }
};

// A response from B to the request `req` (as sbc sent it), with B's own headers.
inline std::string responseFrom(const std::string& req, int code, const std::string& toTag,
                                const std::string& body = {},
                                const std::vector<std::string>& extra = {},
                                const std::string& contact = "<sip:pbx@10.1.1.10:5060>") {
    sip::Message m = sip::Message::parse(req);
    std::string s =
        "SIP/2.0 " + std::to_string(code) + " " + std::string(sip::defaultReason(code)) + "\r\n";
    for (const sip::Header& h : m.headers()) {
        if (h.id == sip::HeaderId::Via || h.id == sip::HeaderId::From ||
            h.id == sip::HeaderId::CallId || h.id == sip::HeaderId::CSeq) {
            s += std::string(h.name) + ": " + std::string(h.value) + "\r\n";
        }
        if (h.id == sip::HeaderId::To) {
            s += "To: " + std::string(h.value);
            if (m.to().tag().empty() && !toTag.empty()) {
                s += ";tag=" + toTag;
            }
            s += "\r\n";
        }
    }
    if (code > 100 && code < 300 && !contact.empty()) {
        s += "Contact: " + contact + "\r\n";
        s += "Record-Route: <sip:rr.pbx.internal;lr>\r\n";
    }
    s += "Server: PBX-Internal 3.0\r\n";
    for (const std::string& h : extra) {
        s += h + "\r\n";
    }
    if (!body.empty()) {
        s += "Content-Type: application/sdp\r\n";
    }
    s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return s;
}

// An in-dialog request built by the peer from a message sbc sent it: for a request sbc sent
// (`fromSbcRequest` = true: the peer answers as UAS, so From/To swap) or from a response sbc
// sent (the peer is the UAC of that dialog).
struct DialogView {
    std::string callId;
    std::string peerUri;  // the peer's own URI with tag (its From)
    std::string sbcUri;   // sbc's URI with tag (its To)
    std::string requestUri;
};

inline DialogView viewFromResponse(const std::string& response) {
    sip::Message m = sip::Message::parse(response);
    DialogView v;
    v.callId = std::string(m.callId());
    v.peerUri = std::string(m.find(sip::HeaderId::From)->value);
    v.sbcUri = std::string(m.find(sip::HeaderId::To)->value);
    v.requestUri = m.contacts().empty() ? "sip:sbc" : std::string(m.contacts().front().uri.raw);
    return v;
}

inline DialogView viewFromRequest(const std::string& request, const std::string& ourTag) {
    sip::Message m = sip::Message::parse(request);
    DialogView v;
    v.callId = std::string(m.callId());
    v.peerUri = std::string(m.find(sip::HeaderId::To)->value);
    if (m.to().tag().empty()) {
        v.peerUri += ";tag=" + ourTag;
    }
    v.sbcUri = std::string(m.find(sip::HeaderId::From)->value);
    v.requestUri = m.contacts().empty() ? "sip:sbc" : std::string(m.contacts().front().uri.raw);
    return v;
}

inline std::string inDialog(const DialogView& v, const std::string& method, std::uint32_t cseq,
                            const std::string& branch, const std::string& viaHost,
                            const std::string& body = {},
                            const std::vector<std::string>& extra = {},
                            const std::string& cseqMethod = {}) {
    std::string s = method + " " + v.requestUri + " SIP/2.0\r\n";
    s += "Via: SIP/2.0/UDP " + viaHost + ";branch=" + branch + "\r\n";
    s += "Max-Forwards: 70\r\n";
    s += "From: " + v.peerUri + "\r\n";
    s += "To: " + v.sbcUri + "\r\n";
    s += "Call-ID: " + v.callId + "\r\n";
    s +=
        "CSeq: " + std::to_string(cseq) + " " + (cseqMethod.empty() ? method : cseqMethod) + "\r\n";
    s += "Contact: <sip:peer@" + viaHost + ">\r\n";
    for (const std::string& h : extra) {
        s += h + "\r\n";
    }
    if (!body.empty()) {
        s += "Content-Type: application/sdp\r\n";
    }
    s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return s;
}

// The value of the first header `name` of a message text ("" when absent).
inline std::string headerOf(const std::string& text, std::string_view name) {
    sip::Message m = sip::Message::parse(text);
    const sip::Header* h = m.find(name);
    return h != nullptr ? std::string(h->value) : std::string{};
}

inline size_t headerCount(const std::string& text, std::string_view name) {
    sip::Message m = sip::Message::parse(text);
    size_t n = 0;
    for (const sip::Header& h : m.headers()) {
        if (sip::headerIdOf(name) != sip::HeaderId::Unknown ? h.id == sip::headerIdOf(name)
                                                            : h.name == name) {
            ++n;
        }
    }
    return n;
}

inline std::string bodyOf(const std::string& text) {
    sip::Message m = sip::Message::parse(text);
    return std::string(m.body());
}

}  // namespace sbc::b2bua::test
