// RFC 4475 (SIP Torture Test Messages): one test per message of tests/data/rfc4475, each asserting
// the outcome the RFC's section asks for and, for the messages that must parse, the values the
// section calls out. Messages that are well-formed but refused by the application layer (416, 420,
// 415, 483, ...) are asserted at the parse level: the values the SBC core decides on.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/sip/message.hpp"
#include "controlplane/sip/multipart.hpp"
#include "controlplane/sip/serializer.hpp"

#ifndef SBC_TESTDATA
#error "SBC_TESTDATA must name tests/data"
#endif

namespace sbc::sip {
namespace {

using namespace std::literals;

std::string readVector(std::string_view name) {
    std::string path = std::string(SBC_TESTDATA) + "/rfc4475/" + std::string(name) + ".dat";
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot read " << path;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The vectors are UDP datagrams (RFC 4475 §2).
Message load(std::string_view name) {
    return Message::parse(readVector(name));
}

// A 400 (or other) response to a message that did not parse: the raw headers must still be there.
std::optional<std::string> respond(const Message& m, int code) {
    ResponseSpec spec;
    spec.code = code;
    spec.toTag = "sbc1";
    return buildResponse(m, spec);
}

void expectStartsWith(std::string_view text, std::string_view prefix) {
    EXPECT_TRUE(text.starts_with(prefix))
        << "'" << text.substr(0, 60) << "' does not start with '" << prefix << "'";
}

// ---- 3.1.1 Valid messages
// ------------------------------------------------------------------------

// 3.1.1.1 A Short Tortuous INVITE.
TEST(Rfc4475, wsinv) {
    Message m = load("wsinv");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_TRUE(m.isRequest());
    EXPECT_EQ(m.method(), Method::Invite);
    EXPECT_EQ(m.methodText(), "INVITE");
    EXPECT_EQ(m.version(), "SIP/2.0");

    const Uri& ruri = m.requestUri();
    EXPECT_EQ(ruri.scheme, Scheme::Sip);
    EXPECT_EQ(ruri.user, "vivekg");
    EXPECT_EQ(ruri.host, "chair-dnrc.example.com");
    EXPECT_EQ(ruri.port, 0);
    ASSERT_EQ(ruri.params.size(), 1u);
    EXPECT_EQ(ruri.params[0].name, "unknownparam");
    EXPECT_FALSE(ruri.params[0].hasValue);

    // "TO :" with the value on a continuation line; LWS around ";" and "=".
    EXPECT_FALSE(m.to().angleBrackets);
    EXPECT_EQ(m.to().uri.user, "vivekg");
    EXPECT_EQ(m.to().uri.host, "chair-dnrc.example.com");
    EXPECT_TRUE(m.to().uri.params.empty());
    EXPECT_EQ(m.to().tag(), "1918181833n");

    // display-name "J Rosenberg \\\"": the quoted-pairs \\ and \" stand for \ and ".
    EXPECT_EQ(m.from().displayName, R"("J Rosenberg \\\"")");
    EXPECT_EQ(m.from().displayNameText(), R"(J Rosenberg \")");
    EXPECT_EQ(m.from().uri.user, "jdrosen");
    EXPECT_EQ(m.from().uri.host, "example.com");
    EXPECT_EQ(m.from().tag(), "98asjd8");

    EXPECT_EQ(m.maxForwards(), 68);  // "0068"
    EXPECT_EQ(m.callId(), "wsinv.ndaksdj@192.0.2.1");
    EXPECT_EQ(m.cseq().number, 9u);  // "0009" folded onto "INVITE"
    EXPECT_EQ(m.cseq().method, "INVITE");
    EXPECT_EQ(m.cseq().methodId, Method::Invite);

    // Three Via values: one folded header, then a compact "v" with two comma-separated values.
    ASSERT_EQ(m.vias().size(), 3u);
    EXPECT_EQ(m.vias()[0].protocolName, "SIP");
    EXPECT_EQ(m.vias()[0].protocolVersion, "2.0");
    EXPECT_EQ(m.vias()[0].transport, "UDP");
    EXPECT_EQ(m.vias()[0].host, "192.0.2.2");
    EXPECT_EQ(m.vias()[0].branch(), "390skdjuw");
    EXPECT_FALSE(m.vias()[0].rfc3261Branch());
    EXPECT_EQ(m.vias()[1].transport, "TCP");
    EXPECT_EQ(m.vias()[1].host, "spindle.example.com");
    EXPECT_EQ(m.vias()[1].branch(), "z9hG4bK9ikj8");
    EXPECT_TRUE(m.vias()[1].rfc3261Branch());
    EXPECT_EQ(m.vias()[2].transport, "UDP");
    EXPECT_EQ(m.vias()[2].host, "192.168.255.111");
    EXPECT_EQ(m.vias()[2].branch(), "z9hG4bK30239");

    // m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q =
    // 0.33
    ASSERT_EQ(m.contacts().size(), 1u);
    const NameAddr& c = m.contacts()[0];
    EXPECT_EQ(c.displayNameText(), "Quoted string \"\"");
    EXPECT_TRUE(c.angleBrackets);
    EXPECT_EQ(c.uri.user, "jdrosen");
    EXPECT_EQ(c.uri.host, "example.com");
    ASSERT_EQ(c.params.size(), 3u);
    EXPECT_EQ(c.params[0].name, "newparam");
    EXPECT_EQ(c.params[0].value, "newvalue");
    EXPECT_EQ(c.params[1].name, "secondparam");
    EXPECT_FALSE(c.params[1].hasValue);
    EXPECT_EQ(c.params[2].name, "q");
    EXPECT_EQ(c.params[2].value, "0.33");

    ASSERT_EQ(m.routes().size(), 1u);
    EXPECT_EQ(m.routes()[0].uri.host, "services.example.com");
    ASSERT_EQ(m.routes()[0].uri.params.size(), 3u);
    EXPECT_EQ(m.routes()[0].uri.params[0].name, "lr");
    EXPECT_EQ(m.routes()[0].uri.params[1].name, "unknownwith");
    EXPECT_EQ(m.routes()[0].uri.params[1].value, "value");
    EXPECT_EQ(m.routes()[0].uri.params[2].name, "unknown-no-value");

    // Folding is undone in place: the CRLF becomes SP SP, followed by the continuation's own SP
    // (LWS of any length is equivalent to one SP, RFC 3261 §7.3.1).
    const Header* nf = m.find("newfangledheader");
    ASSERT_NE(nf, nullptr);
    EXPECT_EQ(nf->id, HeaderId::Unknown);
    EXPECT_EQ(nf->value, "newfangled value   continued newfangled value");
    const Header* unusual = m.find("UnknownHeaderWithUnusualValue");
    ASSERT_NE(unusual, nullptr);
    EXPECT_EQ(unusual->value, ";;,,;;,;");
    const Header* subject = m.find(HeaderId::Subject);
    ASSERT_NE(subject, nullptr);
    EXPECT_EQ(subject->name, "s");
    EXPECT_EQ(subject->value, "");

    EXPECT_EQ(m.headers().size(), 14u);
    EXPECT_TRUE(m.hasContentLength());
    EXPECT_EQ(m.contentType(), "application/sdp");
    EXPECT_EQ(m.body().size(), 150u);
    expectStartsWith(m.body(), "v=0\r\no=mhandley");
}

// 3.1.1.2 Wide Range of Valid Characters.
TEST(Rfc4475, intmeth) {
    Message m = load("intmeth");
    ASSERT_TRUE(m.ok()) << m.errorText();
    constexpr std::string_view kMethod = "!interesting-Method0123456789_*+`.%indeed'~";
    EXPECT_EQ(m.methodText(), kMethod);
    EXPECT_EQ(m.method(), Method::Unknown);
    EXPECT_EQ(m.cseq().number, 139122385u);
    EXPECT_EQ(m.cseq().method, kMethod);

    const Uri& ruri = m.requestUri();
    EXPECT_EQ(ruri.scheme, Scheme::Sip);
    EXPECT_EQ(ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EXPECT_EQ(ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    EXPECT_EQ(ruri.host, "example.com");
    EXPECT_TRUE(ruri.params.empty());
    EXPECT_TRUE(ruri.headers.empty());

    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].transport, "TCP");
    EXPECT_EQ(m.vias()[0].host, "host1.example.com");
    EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK-.!%66*_+`'~");

    // The To display name carries quoted-pairs of BEL, NUL and DEL.
    EXPECT_EQ(m.to().displayNameText(), "BEL:\x07 NUL:\0 DEL:\x7F"sv);
    EXPECT_EQ(m.to().uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EXPECT_EQ(m.to().uri.host, "example.com");

    // The From display name is a run of unusual tokens; a parameter has a UTF-8 quoted value.
    EXPECT_EQ(m.from().displayName, "token1~` token2'+_ token3*%!.-");
    EXPECT_EQ(m.from().uri.user, "mundane");
    EXPECT_EQ(m.from().tag(), "_token~1'+`*%!-.");
    ASSERT_EQ(m.from().params.size(), 2u);
    EXPECT_EQ(m.from().params[0].name, "fromParam''~+*_!.-%");
    EXPECT_EQ(
        m.from().params[0].value,
        "\"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9\"");

    EXPECT_EQ(m.callId(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    EXPECT_EQ(m.maxForwards(), 255);

    const Header* ext = m.find("extensionheader-!.%*+_`'~");
    ASSERT_NE(ext, nullptr);
    EXPECT_EQ(ext->id, HeaderId::Unknown);
    EXPECT_EQ(ext->name, "extensionHeader-!.%*+_`'~");
    EXPECT_EQ(ext->value, "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
    EXPECT_TRUE(m.body().empty());
}

// 3.1.1.3 Valid Use of the % Escaping Mechanism.
TEST(Rfc4475, esc01) {
    Message m = load("esc01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Invite);
    // The R-URI user is the escaped form of "sips:user@example.com"; the host is example.net.
    EXPECT_EQ(m.requestUri().user, "sips%3Auser%40example.com");
    EXPECT_EQ(m.requestUri().userUnescaped(), "sips:user@example.com");
    EXPECT_EQ(m.requestUri().host, "example.net");

    EXPECT_FALSE(m.to().angleBrackets);
    EXPECT_EQ(m.to().uri.user, "%75se%72");
    EXPECT_EQ(m.to().uri.userUnescaped(), "user");
    EXPECT_EQ(m.to().uri.host, "example.com");
    EXPECT_EQ(m.from().uri.userUnescaped(), "I have spaces");
    EXPECT_EQ(m.from().tag(), "938");

    EXPECT_EQ(m.callId(), "esc01.239409asdfakjkn23onasd0-3234");  // compact "i"
    EXPECT_EQ(m.contentType(), "application/sdp");                // compact "C"

    ASSERT_EQ(m.contacts().size(), 1u);
    const Uri& c = m.contacts()[0].uri;
    EXPECT_EQ(c.userUnescaped(), "caller");
    EXPECT_EQ(c.host, "host5.example.net");
    ASSERT_EQ(c.params.size(), 2u);
    EXPECT_EQ(c.params[0].name, "%6C%72");
    EXPECT_EQ(Uri::unescape(c.params[0].name), "lr");
    EXPECT_FALSE(c.params[0].hasValue);
    EXPECT_EQ(Uri::unescape(c.params[1].name), "name");
    EXPECT_EQ(c.params[1].value, "v%61lue%25%34%31");
    EXPECT_EQ(Uri::unescape(c.params[1].value), "value%41");  // %25 decodes once, to "%"
    EXPECT_EQ(m.body().size(), 150u);
}

// 3.1.1.4 Escaped Nulls in URIs.
TEST(Rfc4475, escnull) {
    Message m = load("escnull");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Register);
    std::string user = m.to().uri.userUnescaped();
    EXPECT_EQ(user.size(), 11u);
    EXPECT_EQ(user, "null-\0-null"sv);
    EXPECT_EQ(m.from().uri.userUnescaped(), "null-\0-null"sv);
    EXPECT_EQ(m.from().tag(), "839923423");
    ASSERT_EQ(m.contacts().size(), 2u);
    EXPECT_EQ(m.contacts()[0].uri.userUnescaped(), "\0"sv);
    EXPECT_EQ(m.contacts()[1].uri.userUnescaped(), "\0\0"sv);
    EXPECT_EQ(m.contacts()[1].uri.host, "host5.example.com");
    EXPECT_TRUE(m.hasContentLength());  // "L:0"
    EXPECT_TRUE(m.body().empty());
}

// 3.1.1.5 Use of % When It Is Not an Escape.
TEST(Rfc4475, esc02) {
    Message m = load("esc02");
    ASSERT_TRUE(m.ok()) << m.errorText();
    // Method names are not escaped: this is the unknown method RE%47IST%45R, not REGISTER.
    EXPECT_EQ(m.methodText(), "RE%47IST%45R");
    EXPECT_EQ(m.method(), Method::Unknown);
    EXPECT_EQ(m.cseq().method, "RE%47IST%45R");
    EXPECT_EQ(m.cseq().methodId, Method::Unknown);
    EXPECT_EQ(m.to().displayNameText(), "%Z%45");
    EXPECT_EQ(m.from().displayNameText(), "%Z%45");
    EXPECT_EQ(m.from().tag(), "f232jadfj23");
    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].branch(), "z9hG4bK209%fzsnel234");
    // Header names are not escaped either: "C%6Fntact" is an unknown header.
    ASSERT_EQ(m.contacts().size(), 2u);
    EXPECT_EQ(m.contacts()[0].uri.user, "alias1");
    EXPECT_EQ(m.contacts()[1].uri.user, "alias3");
    EXPECT_EQ(m.count(HeaderId::Contact), 2u);
    const Header* odd = m.find("C%6Fntact");
    ASSERT_NE(odd, nullptr);
    EXPECT_EQ(odd->id, HeaderId::Unknown);
    EXPECT_EQ(odd->value, "<sip:alias2@host2.example.com>");
}

// 3.1.1.6 Message with No LWS between Display Name and <.
TEST(Rfc4475, lwsdisp) {
    Message m = load("lwsdisp");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Options);
    EXPECT_TRUE(m.from().angleBrackets);
    EXPECT_EQ(m.from().displayName, "caller");
    EXPECT_EQ(m.from().uri.user, "caller");
    EXPECT_EQ(m.from().uri.host, "example.com");
    EXPECT_EQ(m.from().tag(), "323");
    EXPECT_EQ(m.cseq().number, 60u);
}

// 3.1.1.7 Long Values in Header Fields.
TEST(Rfc4475, longreq) {
    Message m = load("longreq");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Invite);

    const NameAddr& to = m.to();
    EXPECT_EQ(to.displayName.size(), 105u);  // with its quotes
    EXPECT_EQ(to.displayNameText(),
              "I have a user name of "
              "extremeextremeextremeextremeextremeextremeextremeextremeextremeextreme proportion");
    EXPECT_EQ(to.uri.port, 6000);
    ASSERT_EQ(to.uri.params.size(), 3u);
    EXPECT_EQ(to.uri.params[0].name, "unknownparam1");
    EXPECT_EQ(to.uri.params[0].value.size(), 89u);
    EXPECT_EQ(to.uri.params[1].name.size(), 109u);
    EXPECT_EQ(to.uri.params[1].value, "shortvalue");
    EXPECT_EQ(to.uri.params[2].name.size(), 128u);
    EXPECT_FALSE(to.uri.params[2].hasValue);

    const NameAddr& from = m.from();  // compact "F", addr-spec
    EXPECT_EQ(from.uri.user.size(), 115u);
    EXPECT_EQ(from.uri.host, "example.net");
    ASSERT_EQ(from.params.size(), 3u);
    EXPECT_EQ(from.tag().size(), 155u);
    EXPECT_EQ(from.params[1].name.size(), 98u);
    EXPECT_EQ(from.params[1].value.size(), 92u);
    EXPECT_EQ(from.params[2].name.size(), 106u);
    EXPECT_FALSE(from.params[2].hasValue);

    EXPECT_EQ(m.callId().size(), 141u);
    expectStartsWith(m.callId(), "longreq.onereally");
    EXPECT_EQ(m.cseq().number, 3882340u);

    const Header* unk = m.find(
        "Unknown-LongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLongLong-"
        "Name");
    ASSERT_NE(unk, nullptr);
    EXPECT_EQ(unk->name.size(), 93u);
    EXPECT_EQ(unk->value.size(), 306u);

    // 34 Via values, in 34 header lines with every spelling of the name.
    EXPECT_EQ(m.count(HeaderId::Via), 34u);
    ASSERT_EQ(m.vias().size(), 34u);
    EXPECT_EQ(m.vias()[0].host, "sip33.example.com");
    EXPECT_EQ(m.vias()[11].host, "sip22.example.com");
    EXPECT_EQ(m.vias()[32].host, "sip1.example.com");
    const Via& last = m.vias()[33];
    EXPECT_EQ(last.host, "host.example.com");
    ASSERT_NE(last.param("received"), nullptr);
    EXPECT_EQ(last.param("received")->value, "192.0.2.5");
    EXPECT_EQ(last.branch().size(), 215u);
    EXPECT_FALSE(last.rfc3261Branch());

    ASSERT_EQ(m.contacts().size(), 1u);
    EXPECT_EQ(m.contacts()[0].uri.user.size(), 115u);
    EXPECT_EQ(m.maxForwards(), 70);
    EXPECT_EQ(m.body().size(), 150u);
}

// 3.1.1.8 Extra Trailing Octets in a UDP Datagram: only the first request counts.
TEST(Rfc4475, dblreq) {
    Message m = load("dblreq");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Register);
    EXPECT_EQ(m.callId(), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");  // compact "I"
    EXPECT_EQ(m.cseq().number, 8u);
    EXPECT_EQ(m.cseq().methodId, Method::Register);
    ASSERT_EQ(m.contacts().size(), 1u);
    EXPECT_EQ(m.contacts()[0].uri.host, "host.example.com");
    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].branch(), "z9hG4bKkdjuw23492");
    EXPECT_TRUE(m.hasContentLength());
    EXPECT_TRUE(m.body().empty());
    // None of the trailing INVITE's headers leaked into this message.
    EXPECT_EQ(m.headers().size(), 8u);
    EXPECT_EQ(m.find(HeaderId::ContentType), nullptr);
    EXPECT_EQ(serialize(m).find("INVITE"), std::string::npos);
}

// 3.1.1.9 Semicolon-Separated Parameters in URI User Part.
TEST(Rfc4475, semiuri) {
    Message m = load("semiuri");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.requestUri().user, "user;par=u%40example.net");
    EXPECT_EQ(m.requestUri().userUnescaped(), "user;par=u@example.net");
    EXPECT_EQ(m.requestUri().host, "example.com");
    EXPECT_TRUE(m.requestUri().params.empty());
    const Header* accept = m.find(HeaderId::Accept);
    ASSERT_NE(accept, nullptr);
    EXPECT_EQ(accept->value.find('\r'), std::string_view::npos);
    EXPECT_EQ(accept->value.find('\n'), std::string_view::npos);
    expectStartsWith(accept->value, "application/sdp, application/pkcs7-mime,");
    EXPECT_TRUE(accept->value.ends_with("message/sip, message/sipfrag"));
}

// 3.1.1.10 Varied and Unknown Transport Types.
TEST(Rfc4475, transports) {
    Message m = load("transports");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.callId(), "transports.kijh4akdnaqjkwendsasfdj");
    ASSERT_EQ(m.vias().size(), 5u);
    const char* transports[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    const char* hosts[] = {"t1.example.com", "t2.example.com", "t3.example.com", "t4.example.com",
                           "t5.example.com"};
    for (size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(m.vias()[i].transport, transports[i]) << i;
        EXPECT_EQ(m.vias()[i].host, hosts[i]) << i;
        EXPECT_TRUE(m.vias()[i].rfc3261Branch()) << i;
    }
    EXPECT_EQ(m.vias()[3].branch(), "z9hG4bKasd0f3en");
}

// 3.1.1.11 Multipart MIME Message.
TEST(Rfc4475, mpart01) {
    Message m = load("mpart01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Message);
    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].host, "127.0.0.1");
    EXPECT_EQ(m.vias()[0].port, 5070);
    EXPECT_TRUE(m.vias()[0].hasRport());
    ASSERT_EQ(m.routes().size(), 1u);
    EXPECT_EQ(m.routes()[0].uri.port, 5080);
    EXPECT_EQ(m.callId(), "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
    ASSERT_NE(m.find(HeaderId::Identity), nullptr);

    EXPECT_EQ(m.contentType(), "multipart/mixed");
    const Header* ct = m.find(HeaderId::ContentType);
    ASSERT_NE(ct, nullptr);
    std::string_view boundary = multipartBoundary(ct->value);
    EXPECT_EQ(boundary, "7a9cbec02ceef655");
    ASSERT_EQ(m.body().size(), 553u);

    std::vector<BodyPart> parts;
    ASSERT_TRUE(parseMultipart(m.body(), boundary, parts));
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].contentType, "text/plain");
    EXPECT_EQ(parts[0].body, "Hello");
    EXPECT_EQ(parts[1].contentType, "application/octet-stream");
    EXPECT_EQ(parts[1].body.size(), 342u);
    expectStartsWith(parts[1].body, "\x30\x82\x01\x52"sv);  // DER SEQUENCE of the CMS signature
}

// 3.1.1.12 Unusual Reason Phrase (UTF-8).
TEST(Rfc4475, unreason) {
    Message m = load("unreason");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_TRUE(m.isResponse());
    EXPECT_FALSE(m.isRequest());
    EXPECT_EQ(m.statusCode(), 200);
    EXPECT_EQ(m.reasonPhrase(),
              "= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe "
              "\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe "
              "\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c - "
              "\xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5");
    EXPECT_EQ(m.reasonPhrase().size(), 74u);
    EXPECT_EQ(m.cseq().number, 35u);
    EXPECT_EQ(m.cseq().methodId, Method::Invite);
    EXPECT_EQ(m.to().tag(), "2229");
    EXPECT_EQ(m.body().size(), 154u);
}

// 3.1.1.13 Empty Reason Phrase.
TEST(Rfc4475, noreason) {
    Message m = load("noreason");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_TRUE(m.isResponse());
    EXPECT_EQ(m.statusCode(), 100);
    EXPECT_EQ(m.reasonPhrase(), "");
    EXPECT_EQ(m.to().tag(), "902jndnke3");
    EXPECT_EQ(m.callId(), "noreason.asndj203insdf99223ndf");
}

// ---- 3.1.2 Invalid messages --------------------------------------------------------------------

// 3.1.2.1 Extraneous Header Field Separators: the Via ";;,;,," is the first malformed header.
TEST(Rfc4475, badinv01) {
    Message m = load("badinv01");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::Via);
    EXPECT_EQ(m.errorText(), "bad header value: Via");
    auto r = respond(m, 400);
    ASSERT_TRUE(r.has_value());
    expectStartsWith(*r, "SIP/2.0 400 Bad Request\r\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\r\n");
}

// 3.1.2.2 Content Length Larger Than Message: a datagram must be discarded (or answered 400).
TEST(Rfc4475, clerr) {
    Message m = load("clerr");
    EXPECT_EQ(m.error(), ParseError::BodyTruncated);
    EXPECT_EQ(m.errorHeader(), HeaderId::ContentLength);
    EXPECT_TRUE(m.body().empty());
}

// 3.1.2.3 Negative Content-Length.
TEST(Rfc4475, ncl) {
    Message m = load("ncl");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::ContentLength);
    EXPECT_TRUE(respond(m, 400).has_value());
}

// 3.1.2.4 Request Scalar Fields with Overlarge Values: CSeq (2**65), Max-Forwards (300), Expires
// and a Contact expires. The CSeq comes first and trips first.
TEST(Rfc4475, scalar02) {
    Message m = load("scalar02");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::CSeq);
    auto r = respond(m, 400);
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->find("CSeq: 36893488147419103232 REGISTER\r\n"), std::string::npos);
}

// 3.1.2.5 Response Scalar Fields with Overlarge Values: the response is dropped.
TEST(Rfc4475, scalarlg) {
    Message m = load("scalarlg");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::CSeq);
    EXPECT_EQ(m.statusCode(), 503);
}

// 3.1.2.6 Unterminated Quoted String in Display Name.
TEST(Rfc4475, quotbal) {
    Message m = load("quotbal");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::To);
}

// 3.1.2.7 <> Enclosing Request-URI.
TEST(Rfc4475, ltgtruri) {
    Message m = load("ltgtruri");
    EXPECT_EQ(m.error(), ParseError::BadRequestUri);
    EXPECT_EQ(m.requestUriText(), "<sip:user@example.com>");
    EXPECT_TRUE(respond(m, 400).has_value());
}

// 3.1.2.8 Malformed SIP Request-URI (embedded LWS): "sip:user@example.com; lr" splits the line
// into four elements, which the strict Request-Line grammar refuses.
TEST(Rfc4475, lwsruri) {
    Message m = load("lwsruri");
    EXPECT_EQ(m.error(), ParseError::BadStartLine);
    EXPECT_TRUE(respond(m, 400).has_value());
}

// 3.1.2.9 Multiple SP Separating Request-Line Elements. The RFC allows accepting this message
// too; the SBC takes the strict choice (RFC 3261 §7.1: exactly one SP) and answers 400.
TEST(Rfc4475, lwsstart) {
    Message m = load("lwsstart");
    EXPECT_EQ(m.error(), ParseError::BadStartLine);
    auto r = respond(m, 400);
    ASSERT_TRUE(r.has_value());
    EXPECT_NE(r->find("Call-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\r\n"),
              std::string::npos);
}

// 3.1.2.10 SP Characters at End of Request-Line. Strict choice as for lwsstart.
TEST(Rfc4475, trws) {
    Message m = load("trws");
    EXPECT_EQ(m.error(), ParseError::BadStartLine);
    EXPECT_TRUE(respond(m, 400).has_value());
}

// 3.1.2.11 Escaped Headers in SIP Request-URI (RFC 3261 §19.1.1: not allowed in a Request-URI).
TEST(Rfc4475, escruri) {
    Message m = load("escruri");
    EXPECT_EQ(m.error(), ParseError::BadRequestUri);
    EXPECT_EQ(m.requestUriText(), "sip:user@example.com?Route=%3Csip:example.com%3E");
}

// 3.1.2.12 Invalid Time Zone in Date Header Field: the message is accepted; Date is kept raw.
TEST(Rfc4475, baddate) {
    Message m = load("baddate");
    ASSERT_TRUE(m.ok()) << m.errorText();
    const Header* date = m.find(HeaderId::Date);
    ASSERT_NE(date, nullptr);
    EXPECT_EQ(date->value, "Fri, 01 Jan 2010 16:00:00 EST");
    EXPECT_EQ(m.body().size(), 150u);
}

// 3.1.2.13 Failure to Enclose name-addr URI in <>: an addr-spec Contact with URI headers.
TEST(Rfc4475, regbadct) {
    Message m = load("regbadct");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::Contact);
}

// 3.1.2.14 Spaces within addr-spec.
TEST(Rfc4475, badaspec) {
    Message m = load("badaspec");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::To);
}

// 3.1.2.15 Non-token Characters in Display Name (an unquoted comma).
TEST(Rfc4475, baddn) {
    Message m = load("baddn");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::From);
}

// 3.1.2.16 Unknown Protocol Version: 505, which can be built from the raw headers.
TEST(Rfc4475, badvers) {
    Message m = load("badvers");
    EXPECT_EQ(m.error(), ParseError::UnsupportedVersion);
    EXPECT_EQ(m.version(), "SIP/7.0");
    auto r = respond(m, 505);
    ASSERT_TRUE(r.has_value());
    expectStartsWith(*r,
                     "SIP/2.0 505 Version Not Supported\r\n"
                     "Via: SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw\r\n");
    EXPECT_NE(r->find("To: T. Watson <sip:t.watson@example.org>;tag=sbc1\r\n"), std::string::npos);
}

// 3.1.2.17 Start Line and CSeq Method Mismatch.
TEST(Rfc4475, mismatch01) {
    Message m = load("mismatch01");
    EXPECT_EQ(m.error(), ParseError::CSeqMethodMismatch);
    EXPECT_EQ(m.errorHeader(), HeaderId::CSeq);
    EXPECT_EQ(m.methodText(), "OPTIONS");
}

// 3.1.2.18 Unknown Method with CSeq Method Mismatch (400, not 501).
TEST(Rfc4475, mismatch02) {
    Message m = load("mismatch02");
    EXPECT_EQ(m.error(), ParseError::CSeqMethodMismatch);
    EXPECT_EQ(m.errorHeader(), HeaderId::CSeq);
    EXPECT_EQ(m.methodText(), "NEWMETHOD");
    EXPECT_EQ(m.method(), Method::Unknown);
}

// 3.1.2.19 Overlarge Response Code.
TEST(Rfc4475, bigcode) {
    Message m = load("bigcode");
    EXPECT_EQ(m.error(), ParseError::BadStatusCode);
    EXPECT_EQ(m.statusCode(), 0);
}

// ---- 3.2 Transaction layer
// -----------------------------------------------------------------------

// 3.2.1 Missing Transaction Identifier: a branch that is only the magic cookie. The RFC allows a
// 400 or falling back to RFC 2543 matching; the SBC takes the strict choice (400).
TEST(Rfc4475, badbranch) {
    Message m = load("badbranch");
    EXPECT_EQ(m.error(), ParseError::BadHeaderValue);
    EXPECT_EQ(m.errorHeader(), HeaderId::Via);
    EXPECT_TRUE(respond(m, 400).has_value());
}

// ---- 3.3 Application layer
// -----------------------------------------------------------------------

// 3.3.1 Missing Required Header Fields (From, To, Call-ID, Max-Forwards). From is checked first.
// Without From, To and Call-ID no response can be formed (RFC 3261 §8.2.6.2): the datagram is
// dropped.
TEST(Rfc4475, insuf) {
    Message m = load("insuf");
    EXPECT_EQ(m.error(), ParseError::MissingHeader);
    EXPECT_EQ(m.errorHeader(), HeaderId::From);
    EXPECT_FALSE(respond(m, 400).has_value());
}

// 3.3.2 Request-URI with Unknown Scheme: parses; the core answers 416.
TEST(Rfc4475, unkscm) {
    Message m = load("unkscm");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.requestUri().scheme, Scheme::Other);
    EXPECT_EQ(m.requestUri().schemeText, "nobodyKnowsThisScheme");
    EXPECT_EQ(m.requestUri().opaque, "totallyopaquecontent");
    EXPECT_FALSE(m.requestUri().isSip());
}

// 3.3.3 Request-URI with Known but Atypical Scheme: parses; the core answers 416.
TEST(Rfc4475, novelsc) {
    Message m = load("novelsc");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.requestUri().scheme, Scheme::Other);
    EXPECT_EQ(m.requestUri().schemeText, "soap.beep");
    EXPECT_EQ(m.requestUri().opaque, "//192.0.2.103:3002");
}

// 3.3.4 Unknown URI Schemes in Header Fields: parses.
TEST(Rfc4475, unksm2) {
    Message m = load("unksm2");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.to().uri.scheme, Scheme::Other);
    EXPECT_EQ(m.to().uri.schemeText, "isbn");
    EXPECT_EQ(m.to().uri.opaque, "2983792873");
    EXPECT_EQ(m.from().uri.scheme, Scheme::Other);
    EXPECT_EQ(m.from().uri.schemeText, "http");
    EXPECT_EQ(m.from().uri.opaque, "//www.example.com");
    EXPECT_EQ(m.from().tag(), "3234233");
    ASSERT_EQ(m.contacts().size(), 1u);
    EXPECT_EQ(m.contacts()[0].uri.scheme, Scheme::Other);
    EXPECT_EQ(m.contacts()[0].uri.schemeText, "name");
    EXPECT_EQ(m.contacts()[0].uri.opaque, "John_Smith");
}

// 3.3.5 Proxy-Require and Require: parses; the core answers 420 with Unsupported.
TEST(Rfc4475, bext01) {
    Message m = load("bext01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    const Header* req = m.find(HeaderId::Require);
    ASSERT_NE(req, nullptr);
    EXPECT_EQ(req->value, "nothingSupportsThis, nothingSupportsThisEither");
    const Header* preq = m.find(HeaderId::ProxyRequire);
    ASSERT_NE(preq, nullptr);
    EXPECT_EQ(preq->value, "noProxiesSupportThis, norDoAnyProxiesSupportThis");
    EXPECT_EQ(m.vias()[0].transport, "TLS");
}

// 3.3.6 Unknown Content-Type: parses; the core answers 415.
TEST(Rfc4475, invut) {
    Message m = load("invut");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.contentType(), "application/unknownformat");
    EXPECT_EQ(m.body().size(), 40u);
    expectStartsWith(m.body(), "<audio>\r\n");
}

// 3.3.7 Unknown Authorization Scheme: parses; the credentials stay raw.
TEST(Rfc4475, regaut01) {
    Message m = load("regaut01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.method(), Method::Register);
    const Header* auth = m.find(HeaderId::Authorization);
    ASSERT_NE(auth, nullptr);
    EXPECT_EQ(auth->value, "NoOneKnowsThisScheme opaque-data=here");
    EXPECT_TRUE(m.hasContentLength());  // "Content-Length:0"
}

// 3.3.8 Multiple Values in Single Value Required Fields: CSeq is the first repeated one.
TEST(Rfc4475, multi01) {
    Message m = load("multi01");
    EXPECT_EQ(m.error(), ParseError::DuplicateHeader);
    EXPECT_EQ(m.errorHeader(), HeaderId::CSeq);
}

// 3.3.9 Multiple Content-Length Values.
TEST(Rfc4475, mcl01) {
    Message m = load("mcl01");
    EXPECT_EQ(m.error(), ParseError::DuplicateHeader);
    EXPECT_EQ(m.errorHeader(), HeaderId::ContentLength);
}

// 3.3.10 200 OK Response with Broadcast Via Header Field Value: parses; the core never sends to
// the broadcast address (it forwards responses by the connection or the top Via).
TEST(Rfc4475, bcast) {
    Message m = load("bcast");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_TRUE(m.isResponse());
    EXPECT_EQ(m.statusCode(), 200);
    EXPECT_EQ(m.reasonPhrase(), "OK");
    ASSERT_EQ(m.vias().size(), 2u);
    EXPECT_EQ(m.vias()[0].host, "192.0.2.198");
    EXPECT_EQ(m.vias()[1].host, "255.255.255.255");
    EXPECT_EQ(m.vias()[1].branch(), "z9hG4bK1saber23");
    EXPECT_EQ(m.body().size(), 154u);
}

// 3.3.11 Max-Forwards of Zero: parses; the core answers OPTIONS itself (or 483 when forwarding).
TEST(Rfc4475, zeromf) {
    Message m = load("zeromf");
    ASSERT_TRUE(m.ok()) << m.errorText();
    EXPECT_EQ(m.maxForwards(), 0);
    EXPECT_EQ(m.method(), Method::Options);
}

// 3.3.12 REGISTER with a Contact Header Parameter: addr-spec form, so ";unknownparam" is a
// Contact parameter, not a URI parameter (RFC 3261 §20.10).
TEST(Rfc4475, cparam01) {
    Message m = load("cparam01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    ASSERT_EQ(m.contacts().size(), 1u);
    const NameAddr& c = m.contacts()[0];
    EXPECT_FALSE(c.angleBrackets);
    EXPECT_EQ(c.uri.user, "+19725552222");
    EXPECT_EQ(c.uri.host, "gw1.example.net");
    EXPECT_TRUE(c.uri.params.empty());
    ASSERT_EQ(c.params.size(), 1u);
    EXPECT_EQ(c.params[0].name, "unknownparam");
    EXPECT_FALSE(c.params[0].hasValue);
}

// 3.3.13 REGISTER with a url-parameter: inside <>, the parameter belongs to the URI.
TEST(Rfc4475, cparam02) {
    Message m = load("cparam02");
    ASSERT_TRUE(m.ok()) << m.errorText();
    ASSERT_EQ(m.contacts().size(), 1u);
    const NameAddr& c = m.contacts()[0];
    EXPECT_TRUE(c.angleBrackets);
    EXPECT_TRUE(c.params.empty());
    ASSERT_EQ(c.uri.params.size(), 1u);
    EXPECT_EQ(c.uri.params[0].name, "unknownparam");
    EXPECT_FALSE(c.uri.params[0].hasValue);
}

// 3.3.14 REGISTER with a URL Escaped Header: the Contact URI carries a header (allowed there).
TEST(Rfc4475, regescrt) {
    Message m = load("regescrt");
    ASSERT_TRUE(m.ok()) << m.errorText();
    ASSERT_EQ(m.contacts().size(), 1u);  // compact "M"
    const Uri& u = m.contacts()[0].uri;
    EXPECT_EQ(u.host, "example.com");
    EXPECT_EQ(u.headers, "Route=%3Csip:sip.example.com%3E");
    EXPECT_EQ(Uri::unescape(u.headers), "Route=<sip:sip.example.com>");
    EXPECT_TRUE(u.params.empty());
}

// 3.3.15 Unacceptable Accept Offering: parses; the core answers 406.
TEST(Rfc4475, sdp01) {
    Message m = load("sdp01");
    ASSERT_TRUE(m.ok()) << m.errorText();
    const Header* accept = m.find(HeaderId::Accept);
    ASSERT_NE(accept, nullptr);
    EXPECT_EQ(accept->value, "text/nobodyKnowsThis");
    EXPECT_EQ(m.contentType(), "application/sdp");
    EXPECT_EQ(m.body().size(), 150u);
}

// ---- 3.4 Backward compatibility ----------------------------------------------------------------

// 3.4.1 INVITE with RFC 2543 Syntax: no branch, no Max-Forwards, no Content-Length, no From tag.
TEST(Rfc4475, inv2543) {
    Message m = load("inv2543");
    ASSERT_TRUE(m.ok()) << m.errorText();
    ASSERT_EQ(m.vias().size(), 1u);
    EXPECT_EQ(m.vias()[0].host, "iftgw.example.com");
    EXPECT_EQ(m.vias()[0].branch(), "");
    EXPECT_FALSE(m.vias()[0].rfc3261Branch());
    EXPECT_EQ(m.maxForwards(), -1);
    EXPECT_FALSE(m.hasContentLength());
    EXPECT_EQ(m.body().size(), 105u);  // the rest of the datagram
    EXPECT_EQ(m.from().tag(), "");
    ASSERT_NE(m.from().uri.param("user"), nullptr);
    EXPECT_EQ(m.from().uri.param("user")->value, "phone");
    // addr-spec To: ";user=phone" is a header parameter (RFC 3261 §20.10).
    EXPECT_FALSE(m.to().angleBrackets);
    EXPECT_EQ(m.to().uri.user, "+16505552222");
    ASSERT_NE(m.to().param("user"), nullptr);
    EXPECT_TRUE(m.to().uri.params.empty());
    ASSERT_EQ(m.recordRoutes().size(), 1u);
    ASSERT_NE(m.recordRoutes()[0].uri.param("maddr"), nullptr);
    EXPECT_EQ(m.recordRoutes()[0].uri.param("maddr")->value, "ss1.example.com");
}

// Every vector in INDEX.txt has its test above (49), and none crashes as a stream frame either.
TEST(Rfc4475Index, allVectorsListed) {
    std::ifstream in(std::string(SBC_TESTDATA) + "/rfc4475/INDEX.txt");
    ASSERT_TRUE(in.good());
    std::string line;
    size_t n = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::string file = line.substr(0, line.find(' '));
        ASSERT_TRUE(file.ends_with(".dat")) << line;
        std::string bytes = readVector(file.substr(0, file.size() - 4));
        EXPECT_FALSE(bytes.empty()) << file;
        Message stream = Message::parse(bytes, {}, Framing::Stream);
        (void)stream.ok();
        ++n;
    }
    EXPECT_EQ(n, 49u);
}

}  // namespace
}  // namespace sbc::sip
