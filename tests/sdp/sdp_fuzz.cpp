// Fuzz target for controlplane/sdp. Properties checked on every input the parser accepts:
//   1. parse(serialize(d)) == d, and serializing again gives the same bytes;
//   2. every typed attribute view re-parses to itself from its toString();
//   3. after the B2BUA rewrites (connection address, ports, direction, ICE removal) the result
//      still serializes into a description the parser accepts.
// A violation is a real bug: abort() so libFuzzer keeps the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "controlplane/sdp/sdp.hpp"

namespace {

using namespace sbc::sdp;

[[noreturn]] void violation(const char* what) {
    std::fprintf(stderr, "sdp_fuzz: property violated: %s\n", what);
    std::abort();
}

// Serialization turns bare LF into CRLF, so the re-parse may need a larger body limit.
Limits relaxedFor(const std::string& text) {
    Limits l;
    if (text.size() > l.maxBodySize) {
        l.maxBodySize = text.size();
    }
    return l;
}

template <typename T>
void checkTypedRoundTrip(const std::vector<T>& items) {
    for (const auto& item : items) {
        auto again = T::parse(item.toString());
        if (!again || !(*again == item)) {
            violation("typed attribute toString/parse round trip");
        }
    }
}

void checkMedia(const MediaDescription& m) {
    checkTypedRoundTrip(m.rtpMaps());
    checkTypedRoundTrip(m.cryptos());
    checkTypedRoundTrip(m.candidates());
    if (auto r = m.rtcp()) {
        auto again = Rtcp::parse(r->toString());
        if (!again || !(*again == *r)) {
            violation("rtcp toString/parse round trip");
        }
    }
    for (const auto& a : m.attributes) {
        if (a.name == "fmtp" && a.value) {
            auto f = Fmtp::parse(*a.value);
            if (!f) {
                violation("accepted a=fmtp does not parse");
            }
            auto again = Fmtp::parse(f->toString());
            if (!again || !(*again == *f)) {
                violation("fmtp toString/parse round trip");
            }
        }
    }
    (void)m.direction();
    (void)m.hasRtcpMux();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto first = parse(input);
    if (!first.ok()) {
        if (first.error().message.empty()) {
            violation("error without a message");
        }
        return 0;
    }
    const SessionDescription& sd = first.value();

    // 1. Model round trip and serializer idempotence.
    std::string text = serialize(sd);
    auto second = parse(text, relaxedFor(text));
    if (!second.ok()) {
        std::fprintf(stderr, "re-parse failed: %s\n", second.error().message.c_str());
        violation("serialized description does not parse");
    }
    if (!(second.value() == sd)) {
        violation("parse(serialize(d)) != d");
    }
    if (serialize(second.value()) != text) {
        violation("serialize is not stable");
    }

    // 2. Typed views.
    for (const auto& m : sd.media) {
        checkMedia(m);
        (void)sd.effectiveDirection(m);
        (void)sd.effectiveConnection(m);
    }

    // 3. The B2BUA rewrite: relay address, ports, direction, no ICE.
    SessionDescription rewritten = sd;
    rewritten.origin.setAddress("2001:db8::7");
    rewritten.origin.incrementVersion();
    if (!rewritten.setConnectionAddress("192.0.2.10")) {
        violation("setConnectionAddress rejected an IPv4 literal");
    }
    rewritten.removeIceAttributes();
    std::uint16_t port = 40000;
    for (auto& m : rewritten.media) {
        if (!m.isRejected()) {
            m.setPort(port);
            port = static_cast<std::uint16_t>(port + 2);
        }
        if (m.rtcp()) {
            m.setRtcp(Rtcp{static_cast<std::uint16_t>(m.port + 1),
                           Connection::fromAddress("192.0.2.10")});
        }
        m.setDirection(Direction::kSendOnly);
        for (const auto& a : m.attributes) {
            if (isIceAttribute(a.name)) {
                violation("ICE attribute left after removeIceAttributes");
            }
        }
    }
    std::string rewrittenText = serialize(rewritten);
    Limits rewriteLimits = relaxedFor(rewrittenText);
    ++rewriteLimits.maxAttributesPerSection;  // setDirection may have appended one
    auto third = parse(rewrittenText, rewriteLimits);
    if (!third.ok()) {
        std::fprintf(stderr, "re-parse failed: %s\n", third.error().message.c_str());
        violation("rewritten description does not parse");
    }
    if (!(third.value() == rewritten)) {
        violation("parse(serialize(rewritten)) != rewritten");
    }
    return 0;
}
