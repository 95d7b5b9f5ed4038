// What sbc answers to requests outside any dialog (RFC 3261 §8.2), and to malformed ones.
#include "controlplane/core/uas_rules.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace sbc::core {
namespace {

std::string request(const std::string& method, const std::string& extra = "",
                    const std::string& uri = "sip:ping@192.0.2.1", const std::string& body = "") {
    std::string m = method + " " + uri +
                    " SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKabc\r\n"
                    "From: <sip:a@192.0.2.9>;tag=1\r\n"
                    "To: <sip:b@192.0.2.1>\r\n"
                    "Call-ID: c1@192.0.2.9\r\n"
                    "CSeq: 1 " +
                    method +
                    "\r\n"
                    "Max-Forwards: 70\r\n" +
                    extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return m;
}

int codeFor(const std::string& text) {
    auto m = sip::Message::parse(text);
    if (!m.ok()) {
        return replyToMalformed(m).code;
    }
    auto r = answerOutOfDialog(m);
    return r ? r->code : 0;
}

std::string header(const Reply& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
        if (n == name) {
            return v;
        }
    }
    return "<absent>";
}

TEST(UasRules, OptionsIsAnsweredWithCapabilities) {
    auto m = sip::Message::parse(request("OPTIONS"));
    ASSERT_TRUE(m.ok());
    auto r = answerOutOfDialog(m);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 200);
    EXPECT_EQ(header(*r, "Allow"), "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, PRACK, INFO");
    EXPECT_EQ(header(*r, "Accept"), "application/sdp");
}

TEST(UasRules, OptionsWithMaxForwardsZeroIsStillAnswered) {
    std::string t = request("OPTIONS");
    t.replace(t.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    EXPECT_EQ(codeFor(t), 200);
}

TEST(UasRules, InviteWithMaxForwardsZeroIs483) {
    std::string t = request("INVITE");
    t.replace(t.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
    EXPECT_EQ(codeFor(t), 483);
}

TEST(UasRules, AckIsNeverAnswered) {
    auto m = sip::Message::parse(request("ACK"));
    ASSERT_TRUE(m.ok());
    EXPECT_FALSE(answerOutOfDialog(m).has_value());
}

TEST(UasRules, MethodInspection) {
    EXPECT_EQ(codeFor(request("REGISTER")), 405);
    EXPECT_EQ(codeFor(request("SUBSCRIBE")), 405);
    EXPECT_EQ(codeFor(request("MESSAGE")), 405);
    EXPECT_EQ(codeFor(request("FOO")), 501);
    auto m = sip::Message::parse(request("PUBLISH"));
    auto r = answerOutOfDialog(m);
    ASSERT_TRUE(r);
    EXPECT_EQ(header(*r, "Allow"), std::string(kAllow));
}

TEST(UasRules, DialogRequestsWithoutADialogAre481) {
    EXPECT_EQ(codeFor(request("BYE")), 481);
    EXPECT_EQ(codeFor(request("CANCEL")), 481);
    EXPECT_EQ(codeFor(request("UPDATE")), 481);
    EXPECT_EQ(codeFor(request("INFO")), 481);
    EXPECT_EQ(codeFor(request("PRACK")), 481);
    std::string reinvite = request("INVITE");
    reinvite.replace(reinvite.find("To: <sip:b@192.0.2.1>"), 21, "To: <sip:b@192.0.2.1>;tag=x");
    EXPECT_EQ(codeFor(reinvite), 481);
}

TEST(UasRules, UnknownUriSchemeIs416) {
    EXPECT_EQ(codeFor(request("OPTIONS", "", "mailto:a@example.com")), 416);
    EXPECT_EQ(codeFor(request("OPTIONS", "", "tel:+15551234567")), 200);
}

TEST(UasRules, RequireListsEveryUnsupportedTag) {
    auto m = sip::Message::parse(request("INVITE", "Require: 100rel, foo\r\nRequire: bar\r\n"));
    ASSERT_TRUE(m.ok());
    auto r = answerOutOfDialog(m);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 420);
    EXPECT_EQ(header(*r, "Unsupported"), "100rel, foo, bar");
}

TEST(UasRules, UnknownBodyTypeIs415WithAccept) {
    auto m = sip::Message::parse(
        request("INVITE", "Content-Type: text/x-foo\r\n", "sip:a@b.example", "hello"));
    ASSERT_TRUE(m.ok());
    auto r = answerOutOfDialog(m);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 415);
    EXPECT_EQ(header(*r, "Accept"), "application/sdp");
}

TEST(UasRules, AcceptWithoutSdpIs406) {
    EXPECT_EQ(codeFor(request("INVITE", "Accept: text/plain\r\n")), 406);
    EXPECT_EQ(codeFor(request("INVITE", "Accept: application/sdp;level=1, text/plain\r\n")), 404);
    EXPECT_EQ(codeFor(request("INVITE", "Accept: */*\r\n")), 404);
}

TEST(UasRules, InviteWithoutRouteIs404) {
    EXPECT_EQ(codeFor(request("INVITE")), 404);
}

TEST(UasRules, MalformedRequests) {
    EXPECT_EQ(
        codeFor("OPTIONS sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\r\n"),
        505);
    auto m = sip::Message::parse(request("OPTIONS", "CSeq: 2 OPTIONS\r\n"));
    ASSERT_FALSE(m.ok());
    Reply r = replyToMalformed(m);
    EXPECT_EQ(r.code, 400);
    EXPECT_EQ(r.reason, "Bad Request (duplicate header: CSeq)");
    sip::ParseLimits small;
    small.maxMessageBytes = 200;
    auto big = sip::Message::parse(
        request("OPTIONS", std::string("X-Pad: ") + std::string(300, 'a') + "\r\n"), small);
    EXPECT_EQ(replyToMalformed(big).code, 513);
}

// Every RFC 4475 request: the code the SIP core answers with (the e2e test checks the same over
// UDP against a running sbc).
std::string readVector(const std::string& name) {
    std::ifstream in(std::string(SBC_TESTDATA) + "/rfc4475/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(UasRules, Rfc4475Requests) {
    const std::pair<const char*, int> cases[] = {
        {"wsinv.dat", 481},      {"intmeth.dat", 501},   {"esc01.dat", 404},
        {"escnull.dat", 405},    {"esc02.dat", 501},     {"lwsdisp.dat", 200},
        {"longreq.dat", 404},    {"dblreq.dat", 405},    {"semiuri.dat", 200},
        {"transports.dat", 200}, {"mpart01.dat", 405},   {"badinv01.dat", 400},
        {"clerr.dat", 400},      {"ncl.dat", 400},       {"scalar02.dat", 400},
        {"quotbal.dat", 400},    {"ltgtruri.dat", 400},  {"lwsruri.dat", 400},
        {"lwsstart.dat", 400},   {"trws.dat", 400},      {"escruri.dat", 400},
        {"baddate.dat", 404},    {"regbadct.dat", 400},  {"badaspec.dat", 400},
        {"baddn.dat", 400},      {"badvers.dat", 505},   {"mismatch01.dat", 400},
        {"mismatch02.dat", 400}, {"badbranch.dat", 400}, {"insuf.dat", 400},
        {"unkscm.dat", 416},     {"novelsc.dat", 416},   {"unksm2.dat", 405},
        {"bext01.dat", 420},     {"invut.dat", 415},     {"regaut01.dat", 405},
        {"multi01.dat", 400},    {"mcl01.dat", 400},     {"zeromf.dat", 200},
        {"cparam01.dat", 405},   {"cparam02.dat", 405},  {"regescrt.dat", 405},
        {"sdp01.dat", 406},      {"inv2543.dat", 404},
    };
    for (const auto& [name, code] : cases) {
        std::string text = readVector(name);
        ASSERT_FALSE(text.empty()) << name;
        EXPECT_EQ(codeFor(text), code) << name;
    }
}

}  // namespace
}  // namespace sbc::core
