// Fuzz target of the SIP parser (controlplane/sip).
//
// Every input is parsed with the default limits and with small ones, as a datagram and as a stream
// frame. Invariants checked (abort() on violation, so libFuzzer and the replay driver both report):
//   - a message that parsed re-parses from serialize() with identical typed values;
//   - a response built for a message that parsed, parses itself and carries the same dialog and
//     transaction identifiers;
//   - nothing crashes, asserts or hangs on the way (buildResponse also runs on messages that
//     failed, as the transport layer does to send a 400).
// The URI, name-addr, Via and parameter parsers also see the raw input directly.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/sip/header.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/sip/multipart.hpp"
#include "controlplane/sip/name_addr.hpp"
#include "controlplane/sip/params.hpp"
#include "controlplane/sip/serializer.hpp"
#include "controlplane/sip/uri.hpp"
#include "controlplane/sip/via.hpp"

namespace {

using namespace sbc::sip;
using namespace std::literals;

// Re-parsing never hits a limit that the original did not: serialize() may add a SP after a colon.
constexpr ParseLimits kRoomy{1u << 20, 100000, 1u << 20};

[[noreturn]] void fail(const char* what, std::string_view a, std::string_view b) {
    std::fprintf(stderr, "sip_parser_fuzz: %s: '%.*s' != '%.*s'\n", what,
                 static_cast<int>(a.size()), a.data(), static_cast<int>(b.size()), b.data());
    std::abort();
}

void same(const char* what, std::string_view a, std::string_view b) {
    if (a != b) {
        fail(what, a, b);
    }
}

void same(const char* what, long long a, long long b) {
    if (a != b) {
        std::string sa = std::to_string(a);
        std::string sb = std::to_string(b);
        fail(what, sa, sb);
    }
}

void sameUri(const Uri& a, const Uri& b) {
    same("uri raw", a.raw, b.raw);
    same("uri scheme", static_cast<int>(a.scheme), static_cast<int>(b.scheme));
    same("uri user", a.user, b.user);
    same("uri host", a.host, b.host);
    same("uri port", a.port, b.port);
    same("uri params", static_cast<long long>(a.params.size()),
         static_cast<long long>(b.params.size()));
}

void sameNameAddr(const NameAddr& a, const NameAddr& b) {
    same("display name", a.displayName, b.displayName);
    same("tag", a.tag(), b.tag());
    same("params", static_cast<long long>(a.params.size()),
         static_cast<long long>(b.params.size()));
    sameUri(a.uri, b.uri);
}

void sameMessage(const Message& a, const Message& b) {
    same("isRequest", a.isRequest(), b.isRequest());
    same("method", a.methodText(), b.methodText());
    same("method id", static_cast<int>(a.method()), static_cast<int>(b.method()));
    same("request uri", a.requestUriText(), b.requestUriText());
    same("version", a.version(), b.version());
    same("status", a.statusCode(), b.statusCode());
    same("reason", a.reasonPhrase(), b.reasonPhrase());
    same("header count", static_cast<long long>(a.headers().size()),
         static_cast<long long>(b.headers().size()));
    same("call-id", a.callId(), b.callId());
    same("cseq", a.cseq().number, b.cseq().number);
    same("cseq method", a.cseq().method, b.cseq().method);
    same("max-forwards", a.maxForwards(), b.maxForwards());
    same("via count", static_cast<long long>(a.vias().size()),
         static_cast<long long>(b.vias().size()));
    for (size_t i = 0; i < a.vias().size(); ++i) {
        same("via transport", a.vias()[i].transport, b.vias()[i].transport);
        same("via host", a.vias()[i].host, b.vias()[i].host);
        same("via port", a.vias()[i].port, b.vias()[i].port);
        same("via branch", a.vias()[i].branch(), b.vias()[i].branch());
    }
    sameNameAddr(a.from(), b.from());
    sameNameAddr(a.to(), b.to());
    same("contacts", static_cast<long long>(a.contacts().size()),
         static_cast<long long>(b.contacts().size()));
    same("contact star", a.contactIsStar(), b.contactIsStar());
    same("routes", static_cast<long long>(a.routes().size()),
         static_cast<long long>(b.routes().size()));
    same("record-routes", static_cast<long long>(a.recordRoutes().size()),
         static_cast<long long>(b.recordRoutes().size()));
    same("content-type", a.contentType(), b.contentType());
    same("body", a.body(), b.body());
}

void exerciseViews(const Message& m) {
    (void)m.errorText();
    for (const Header& h : m.headers()) {
        HeaderId id = headerIdOf(h.name);
        if (id != h.id) {
            fail("header id", h.name, canonicalName(id));
        }
    }
    (void)m.requestUri().userUnescaped();
    (void)m.requestUri().passwordUnescaped();
    (void)m.from().displayNameText();
    (void)m.to().displayNameText();
    // What viaWithReceived writes must parse again, for either address family.
    for (const Via& v : m.vias()) {
        for (std::string_view source : {"192.0.2.1"sv, "2001:db8::1"sv}) {
            std::string out = viaWithReceived(v, source, 5060);
            Via again;
            if (!parseVia(out, again)) {
                fail("viaWithReceived output does not parse", out, v.raw);
            }
            same("via branch after viaWithReceived", again.branch(), v.branch());
        }
    }
    if (m.ok() && m.contentType().starts_with("multipart/")) {
        const Header* ct = m.find(HeaderId::ContentType);
        std::vector<BodyPart> parts;
        if (ct != nullptr && parseMultipart(m.body(), multipartBoundary(ct->value), parts)) {
            for (const BodyPart& p : parts) {
                if (p.body.data() < m.body().data() ||
                    p.body.data() + p.body.size() > m.body().data() + m.body().size()) {
                    fail("multipart part outside the body", p.body, m.body());
                }
            }
        }
    }
}

void checkResponse(const Message& request) {
    static const std::pair<std::string_view, std::string_view> kExtra[] = {{"Server", "sbc"}};
    ResponseSpec spec;
    spec.code = request.ok() ? 200 : 400;
    spec.toTag = "fz1";
    spec.extra = kExtra;
    std::string topVia;
    if (!request.vias().empty()) {
        topVia = viaWithReceived(request.vias()[0], "2001:db8::1", 5060);
        spec.topVia = topVia;
    }
    std::optional<std::string> r = buildResponse(request, spec);
    if (!request.ok() || !request.isRequest()) {
        return;
    }
    if (!r.has_value()) {
        fail("no response for a valid request", request.raw(), "");
    }
    Message resp = Message::parse(*r, kRoomy, Framing::Stream);
    if (!resp.ok()) {
        fail("response does not parse", *r, resp.errorText());
    }
    same("response status", resp.statusCode(), 200);
    same("response call-id", resp.callId(), request.callId());
    same("response cseq", resp.cseq().number, request.cseq().number);
    same("response cseq method", resp.cseq().method, request.cseq().method);
    same("response via count", static_cast<long long>(resp.vias().size()),
         static_cast<long long>(request.vias().size()));
    same("response from tag", resp.from().tag(), request.from().tag());
    if (!request.to().tag().empty()) {
        same("response to tag", resp.to().tag(), request.to().tag());
    } else if (request.to().param("tag") == nullptr) {
        same("response to tag", resp.to().tag(), "fz1");
    }
    for (size_t i = 1; i < request.vias().size(); ++i) {
        same("response via branch", resp.vias()[i].branch(), request.vias()[i].branch());
    }
}

void run(std::string_view in, const ParseLimits& limits, Framing framing) {
    Message m = Message::parse(in, limits, framing);
    exerciseViews(m);
    checkResponse(m);
    if (!m.ok()) {
        return;
    }
    std::string s = serialize(m);
    Message again = Message::parse(s, kRoomy, framing);
    if (!again.ok()) {
        fail("serialized message does not parse", s, again.errorText());
    }
    sameMessage(m, again);
    if (serialize(again) != s) {
        fail("serialize is not stable", serialize(again), s);
    }
}

void subParsers(std::string_view in) {
    Uri u;
    if (parseUri(in, u)) {
        (void)u.userUnescaped();
        (void)u.hostAddress();
    }
    NameAddr na;
    if (parseNameAddr(in, na)) {
        (void)na.displayNameText();
        (void)na.tag();
    }
    Via v;
    if (parseVia(in, v)) {
        (void)viaWithReceived(v, "2001:db8::1", 1);
    }
    Params p;
    (void)parseHeaderParams(in, p);
    size_t n = 0;
    (void)splitList(in, [&n](std::string_view) { return ++n < 1000; });
    (void)multipartBoundary(in);
    std::vector<BodyPart> parts;
    (void)parseMultipart(in, "b", parts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    static constexpr ParseLimits kSmall{512, 8, 128};
    for (Framing f : {Framing::Datagram, Framing::Stream}) {
        run(in, ParseLimits{}, f);
        run(in, kSmall, f);
    }
    if (size <= 4096) {
        subParsers(in);
    }
    return 0;
}
