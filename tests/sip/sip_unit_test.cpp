// Unit tests of the SIP parser and writer (controlplane/sip): limits, header forms, URIs, Via,
// name-addr, framing, serialization, response building.
#include <gtest/gtest.h>

#include <cctype>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controlplane/sip/header.hpp"
#include "controlplane/sip/message.hpp"
#include "controlplane/sip/method.hpp"
#include "controlplane/sip/multipart.hpp"
#include "controlplane/sip/name_addr.hpp"
#include "controlplane/sip/params.hpp"
#include "controlplane/sip/serializer.hpp"
#include "controlplane/sip/uri.hpp"
#include "controlplane/sip/via.hpp"

namespace sbc::sip {
namespace {

using namespace std::literals;

// Test messages are written with "\n"; the wire form has CRLF.
std::string crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 32);
    for (char c : text) {
        if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    return out;
}

constexpr std::string_view kInvite = R"(INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds
Max-Forwards: 70
To: Bob <sip:bob@example.com>
From: Alice <sip:alice@example.com>;tag=1928301774
Call-ID: a84b4c76e66710@pc33.example.com
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.example.com>
Content-Length: 0

)";

// The mandatory headers of a request, without the start line and the empty line.
constexpr std::string_view kMandatory = R"(Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds
To: <sip:bob@example.com>
From: <sip:alice@example.com>;tag=1
Call-ID: c1@pc33.example.com
CSeq: 1 OPTIONS
)";

std::string options(std::string_view extraHeaders, std::string_view body = {}) {
    std::string s = "OPTIONS sip:bob@example.com SIP/2.0\n";
    s += kMandatory;
    s += extraHeaders;
    s += "\n";
    return crlf(s) + std::string(body);
}

Message parseText(std::string_view text, const ParseLimits& limits = {},
                  Framing framing = Framing::Datagram) {
    return Message::parse(crlf(text), limits, framing);
}

// ---- basics
// --------------------------------------------------------------------------------------

TEST(SipParser, parsesPlainInvite) {
    Message m = parseText(kInvite);
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Invite);
    EXPECT_EQ(m.requestUriText(), "sip:bob@example.com");
    EXPECT_EQ(m.to().displayName, "Bob");
    EXPECT_EQ(m.from().tag(), "1928301774");
    EXPECT_EQ(m.callId(), "a84b4c76e66710@pc33.example.com");
    EXPECT_EQ(m.cseq().number, 314159u);
    EXPECT_EQ(m.maxForwards(), 70);
    EXPECT_EQ(m.headers().size(), 8u);
    EXPECT_TRUE(m.body().empty());
    EXPECT_EQ(m.errorText(), "none");
}

TEST(SipParser, emptyAndLeadingCrlf) {
    EXPECT_EQ(Message::parse("").error(), ParseError::Empty);
    EXPECT_EQ(Message::parse("\r\n\r\n").error(), ParseError::Empty);
    // RFC 3261 §7.5: CRLFs before the start line are ignored.
    Message m = Message::parse("\r\n\r\n" + crlf(kInvite));
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Invite);
}

TEST(SipParser, startLineErrors) {
    auto err = [](std::string_view startLine) {
        std::string s(startLine);
        s += "\n";
        s += kMandatory;
        s += "\n";
        return parseText(s).error();
    };
    EXPECT_EQ(err("OPTIONS sip:bob@example.com"), ParseError::BadStartLine);
    EXPECT_EQ(err("OPTIONS sip:bob@example.com SIP/2"), ParseError::BadStartLine);
    EXPECT_EQ(err("OPTIONS sip:bob@example.com HTTP/1.1"), ParseError::BadStartLine);
    EXPECT_EQ(err("OPT@ONS sip:bob@example.com SIP/2.0"), ParseError::BadStartLine);
    EXPECT_EQ(err("OPTIONS  sip:bob@example.com SIP/2.0"), ParseError::BadStartLine);
    EXPECT_EQ(err("OPTIONS sip:bob@example.com SIP/3.0"), ParseError::UnsupportedVersion);
    EXPECT_EQ(err("OPTIONS bob@example.com SIP/2.0"), ParseError::BadRequestUri);
    EXPECT_EQ(err("OPTIONS sip:bob@example.com?Subject=x SIP/2.0"), ParseError::BadRequestUri);
    EXPECT_EQ(err("SIP/2.0 99 Too Low"), ParseError::BadStatusCode);
    EXPECT_EQ(err("SIP/2.0 099 Too Low"), ParseError::BadStatusCode);
    EXPECT_EQ(err("SIP/2.0 700 Too High"), ParseError::BadStatusCode);
    EXPECT_EQ(err("SIP/2.0 2000 OK"), ParseError::BadStatusCode);
    EXPECT_EQ(err("SIP/2.0 +20 OK"), ParseError::BadStatusCode);
    EXPECT_EQ(err("SIP/2.0"), ParseError::BadStartLine);
    EXPECT_EQ(err("SIP/3.0 200 OK"), ParseError::UnsupportedVersion);
    EXPECT_EQ(err("SIP/2.0 200 OK"), ParseError::None);
    EXPECT_EQ(err("SIP/2.0 200 Perfectly  fine, reason"), ParseError::None);
}

TEST(SipParser, headerLineErrors) {
    EXPECT_EQ(Message::parse(options("NoColonHere\n")).error(), ParseError::BadHeaderLine);
    EXPECT_EQ(Message::parse(options("Bad Name: x\n")).error(), ParseError::BadHeaderLine);
    EXPECT_EQ(Message::parse(options(": x\n")).error(), ParseError::BadHeaderLine);
    // A continuation line with nothing to continue.
    EXPECT_EQ(
        parseText("OPTIONS sip:bob@example.com SIP/2.0\n folded\n" + std::string(kMandatory) + "\n")
            .error(),
        ParseError::BadHeaderLine);
    // No empty line at the end of the header section.
    std::string noEnd = crlf("OPTIONS sip:bob@example.com SIP/2.0\n" + std::string(kMandatory));
    EXPECT_EQ(Message::parse(noEnd).error(), ParseError::NoEndOfHeaders);
    EXPECT_EQ(Message::parse("OPTIONS sip:bob@example.com SIP/2.0").error(),
              ParseError::NoEndOfHeaders);
}

TEST(SipParser, typedHeaderErrors) {
    struct Case {
        std::string_view header;
        ParseError error;
        HeaderId id;
    };
    const Case cases[] = {
        {"Max-Forwards: 256\n", ParseError::BadHeaderValue, HeaderId::MaxForwards},
        {"Max-Forwards: -1\n", ParseError::BadHeaderValue, HeaderId::MaxForwards},
        {"Max-Forwards: 1\nMax-Forwards: 2\n", ParseError::DuplicateHeader, HeaderId::MaxForwards},
        {"Content-Length: 1 0\n", ParseError::BadHeaderValue, HeaderId::ContentLength},
        {"Content-Length: 4294967296\n", ParseError::BadHeaderValue, HeaderId::ContentLength},
        {"Content-Type: sdp\n", ParseError::BadHeaderValue, HeaderId::ContentType},
        {"Content-Type: application/sdp;;x\n", ParseError::BadHeaderValue, HeaderId::ContentType},
        {"Contact: *, <sip:a@b.example>\n", ParseError::BadHeaderValue, HeaderId::Contact},
        {"Contact: *\nContact: <sip:a@b.example>\n", ParseError::BadHeaderValue, HeaderId::Contact},
        {"Contact: <sip:a@b.example>,\n", ParseError::BadHeaderValue, HeaderId::Contact},
        {"Route: <sip:a@b.example\n", ParseError::BadHeaderValue, HeaderId::Route},
        {"Record-Route: sip:a@b.example;lr\n", ParseError::None, HeaderId::Unknown},
        {"Record-Route: \n", ParseError::BadHeaderValue, HeaderId::RecordRoute},
        {"Via: SIP/2.0/UDP h.example.com;ttl=256\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0/UDP h.example.com;maddr=\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0/UDP h.example.com;rport=x\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0/UDP h.example.com;branch\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0/UDP h.example.com:0\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0/UDPh.example.com\n", ParseError::BadHeaderValue, HeaderId::Via},
        {"Via: SIP/2.0 h.example.com\n", ParseError::BadHeaderValue, HeaderId::Via},
    };
    for (const Case& c : cases) {
        Message m = Message::parse(options(c.header));
        EXPECT_EQ(m.error(), c.error) << c.header;
        EXPECT_EQ(m.errorHeader(), c.id) << c.header;
    }
    auto mandatory = [](std::string_view replace, std::string_view with) {
        std::string s = "OPTIONS sip:bob@example.com SIP/2.0\n" + std::string(kMandatory) + "\n";
        s.replace(s.find(replace), replace.size(), with);
        return parseText(s);
    };
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: 2147483648 OPTIONS").error(),
              ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: 2147483647 OPTIONS").error(), ParseError::None);
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: OPTIONS").error(), ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: 1OPTIONS").error(), ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: 1 OPTIONS x").error(),
              ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("CSeq: 1 OPTIONS", "CSeq: 1 options").error(),
              ParseError::CSeqMethodMismatch);
    EXPECT_EQ(mandatory("Call-ID: c1@pc33.example.com", "Call-ID: a b").error(),
              ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("Call-ID: c1@pc33.example.com", "Call-ID: a@").error(),
              ParseError::BadHeaderValue);
    EXPECT_EQ(mandatory("Call-ID: c1@pc33.example.com", "Call-ID: a@b@c").error(),
              ParseError::BadHeaderValue);
    Message dupFrom = mandatory("From: <sip:alice@example.com>;tag=1",
                                "From: <sip:alice@example.com>;tag=1\nf: <sip:x@example.com>");
    EXPECT_EQ(dupFrom.error(), ParseError::DuplicateHeader);
    EXPECT_EQ(dupFrom.errorHeader(), HeaderId::From);
    Message noVia = mandatory("Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds\n", "");
    EXPECT_EQ(noVia.error(), ParseError::MissingHeader);
    EXPECT_EQ(noVia.errorHeader(), HeaderId::Via);
    Message noCseq = mandatory("CSeq: 1 OPTIONS\n", "");
    EXPECT_EQ(noCseq.error(), ParseError::MissingHeader);
    EXPECT_EQ(noCseq.errorHeader(), HeaderId::CSeq);
    Message star = Message::parse(options("Contact: *\nExpires: 0\n"));
    ASSERT_TRUE(star.ok()) << star.errorText();
    EXPECT_TRUE(star.contactIsStar());
    EXPECT_TRUE(star.contacts().empty());
}

// RFC 3261 §25.1: tag-param = "tag" EQUAL token.
TEST(SipParser, tagNeedsTokenValue) {
    EXPECT_EQ(Message::parse(options("")).error(), ParseError::None);
    auto withFrom = [](std::string_view from) {
        std::string s = "OPTIONS sip:bob@example.com SIP/2.0\n" + std::string(kMandatory) + "\n";
        std::string_view old = "From: <sip:alice@example.com>;tag=1";
        s.replace(s.find(old), old.size(), from);
        return parseText(s);
    };
    for (std::string_view bad :
         {"From: <sip:alice@example.com>;tag", "From: <sip:alice@example.com>;tag=",
          "From: <sip:alice@example.com>;tag=\"q\"", "From: <sip:alice@example.com>;TAG=[::1]"}) {
        Message m = withFrom(bad);
        EXPECT_EQ(m.error(), ParseError::BadHeaderValue) << bad;
        EXPECT_EQ(m.errorHeader(), HeaderId::From) << bad;
    }
    Message ok = withFrom("From: <sip:alice@example.com> ; TAG = a1");
    ASSERT_TRUE(ok.ok()) << ok.errorText();
    EXPECT_EQ(ok.from().tag(), "a1");
}

// ---- limits
// --------------------------------------------------------------------------------------

TEST(SipParser, tooLarge) {
    std::string text = options("", std::string(100, 'x'));
    ParseLimits limits;
    limits.maxMessageBytes = text.size();
    EXPECT_TRUE(Message::parse(text, limits).ok());
    limits.maxMessageBytes = text.size() - 1;
    Message m = Message::parse(text, limits);
    EXPECT_EQ(m.error(), ParseError::TooLarge);
    EXPECT_EQ(m.errorHeader(), HeaderId::Unknown);
    // The header section is still split, so that a 513 can be sent.
    EXPECT_NE(m.find(HeaderId::Via), nullptr);
    ResponseSpec spec;
    spec.code = 513;
    auto r = buildResponse(m, spec);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->starts_with("SIP/2.0 513 Message Too Large\r\n"));
    EXPECT_LE(m.raw().size(), limits.maxMessageBytes);
}

TEST(SipParser, tooManyHeaders) {
    ParseLimits limits;
    limits.maxHeaders = 7;
    // 5 mandatory + 2 = 7 header lines: fine; one more is too many.
    EXPECT_TRUE(Message::parse(options("A: 1\nB: 2\n"), limits).ok());
    Message m = Message::parse(options("A: 1\nB: 2\nC: 3\n"), limits);
    EXPECT_EQ(m.error(), ParseError::TooManyHeaders);
    // List values (Via, Contact, Route, Record-Route) have their own count: 1 Via + 7 Routes > 7.
    Message list =
        Message::parse(options("Route: <sip:a.example>, <sip:b.example>, <sip:c.example>, "
                               "<sip:d.example>, <sip:e.example>, <sip:f.example>, "
                               "<sip:g.example>\n"),
                       limits);
    EXPECT_EQ(list.error(), ParseError::TooManyHeaders);
    EXPECT_EQ(list.errorHeader(), HeaderId::Route);
    Message vias = Message::parse(
        options("Via: SIP/2.0/UDP a.example, SIP/2.0/UDP b.example, SIP/2.0/UDP c.example, "
                "SIP/2.0/UDP d.example, SIP/2.0/UDP e.example, SIP/2.0/UDP f.example, "
                "SIP/2.0/UDP g.example\n"),
        limits);
    EXPECT_EQ(vias.error(), ParseError::TooManyHeaders);
    EXPECT_EQ(vias.errorHeader(), HeaderId::Via);
}

TEST(SipParser, headerTooLong) {
    ParseLimits limits;
    limits.maxHeaderBytes = 64;
    std::string exact = "Subject: " + std::string(64 - 9, 's') + "\n";
    EXPECT_TRUE(Message::parse(options(exact), limits).ok());
    std::string over = "Subject: " + std::string(64 - 8, 's') + "\n";
    Message m = Message::parse(options(over), limits);
    EXPECT_EQ(m.error(), ParseError::HeaderTooLong);
    EXPECT_EQ(m.errorHeader(), HeaderId::Subject);
    // The same length reached by folding: every physical line is short.
    std::string folded = "Subject: " + std::string(20, 'a') + "\n " + std::string(20, 'b') + "\n " +
                         std::string(20, 'c') + "\n";
    Message f = Message::parse(options(folded), limits);
    EXPECT_EQ(f.error(), ParseError::HeaderTooLong);
    EXPECT_EQ(f.errorHeader(), HeaderId::Subject);
    std::string foldedFits =
        "Subject: " + std::string(20, 'a') + "\n " + std::string(20, 'b') + "\n";
    EXPECT_TRUE(Message::parse(options(foldedFits), limits).ok());
}

// ---- header forms
// --------------------------------------------------------------------------------

TEST(SipParser, compactForms) {
    // Every compact form of RFC 3261 §7.3.3 and the IANA registry, in one request.
    std::string text = crlf(R"(INVITE sip:bob@example.com SIP/2.0
v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds
t: <sip:bob@example.com>
f: <sip:alice@example.com>;tag=1
i: c1@pc33.example.com
CSeq: 1 INVITE
m: <sip:alice@pc33.example.com>
e: gzip
s: lunch
k: 100rel
o: presence
u: presence
r: <sip:carol@example.com>
b: <sip:dave@example.com>
a: *;audio
j: *;video
d: proxy
x: 1800
y: abc
c: text/plain
l: 5

hello)");
    Message m = Message::parse(text);
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.to().uri.user, "bob");
    EXPECT_EQ(m.from().tag(), "1");
    EXPECT_EQ(m.callId(), "c1@pc33.example.com");
    ASSERT_EQ(m.contacts().size(), 1u);
    EXPECT_EQ(m.contentType(), "text/plain");
    EXPECT_TRUE(m.hasContentLength());
    EXPECT_EQ(m.body(), "hello");
    const std::pair<char, HeaderId> compact[] = {
        {'v', HeaderId::Via},
        {'t', HeaderId::To},
        {'f', HeaderId::From},
        {'i', HeaderId::CallId},
        {'m', HeaderId::Contact},
        {'e', HeaderId::ContentEncoding},
        {'s', HeaderId::Subject},
        {'k', HeaderId::Supported},
        {'o', HeaderId::Event},
        {'u', HeaderId::AllowEvents},
        {'r', HeaderId::ReferTo},
        {'b', HeaderId::ReferredBy},
        {'a', HeaderId::AcceptContact},
        {'j', HeaderId::RejectContact},
        {'d', HeaderId::RequestDisposition},
        {'x', HeaderId::SessionExpires},
        {'y', HeaderId::Identity},
        {'c', HeaderId::ContentType},
        {'l', HeaderId::ContentLength},
    };
    for (const auto& [letter, id] : compact) {
        const Header* h = m.find(id);
        ASSERT_NE(h, nullptr) << letter;
        EXPECT_EQ(h->name, std::string(1, letter));
        EXPECT_EQ(headerIdOf(std::string(1, letter)), id) << letter;
        EXPECT_EQ(headerIdOf(std::string(1, static_cast<char>(letter - 32))), id) << letter;
    }
    EXPECT_EQ(m.find("s")->value, "lunch");
    EXPECT_EQ(m.find("Subject")->value, "lunch");
    EXPECT_EQ(m.find("SESSION-EXPIRES")->value, "1800");
    for (char letter : std::string_view("ghnpqwz")) {
        EXPECT_EQ(headerIdOf(std::string(1, letter)), HeaderId::Unknown) << letter;
    }
}

TEST(SipParser, commaJoinedAndRepeatedLists) {
    Message m = Message::parse(
        options("Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2, SIP/2.0/TCP "
                "c.example.com:5070;branch=z9hG4bK3\n"
                "v: SIP/2.0/TLS d.example.com;branch=z9hG4bK4\n"
                "Contact: <sip:a@x.example.com>, \"B, C\" <sip:b@x.example.com>;q=0.5\n"
                "m: sip:c@x.example.com;expires=60\n"
                "Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\n"
                "Record-Route: <sip:r1.example.com;lr>\n"
                "Route: <sip:p3.example.com;lr>\n"
                "Record-Route: <sip:r2.example.com;lr>, <sip:r3.example.com;lr>\n"));
    ASSERT_TRUE(m.ok()) << m.errorText();
    ASSERT_EQ(m.vias().size(), 4u);
    EXPECT_EQ(m.vias()[0].host, "pc33.example.com");
    EXPECT_EQ(m.vias()[1].host, "b.example.com");
    EXPECT_EQ(m.vias()[2].host, "c.example.com");
    EXPECT_EQ(m.vias()[2].port, 5070);
    EXPECT_EQ(m.vias()[2].transport, "TCP");
    EXPECT_EQ(m.vias()[3].transport, "TLS");
    EXPECT_EQ(m.vias()[3].branch(), "z9hG4bK4");
    ASSERT_EQ(m.contacts().size(), 3u);
    EXPECT_EQ(m.contacts()[1].displayNameText(), "B, C");
    EXPECT_EQ(m.contacts()[1].param("q")->value, "0.5");
    EXPECT_FALSE(m.contacts()[2].angleBrackets);
    EXPECT_EQ(m.contacts()[2].param("expires")->value, "60");
    ASSERT_EQ(m.routes().size(), 3u);
    EXPECT_EQ(m.routes()[0].uri.host, "p1.example.com");
    EXPECT_EQ(m.routes()[1].uri.host, "p2.example.com");
    EXPECT_EQ(m.routes()[2].uri.host, "p3.example.com");
    ASSERT_EQ(m.recordRoutes().size(), 3u);
    EXPECT_EQ(m.recordRoutes()[0].uri.host, "r1.example.com");
    EXPECT_EQ(m.recordRoutes()[2].uri.host, "r3.example.com");
    EXPECT_NE(m.recordRoutes()[2].uri.param("lr"), nullptr);
    EXPECT_EQ(m.count(HeaderId::Via), 3u);
    EXPECT_EQ(m.count(HeaderId::Route), 2u);
}

TEST(SipParser, lineFolding) {
    Message m =
        Message::parse(options("Subject: first\n\tsecond\n   third\n"
                               "Route:\n <sip:p1.example.com;lr>,\n\t<sip:p2.example.com;lr>\n"
                               "X-Empty:\n"));
    ASSERT_TRUE(m.ok()) << m.errorText();
    const Header* s = m.find(HeaderId::Subject);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->value, "first  \tsecond     third");  // CRLF -> SP SP, continuation WSP kept
    ASSERT_EQ(m.routes().size(), 2u);
    EXPECT_EQ(m.routes()[1].uri.host, "p2.example.com");
    EXPECT_EQ(m.find("x-empty")->value, "");
    EXPECT_EQ(m.find(HeaderId::Route)->value,
              "<sip:p1.example.com;lr>,  \t<sip:p2.example.com;lr>");
}

TEST(SipParser, blankContinuationLines) {
    // Whitespace-only continuation lines add nothing but LWS; many of them stay cheap (unfolding
    // blanks each line break once).
    std::string folded = "Subject: a\n";
    for (int i = 0; i < 1000; ++i) {
        folded += i % 2 == 0 ? " \n" : "\t \n";
    }
    folded += " b\n";
    ParseLimits limits;
    limits.maxHeaderBytes = 8192;
    Message m = Message::parse(options(folded), limits);
    ASSERT_TRUE(m.ok()) << m.errorText();
    std::string_view v = m.find(HeaderId::Subject)->value;
    EXPECT_EQ(v.front(), 'a');
    EXPECT_EQ(v.back(), 'b');
    // "a", 1001 blanked CRLFs, the blank lines' WSP (500 x " ", 500 x "\t "), " b".
    EXPECT_EQ(v.size(), 1 + 1001 * 2 + 500 * 1 + 500 * 2 + 2u);
    EXPECT_EQ(v.find_first_not_of(" \t", 1), v.size() - 1);
}

// A CR that is not part of CRLF is refused in header lines (RFC 3261 §7.3.1, §25.1): relayed, it
// could end a line for the next element.
TEST(SipParser, bareCrInHeaderLine) {
    EXPECT_EQ(Message::parse(options("Subject: a\rInjected: yes\n")).error(),
              ParseError::BadHeaderLine);
    EXPECT_EQ(Message::parse(options("Subject: a\n \rb\n")).error(), ParseError::BadHeaderLine);
    EXPECT_EQ(Message::parse(options("Subject: a\r\n")).error(), ParseError::BadHeaderLine);
    EXPECT_EQ(Message::parse(options("To\r: x\n")).error(), ParseError::BadHeaderLine);
    // Status line and Request-URI refuse it as well.
    EXPECT_EQ(parseText("SIP/2.0 200 O\rK\n" + std::string(kMandatory) + "\n").error(),
              ParseError::BadStartLine);
    EXPECT_EQ(parseText("OPTIONS sip:b\rob@example.com SIP/2.0\n" + std::string(kMandatory) + "\n")
                  .error(),
              ParseError::BadRequestUri);
}

TEST(SipParser, bareLfLineEndings) {
    std::string text(kInvite);  // "\n" only
    text.replace(text.find("Content-Length: 0"), 17, "Content-Length: 4");
    text += "v=0\n";
    Message m = Message::parse(text);
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.callId(), "a84b4c76e66710@pc33.example.com");
    EXPECT_EQ(m.from().tag(), "1928301774");
    EXPECT_EQ(m.body(), "v=0\n");
    // Mixed endings.
    Message mixed =
        Message::parse("OPTIONS sip:bob@example.com SIP/2.0\n" + crlf(kMandatory) + "\n");
    ASSERT_TRUE(mixed.ok()) << mixed.errorText();
    EXPECT_TRUE(mixed.body().empty());
}

TEST(SipParser, framing) {
    std::string noCl = options("", "body");
    // Datagram: Content-Length is optional, the body is the rest of the datagram.
    Message d = Message::parse(noCl, {}, Framing::Datagram);
    ASSERT_TRUE(d.ok()) << d.errorText();
    EXPECT_FALSE(d.hasContentLength());
    EXPECT_EQ(d.body(), "body");
    // Stream: Content-Length is mandatory (RFC 3261 §18.3).
    Message s = Message::parse(noCl, {}, Framing::Stream);
    EXPECT_EQ(s.error(), ParseError::MissingHeader);
    EXPECT_EQ(s.errorHeader(), HeaderId::ContentLength);
    // With Content-Length, octets beyond it are not part of the message.
    std::string withCl = options("Content-Length: 2\n", "bodyOPTIONS");
    Message s2 = Message::parse(withCl, {}, Framing::Stream);
    ASSERT_TRUE(s2.ok()) << s2.errorText();
    EXPECT_EQ(s2.body(), "bo");
    Message short1 = Message::parse(options("Content-Length: 5\n", "body"), {}, Framing::Stream);
    EXPECT_EQ(short1.error(), ParseError::BodyTruncated);
    EXPECT_EQ(short1.errorHeader(), HeaderId::ContentLength);
}

// ---- URIs
// ----------------------------------------------------------------------------------------

TEST(SipUri, sipWithEverything) {
    Uri u;
    ASSERT_TRUE(parseUri(
        "sip:alice:secret@example.com:5061;transport=tcp;lr?subject=hi&priority=urgent", u));
    EXPECT_EQ(u.scheme, Scheme::Sip);
    EXPECT_EQ(u.schemeText, "sip");
    EXPECT_TRUE(u.hasUserInfo);
    EXPECT_EQ(u.user, "alice");
    EXPECT_EQ(u.password, "secret");
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.port, 5061);
    ASSERT_EQ(u.params.size(), 2u);
    EXPECT_EQ(u.param("TRANSPORT")->value, "tcp");
    EXPECT_FALSE(u.param("lr")->hasValue);
    EXPECT_EQ(u.headers, "subject=hi&priority=urgent");
    EXPECT_TRUE(u.isSip());

    Uri s;
    ASSERT_TRUE(parseUri("SIPS:example.com", s));
    EXPECT_EQ(s.scheme, Scheme::Sips);
    EXPECT_FALSE(s.hasUserInfo);
    EXPECT_EQ(s.user, "");
    EXPECT_EQ(s.host, "example.com");
    EXPECT_EQ(s.port, 0);

    Uri v4;
    ASSERT_TRUE(parseUri("sip:192.0.2.1:5060", v4));
    EXPECT_EQ(v4.host, "192.0.2.1");
    EXPECT_EQ(v4.hostAddress(), "192.0.2.1");
    EXPECT_EQ(v4.port, 5060);
}

TEST(SipUri, ipv6) {
    Uri u;
    ASSERT_TRUE(parseUri("sips:bob@[2001:db8::1]:5061;maddr=[2001:db8::2]", u));
    EXPECT_EQ(u.host, "[2001:db8::1]");
    EXPECT_EQ(u.hostAddress(), "2001:db8::1");
    EXPECT_EQ(u.port, 5061);
    EXPECT_EQ(u.param("maddr")->value, "[2001:db8::2]");
    Uri noPort;
    ASSERT_TRUE(parseUri("sip:[::ffff:192.0.2.1]", noPort));
    EXPECT_EQ(noPort.hostAddress(), "::ffff:192.0.2.1");
    EXPECT_EQ(noPort.port, 0);
    Uri bad;
    EXPECT_FALSE(parseUri("sip:[2001:db8::1", bad));
    EXPECT_FALSE(parseUri("sip:[2001:db8::1]5060", bad));
    EXPECT_FALSE(parseUri("sip:[zz::1]", bad));
    EXPECT_FALSE(parseUri("sip:2001:db8::1", bad));
}

TEST(SipUri, tel) {
    Uri u;
    ASSERT_TRUE(parseUri("tel:+1-201-555-0123;phone-context=example.com", u));
    EXPECT_EQ(u.scheme, Scheme::Tel);
    EXPECT_EQ(u.user, "+1-201-555-0123");
    EXPECT_FALSE(u.isSip());
    ASSERT_EQ(u.params.size(), 1u);
    EXPECT_EQ(u.params[0].name, "phone-context");
    EXPECT_EQ(u.params[0].value, "example.com");
    ASSERT_TRUE(parseUri("tel:7042;phone-context=+1-201-555", u));
    EXPECT_EQ(u.user, "7042");
    Uri bad;
    EXPECT_FALSE(parseUri("tel:", bad));
    EXPECT_FALSE(parseUri("tel:12+34", bad));
    EXPECT_FALSE(parseUri("tel:+1 201", bad));
    EXPECT_FALSE(parseUri("tel:;x=1", bad));
}

TEST(SipUri, escaping) {
    Uri u;
    ASSERT_TRUE(parseUri("sip:%61lice%20b:p%40ss@example.com", u));
    EXPECT_EQ(u.user, "%61lice%20b");
    EXPECT_EQ(u.userUnescaped(), "alice b");
    EXPECT_EQ(u.passwordUnescaped(), "p@ss");
    EXPECT_EQ(Uri::unescape("%7e%7E%4a"), "~~J");
    EXPECT_EQ(Uri::unescape("100%"), "100%");  // a stray % is kept
    Uri bad;
    EXPECT_FALSE(parseUri("sip:%6@example.com", bad));
    EXPECT_FALSE(parseUri("sip:%zz@example.com", bad));
    EXPECT_FALSE(parseUri("sip:a%@example.com", bad));
}

TEST(SipUri, rejects) {
    Uri u;
    for (std::string_view bad : {"",
                                 ":",
                                 "sip:",
                                 "sip:@example.com",
                                 "sip:user@",
                                 "sip:user@example.com:0",
                                 "sip:user@example.com:65536",
                                 "sip:user@example.com:5060x",
                                 "sip:a b@example.com",
                                 "sip:user@example.com;;lr",
                                 "sip:user@example.com;",
                                 "sip:user@-bad-.com",
                                 "sip:user@example..com",
                                 "sip:user@256.1.1.1",
                                 "sip:user@1.2.3",
                                 "sip:user@ex_ample.com",
                                 "sip:user@example.com?",
                                 "sip:user@example.com?x",
                                 "1sip:a@b.example",
                                 "s p:x",
                                 "sip:user@exa\x01mple.com",
                                 "http://x/\xc3\xa9"}) {
        EXPECT_FALSE(parseUri(bad, u)) << bad;
    }
    EXPECT_TRUE(parseUri("sip:user@example.com.", u));  // FQDN with the root dot
    EXPECT_TRUE(parseUri("urn:service:sos", u));
    EXPECT_EQ(u.scheme, Scheme::Other);
    EXPECT_EQ(u.opaque, "service:sos");
}

// ---- name-addr
// -----------------------------------------------------------------------------------

TEST(SipNameAddr, nameAddrVersusAddrSpec) {
    NameAddr a;
    ASSERT_TRUE(parseNameAddr("sip:alice@example.com;tag=1;expires=60", a));
    EXPECT_FALSE(a.angleBrackets);
    EXPECT_TRUE(a.uri.params.empty());
    EXPECT_EQ(a.tag(), "1");
    EXPECT_EQ(a.param("expires")->value, "60");

    NameAddr b;
    ASSERT_TRUE(parseNameAddr("<sip:alice@example.com;tag=1>;expires=60", b));
    EXPECT_TRUE(b.angleBrackets);
    EXPECT_EQ(b.displayName, "");
    EXPECT_EQ(b.tag(), "");  // the tag is a URI parameter here
    EXPECT_EQ(b.uri.param("tag")->value, "1");
    EXPECT_EQ(b.param("expires")->value, "60");

    NameAddr c;
    ASSERT_TRUE(parseNameAddr("Alice  Smith <sip:alice@example.com>", c));
    EXPECT_EQ(c.displayName, "Alice  Smith");
    EXPECT_EQ(c.displayNameText(), "Alice  Smith");

    NameAddr bad;
    // RFC 3261 §20: an addr-spec containing ',', '?' or (as a URI param) ';' needs <>.
    EXPECT_FALSE(parseNameAddr("sip:alice@example.com?Subject=x", bad));
    EXPECT_FALSE(parseNameAddr("sip:alice@example.com,sip:bob@example.com", bad));
    EXPECT_FALSE(parseNameAddr("<sip:alice@example.com", bad));
    EXPECT_FALSE(parseNameAddr("< sip:alice@example.com>", bad));
    EXPECT_FALSE(parseNameAddr("<>", bad));
    EXPECT_FALSE(parseNameAddr("", bad));
    EXPECT_FALSE(parseNameAddr("<sip:alice@example.com> junk", bad));
    EXPECT_FALSE(parseNameAddr("Al@ice <sip:alice@example.com>", bad));
}

TEST(SipNameAddr, quotedDisplayNames) {
    NameAddr a;
    ASSERT_TRUE(parseNameAddr(R"("Alice \"Ally\" Smith" <sip:alice@example.com>;tag=x)", a));
    EXPECT_EQ(a.displayName, R"("Alice \"Ally\" Smith")");
    EXPECT_EQ(a.displayNameText(), R"(Alice "Ally" Smith)");
    EXPECT_EQ(a.tag(), "x");
    NameAddr b;
    ASSERT_TRUE(parseNameAddr(R"("back\\slash"<sip:b@example.com>)", b));
    EXPECT_EQ(b.displayNameText(), R"(back\slash)");
    NameAddr c;
    ASSERT_TRUE(parseNameAddr(R"("" <sip:c@example.com>)", c));
    EXPECT_EQ(c.displayNameText(), "");
    NameAddr d;
    ASSERT_TRUE(parseNameAddr("\"\xc3\xa9l\xc3\xa8ve, <x>;\" <sip:d@example.com>", d));
    EXPECT_EQ(d.displayNameText(), "\xc3\xa9l\xc3\xa8ve, <x>;");
    NameAddr bad;
    EXPECT_FALSE(parseNameAddr(R"("unterminated <sip:a@example.com>)", bad));
    EXPECT_FALSE(parseNameAddr(R"("ends in escape\" <sip:a@example.com>)", bad));
    EXPECT_FALSE(parseNameAddr(R"("no uri")", bad));
    EXPECT_FALSE(parseNameAddr(R"("x" sip:a@example.com)", bad));
}

TEST(SipParams, headerParams) {
    Params p;
    ASSERT_TRUE(parseHeaderParams(" ; a = 1 ;b;c=\"q;v\" ; d=[2001:db8::1]", p));
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].name, "a");
    EXPECT_EQ(p[0].value, "1");
    EXPECT_FALSE(p[1].hasValue);
    EXPECT_EQ(p[2].value, "\"q;v\"");
    EXPECT_EQ(unquote(p[2].value), "q;v");
    EXPECT_EQ(p[3].value, "[2001:db8::1]");
    EXPECT_EQ(findParam(p, "C"), &p[2]);
    EXPECT_EQ(findParam(p, "e"), nullptr);
    Params q;
    EXPECT_TRUE(parseHeaderParams("", q));
    EXPECT_FALSE(parseHeaderParams(";;", q));
    EXPECT_FALSE(parseHeaderParams(";a=", q));
    EXPECT_FALSE(parseHeaderParams("a=1", q));
    EXPECT_FALSE(parseHeaderParams(";a=\"open", q));
    EXPECT_FALSE(parseHeaderParams(";a=1 2", q));
}

TEST(SipParams, splitListQuotesAndBrackets) {
    std::vector<std::string> out;
    auto collect = [&out](std::string_view e) {
        out.emplace_back(e);
        return true;
    };
    ASSERT_TRUE(splitList("a, \"b,\\\"c\" <x,y>;p=1 ,\td", collect));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], "a");
    EXPECT_EQ(out[1], R"("b,\"c" <x,y>;p=1)");
    EXPECT_EQ(out[2], "d");
    EXPECT_FALSE(splitList("a,,b", collect));
    EXPECT_FALSE(splitList("a,", collect));
    EXPECT_FALSE(splitList("\"open", collect));
    EXPECT_FALSE(splitList("<open", collect));
    // An unterminated quoted-string ending in a backslash is still unterminated.
    out.clear();
    EXPECT_FALSE(splitList(R"(<sip:a@example.com>, "x\)", collect));
    EXPECT_FALSE(splitList(R"("\)", collect));
}

TEST(SipParser, unterminatedQuoteWithTrailingBackslash) {
    Message m = Message::parse(options("Contact: <sip:a@example.com>, \"x\\\n"));
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::Contact);
}

// ---- Via
// -----------------------------------------------------------------------------------------

TEST(SipVia, ipv6AndPorts) {
    Via v;
    ASSERT_TRUE(parseVia("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKabc;rport", v));
    EXPECT_EQ(v.host, "[2001:db8::1]");
    EXPECT_EQ(v.hostAddress(), "2001:db8::1");
    EXPECT_EQ(v.port, 5060);
    EXPECT_TRUE(v.hasRport());
    EXPECT_EQ(v.branch(), "z9hG4bKabc");
    EXPECT_TRUE(v.rfc3261Branch());
    Via w;
    ASSERT_TRUE(parseVia("SIP / 2.0 / TCP [::1] ; received=[2001:db8::9];rport=5062", w));
    EXPECT_EQ(w.hostAddress(), "::1");
    EXPECT_EQ(w.port, 0);
    EXPECT_EQ(w.param("received")->value, "[2001:db8::9]");
    EXPECT_EQ(w.param("rport")->value, "5062");
    Via x;
    ASSERT_TRUE(parseVia("SIP/2.0/WSS abc.invalid : 443;branch=z9hG4bK1;ttl=255", x));
    EXPECT_EQ(x.transport, "WSS");
    EXPECT_EQ(x.port, 443);
    // via-received carries an IPv6address without brackets (RFC 3261 §25.1); bracketed is accepted.
    Via y;
    ASSERT_TRUE(parseVia("SIP/2.0/UDP host.example.com;received=2001:db8::9;branch=z9hG4bK1", y));
    EXPECT_EQ(y.param("received")->value, "2001:db8::9");
    ASSERT_TRUE(parseVia("SIP/2.0/UDP host.example.com;received=::ffff:192.0.2.1", y));
    Via bad;
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host.example.com;received=2001:zz::9", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host.example.com;received=", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host.example.com;received=a_b", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP [2001:db8::1", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP [2001:db8::1]:", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host:65536", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host;branch=z9hG4bK", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP", bad));
    EXPECT_FALSE(parseVia("SIP/2.0/UDP host junk", bad));
}

// ---- serialization
// -------------------------------------------------------------------------------

TEST(SipSerialize, exactText) {
    Message m = parseText(R"(OPTIONS sip:bob@example.com SIP/2.0
Via :SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds
To: <sip:bob@example.com>
From: <sip:alice@example.com>;tag=1
Call-ID: c1@pc33.example.com
CSeq: 1 OPTIONS
Subject: a
 b
Content-Length: 2

hi trailing octets)");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(serialize(m), crlf(R"(OPTIONS sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds
To: <sip:bob@example.com>
From: <sip:alice@example.com>;tag=1
Call-ID: c1@pc33.example.com
CSeq: 1 OPTIONS
Subject: a   b
Content-Length: 2

hi)"));
}

void expectSameTypedValues(const Message& a, const Message& b) {
    EXPECT_EQ(a.isRequest(), b.isRequest());
    EXPECT_EQ(a.methodText(), b.methodText());
    EXPECT_EQ(a.requestUriText(), b.requestUriText());
    EXPECT_EQ(a.statusCode(), b.statusCode());
    EXPECT_EQ(a.reasonPhrase(), b.reasonPhrase());
    EXPECT_EQ(a.callId(), b.callId());
    EXPECT_EQ(a.cseq().number, b.cseq().number);
    EXPECT_EQ(a.cseq().method, b.cseq().method);
    EXPECT_EQ(a.maxForwards(), b.maxForwards());
    ASSERT_EQ(a.vias().size(), b.vias().size());
    for (size_t i = 0; i < a.vias().size(); ++i) {
        EXPECT_EQ(a.vias()[i].host, b.vias()[i].host);
        EXPECT_EQ(a.vias()[i].port, b.vias()[i].port);
        EXPECT_EQ(a.vias()[i].branch(), b.vias()[i].branch());
    }
    EXPECT_EQ(a.from().tag(), b.from().tag());
    EXPECT_EQ(a.from().displayNameText(), b.from().displayNameText());
    EXPECT_EQ(a.to().tag(), b.to().tag());
    EXPECT_EQ(a.to().uri.raw, b.to().uri.raw);
    ASSERT_EQ(a.contacts().size(), b.contacts().size());
    for (size_t i = 0; i < a.contacts().size(); ++i) {
        EXPECT_EQ(a.contacts()[i].uri.raw, b.contacts()[i].uri.raw);
        EXPECT_EQ(a.contacts()[i].params.size(), b.contacts()[i].params.size());
    }
    EXPECT_EQ(a.routes().size(), b.routes().size());
    EXPECT_EQ(a.contentType(), b.contentType());
    EXPECT_EQ(a.body(), b.body());
    EXPECT_EQ(a.headers().size(), b.headers().size());
}

TEST(SipSerialize, roundTrip) {
    const std::string texts[] = {
        crlf(kInvite),
        crlf(R"(INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 5
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

v=0
)"),
        crlf(R"(SIP/2.0 180 Ringing
Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKx;rport=5060;received=[2001:db8::1]
To: <sip:bob@example.com>;tag=b
From: <sip:alice@example.com>;tag=a
Call-ID: r1
CSeq: 7 INVITE
Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
Content-Length: 0

)"),
    };
    for (const std::string& text : texts) {
        Message m = Message::parse(text);
        ASSERT_TRUE(m.ok()) << m.errorText() << "\n" << text;
        std::string s = serialize(m);
        Message again = Message::parse(s);
        ASSERT_TRUE(again.ok()) << again.errorText() << "\n" << s;
        expectSameTypedValues(m, again);
        EXPECT_EQ(serialize(again), s);
        Message stream = Message::parse(s, {}, Framing::Stream);
        ASSERT_TRUE(stream.ok()) << stream.errorText();
        expectSameTypedValues(m, stream);
    }
}

TEST(SipWriter, exactText) {
    MessageWriter w;
    w.requestLine("OPTIONS", "sip:bob@example.com")
        .header(HeaderId::Via, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1")
        .header(HeaderId::MaxForwards, "70")
        .header("X-Custom", "yes");
    EXPECT_EQ(w.finish(),
              "OPTIONS sip:bob@example.com SIP/2.0\r\n"
              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\n"
              "Max-Forwards: 70\r\n"
              "X-Custom: yes\r\n"
              "Content-Length: 0\r\n"
              "\r\n");
    MessageWriter r;
    r.statusLine(486, "").header(HeaderId::CallId, "x@y");
    EXPECT_EQ(r.finish("v=0\r\n", "application/sdp"),
              "SIP/2.0 486 Busy Here\r\n"
              "Call-ID: x@y\r\n"
              "Content-Type: application/sdp\r\n"
              "Content-Length: 5\r\n"
              "\r\n"
              "v=0\r\n");
    MessageWriter q;
    q.statusLine(299, "Custom Reason");
    EXPECT_EQ(q.finish(), "SIP/2.0 299 Custom Reason\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(defaultReason(299), "Unknown");
    EXPECT_EQ(defaultReason(416), "Unsupported URI Scheme");
}

// ---- responses
// -----------------------------------------------------------------------------------

constexpr std::string_view kRequestForResponse = R"(INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport, SIP/2.0/UDP b.example.com;branch=z9hG4bK2
Max-Forwards: 70
Via: SIP/2.0/TCP c.example.com;branch=z9hG4bK3
To: Bob <sip:bob@example.com>
From: Alice <sip:alice@example.com>;tag=a1
Call-ID: call-1@a.example.com
CSeq: 5 INVITE
Contact: <sip:alice@a.example.com>
Content-Type: application/sdp
Content-Length: 4

v=0
)";

TEST(SipResponse, exactText) {
    Message req = parseText(kRequestForResponse);
    ASSERT_TRUE(req.ok()) << req.errorText();
    const std::pair<std::string_view, std::string_view> extra[] = {
        {"Contact", "<sip:sbc@192.0.2.10>"}, {"Server", "sbc"}};
    ResponseSpec spec;
    spec.code = 180;
    spec.toTag = "t1";
    spec.extra = extra;
    auto r = buildResponse(req, spec);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, crlf(R"(SIP/2.0 180 Ringing
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport, SIP/2.0/UDP b.example.com;branch=z9hG4bK2
Via: SIP/2.0/TCP c.example.com;branch=z9hG4bK3
From: Alice <sip:alice@example.com>;tag=a1
To: Bob <sip:bob@example.com>;tag=t1
Call-ID: call-1@a.example.com
CSeq: 5 INVITE
Contact: <sip:sbc@192.0.2.10>
Server: sbc
Content-Length: 0

)"));
    Message resp = Message::parse(*r, {}, Framing::Stream);
    ASSERT_TRUE(resp.ok()) << resp.errorText();
    EXPECT_EQ(resp.to().tag(), "t1");
    EXPECT_EQ(resp.vias().size(), 3u);
}

TEST(SipResponse, topViaReplacedAndTags) {
    Message req = parseText(kRequestForResponse);
    ASSERT_TRUE(req.ok()) << req.errorText();
    std::string top = viaWithReceived(req.vias()[0], "198.51.100.7", 40000);
    EXPECT_EQ(top, "SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport=40000;received=198.51.100.7");
    ResponseSpec spec;
    spec.code = 100;
    spec.toTag = "t1";  // not for 100 Trying
    spec.topVia = top;
    auto r = buildResponse(req, spec);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, crlf(R"(SIP/2.0 100 Trying
Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport=40000;received=198.51.100.7
Via: SIP/2.0/UDP b.example.com;branch=z9hG4bK2
Via: SIP/2.0/TCP c.example.com;branch=z9hG4bK3
From: Alice <sip:alice@example.com>;tag=a1
To: Bob <sip:bob@example.com>
Call-ID: call-1@a.example.com
CSeq: 5 INVITE
Content-Length: 0

)"));
    // A To that already has a tag keeps it.
    std::string tagged(kRequestForResponse);
    tagged.replace(tagged.find("To: Bob <sip:bob@example.com>"), 29,
                   "To: Bob <sip:bob@example.com> ; tag = b7");
    Message inDialog = parseText(tagged);
    ASSERT_TRUE(inDialog.ok()) << inDialog.errorText();
    spec.code = 200;
    spec.topVia = {};
    auto r2 = buildResponse(inDialog, spec);
    ASSERT_TRUE(r2.has_value());
    EXPECT_NE(r2->find("\r\nTo: Bob <sip:bob@example.com> ; tag = b7\r\n"), std::string::npos);
    // A tag URI parameter is not a To tag: the response still gets one.
    std::string uriTag(kRequestForResponse);
    uriTag.replace(uriTag.find("To: Bob <sip:bob@example.com>"), 29,
                   "To: Bob <sip:bob@example.com;tag=u>");
    Message withUriTag = parseText(uriTag);
    ASSERT_TRUE(withUriTag.ok()) << withUriTag.errorText();
    auto r3 = buildResponse(withUriTag, spec);
    ASSERT_TRUE(r3.has_value());
    EXPECT_NE(r3->find("\r\nTo: Bob <sip:bob@example.com;tag=u>;tag=t1\r\n"), std::string::npos);
    // With a body.
    spec.body = "v=0\r\n";
    spec.contentType = "application/sdp";
    spec.reason = "Fine";
    auto r4 = buildResponse(req, spec);
    ASSERT_TRUE(r4.has_value());
    EXPECT_TRUE(r4->starts_with("SIP/2.0 200 Fine\r\n"));
    EXPECT_TRUE(r4->ends_with("Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"));
}

TEST(SipResponse, nulloptWithoutMandatoryHeaders) {
    const std::string_view lines[] = {
        "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;rport, SIP/2.0/UDP "
        "b.example.com;branch=z9hG4bK2\n",
        "Via: SIP/2.0/TCP c.example.com;branch=z9hG4bK3\n",
        "From: Alice <sip:alice@example.com>;tag=a1\n",
        "To: Bob <sip:bob@example.com>\n",
        "Call-ID: call-1@a.example.com\n",
        "CSeq: 5 INVITE\n",
    };
    ResponseSpec spec;
    spec.code = 400;
    // From, To, Call-ID, CSeq: each one missing means no response.
    for (size_t i = 2; i < std::size(lines); ++i) {
        std::string text(kRequestForResponse);
        text.erase(text.find(lines[i]), lines[i].size());
        Message m = parseText(text);
        EXPECT_EQ(m.error(), ParseError::MissingHeader) << lines[i];
        EXPECT_FALSE(buildResponse(m, spec).has_value()) << lines[i];
    }
    // One Via line of the two is enough; none is not.
    std::string oneVia(kRequestForResponse);
    oneVia.erase(oneVia.find(lines[0]), lines[0].size());
    EXPECT_TRUE(buildResponse(parseText(oneVia), spec).has_value());
    std::string noVia = oneVia;
    noVia.erase(noVia.find(lines[1]), lines[1].size());
    Message viaLess = parseText(noVia);
    EXPECT_EQ(viaLess.error(), ParseError::MissingHeader);
    EXPECT_EQ(viaLess.errorHeader(), HeaderId::Via);
    EXPECT_FALSE(buildResponse(viaLess, spec).has_value());
    // An empty value counts as absent.
    std::string empty(kRequestForResponse);
    empty.replace(empty.find("Call-ID: call-1@a.example.com"), 29, "Call-ID:");
    EXPECT_FALSE(buildResponse(parseText(empty), spec).has_value());
    // A request whose start line failed still gets its 400.
    std::string badStart(kRequestForResponse);
    badStart.replace(0, 7, "INVITE  ");
    Message bad = parseText(badStart);
    EXPECT_EQ(bad.error(), ParseError::BadStartLine);
    EXPECT_TRUE(buildResponse(bad, spec).has_value());
}

TEST(SipResponse, viaWithReceived) {
    Via v;
    ASSERT_TRUE(parseVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", v));
    // sent-by equals the source and no rport: nothing to add (RFC 3261 §18.2.1).
    EXPECT_EQ(viaWithReceived(v, "192.0.2.1", 5060), "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1");
    EXPECT_EQ(viaWithReceived(v, "192.0.2.99", 5060),
              "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=192.0.2.99");
    // rport: filled in, and received is added even when equal (RFC 3581 §4).
    ASSERT_TRUE(parseVia("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1", v));
    EXPECT_EQ(viaWithReceived(v, "192.0.2.1", 6000),
              "SIP/2.0/UDP 192.0.2.1:5060;rport=6000;branch=z9hG4bK1;received=192.0.2.1");
    // An existing received is replaced.
    ASSERT_TRUE(parseVia("SIP/2.0/TCP host.example.com;received=10.0.0.1;branch=z9hG4bK1", v));
    EXPECT_EQ(viaWithReceived(v, "192.0.2.7", 5060),
              "SIP/2.0/TCP host.example.com;branch=z9hG4bK1;received=192.0.2.7");
    // IPv6 sent-by compares without its brackets.
    ASSERT_TRUE(parseVia("SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1", v));
    EXPECT_EQ(viaWithReceived(v, "2001:db8::1", 5060), "SIP/2.0/UDP [2001:db8::1];branch=z9hG4bK1");
    // An IPv6 source is written as an IPv6address, and the result parses again.
    ASSERT_TRUE(parseVia("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport", v));
    std::string withV6 = viaWithReceived(v, "2001:db8::9", 5070);
    EXPECT_EQ(withV6, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport=5070;received=2001:db8::9");
    Via again;
    ASSERT_TRUE(parseVia(withV6, again));
    EXPECT_EQ(again.param("received")->value, "2001:db8::9");
    EXPECT_EQ(again.param("rport")->value, "5070");
}

// ---- header names
// --------------------------------------------------------------------------------

TEST(SipHeaders, everyKnownHeaderRoundTrips) {
    for (size_t i = 1; i < static_cast<size_t>(HeaderId::Count); ++i) {
        HeaderId id = static_cast<HeaderId>(i);
        std::string_view name = canonicalName(id);
        ASSERT_FALSE(name.empty()) << i;
        EXPECT_EQ(headerIdOf(name), id) << name;
        std::string lower(name);
        std::string upper(name);
        for (char& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        for (char& c : upper) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        EXPECT_EQ(headerIdOf(lower), id) << name;
        EXPECT_EQ(headerIdOf(upper), id) << name;
        EXPECT_EQ(headerIdOf(std::string(name) + "x"), HeaderId::Unknown) << name;
    }
    EXPECT_EQ(canonicalName(HeaderId::Unknown), "");
    EXPECT_EQ(canonicalName(HeaderId::Count), "");
    EXPECT_EQ(canonicalName(HeaderId::CallId), "Call-ID");
    EXPECT_EQ(canonicalName(HeaderId::WwwAuthenticate), "WWW-Authenticate");
    EXPECT_EQ(headerIdOf(""), HeaderId::Unknown);
    EXPECT_EQ(headerIdOf("X-Unknown"), HeaderId::Unknown);
    EXPECT_EQ(headerIdOf("1"), HeaderId::Unknown);
    EXPECT_EQ(headerIdOf("Call-I"), HeaderId::Unknown);
    EXPECT_EQ(headerIdOf("Vía"), HeaderId::Unknown);
    EXPECT_EQ(headerIdOf(std::string(200, 'v')), HeaderId::Unknown);
}

TEST(SipMethods, names) {
    const Method all[] = {Method::Invite,  Method::Ack,       Method::Bye,    Method::Cancel,
                          Method::Options, Method::Register,  Method::Prack,  Method::Update,
                          Method::Info,    Method::Subscribe, Method::Notify, Method::Refer,
                          Method::Message, Method::Publish};
    for (Method m : all) {
        EXPECT_EQ(methodOf(methodName(m)), m);
    }
    EXPECT_EQ(methodOf("invite"), Method::Unknown);  // case-sensitive (RFC 3261 §7.1)
    EXPECT_EQ(methodName(Method::Unknown), "");
}

// ---- multipart
// -----------------------------------------------------------------------------------

TEST(SipMultipart, boundaryAndParts) {
    EXPECT_EQ(multipartBoundary("multipart/mixed; boundary=\"a b\""), "a b");
    EXPECT_EQ(multipartBoundary("multipart/mixed;boundary=xyz;charset=x"), "xyz");
    EXPECT_EQ(multipartBoundary("multipart/mixed"), "");
    EXPECT_EQ(multipartBoundary("multipart/mixed;boundary"), "");
    std::string body =
        crlf("preamble\n--xyz\n\nfirst\n--xyz\nc: application/sdp\n\nv=0\n\n--xyz--\n");
    std::vector<BodyPart> parts;
    ASSERT_TRUE(parseMultipart(body, "xyz", parts));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].headers, "");
    EXPECT_EQ(parts[0].body, "first");
    EXPECT_EQ(parts[1].contentType, "application/sdp");
    EXPECT_EQ(parts[1].body, "v=0\r\n");
    std::vector<BodyPart> none;
    EXPECT_FALSE(parseMultipart(body, "", none));
    EXPECT_FALSE(parseMultipart(body, "nope", none));
    EXPECT_FALSE(parseMultipart(crlf("--xyz\n\nunclosed"), "xyz", none));
    std::vector<BodyPart> few;
    EXPECT_FALSE(parseMultipart(body, "xyz", few, 1));
}

}  // namespace
}  // namespace sbc::sip
