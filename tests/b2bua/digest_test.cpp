// Digest authentication towards trunks: the RFC 2617 / RFC 7616 worked examples, challenge
// parsing, the secrets file, and the B2BUA answering a trunk's 401/407.
#include "controlplane/b2bua/digest.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "controlplane/b2bua/secrets.hpp"
#include "tests/b2bua/b2bua_harness.hpp"

namespace sbc::b2bua::test {
namespace {

TEST(Digest, Rfc2617Md5Example) {
    // RFC 2617 §3.5.
    auto c = parseDigestChallenge(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
        "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->qopAuth);
    EXPECT_EQ(c->algorithm, DigestAlgorithm::Md5);
    std::string v =
        digestAuthorization(*c, {"Mufasa", "Circle Of Life"}, "GET", "/dir/index.html", "0a4f113b");
    EXPECT_NE(v.find("response=\"6629fae49393a05397450978507c4ef1\""), std::string::npos) << v;
    EXPECT_NE(v.find("nc=00000001"), std::string::npos);
    EXPECT_NE(v.find("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), std::string::npos);
}

TEST(Digest, Rfc7616Sha256AndMd5Examples) {
    // RFC 7616 §3.9.1.
    std::string common =
        "realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
        "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
        "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    std::string md5 = "Digest " + common + ", algorithm=MD5";
    std::string sha = "Digest " + common + ", algorithm=SHA-256";
    std::string_view both[] = {md5, sha};
    auto chosen = chooseChallenge(both);
    ASSERT_TRUE(chosen.has_value());
    EXPECT_EQ(chosen->algorithm, DigestAlgorithm::Sha256);  // RFC 8760: strongest first
    std::string cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    std::string v = digestAuthorization(*chosen, {"Mufasa", "Circle of Life"}, "GET",
                                        "/dir/index.html", cnonce);
    EXPECT_NE(
        v.find("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
        std::string::npos)
        << v;
    EXPECT_NE(v.find("algorithm=SHA-256"), std::string::npos);
    auto m = parseDigestChallenge(md5);
    ASSERT_TRUE(m.has_value());
    std::string vm =
        digestAuthorization(*m, {"Mufasa", "Circle of Life"}, "GET", "/dir/index.html", cnonce);
    EXPECT_NE(vm.find("response=\"8ca523f5e9506fed4657c9700eebdbec\""), std::string::npos) << vm;
}

TEST(Digest, RejectsWhatItCannotAnswer) {
    EXPECT_FALSE(parseDigestChallenge("Basic realm=\"x\"").has_value());
    EXPECT_FALSE(parseDigestChallenge("Digest nonce=\"n\"").has_value());
    EXPECT_FALSE(parseDigestChallenge("Digest realm=\"r\"").has_value());
    EXPECT_FALSE(
        parseDigestChallenge("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256").has_value());
    EXPECT_FALSE(parseDigestChallenge("Digest realm=\"r, nonce=\"n\"").has_value());
    EXPECT_FALSE(parseDigestChallenge("Digest realm=\"r\",, nonce=\"n\"").has_value());
    EXPECT_FALSE(parseDigestChallenge("").has_value());
    auto c = parseDigestChallenge("digest realm=r,nonce=n,stale=TRUE");
    ASSERT_TRUE(c.has_value());
    EXPECT_TRUE(c->stale);
    EXPECT_FALSE(c->qopAuth);
    // Without qop: RFC 2069 response H(HA1:nonce:HA2).
    std::string v = digestAuthorization(*c, {"u", "p"}, "INVITE", "sip:x@y", "cn");
    std::string expected = digestHash(
        DigestAlgorithm::Md5, digestHash(DigestAlgorithm::Md5, "u:r:p") +
                                  ":n:" + digestHash(DigestAlgorithm::Md5, "INVITE:sip:x@y"));
    EXPECT_NE(v.find("response=\"" + expected + "\""), std::string::npos) << v;
    EXPECT_EQ(v.find("cnonce"), std::string::npos);
}

TEST(Secrets, LoadsCredentialsAndReportsPositionsOnly) {
    std::string path = ::testing::TempDir() + "b2bua_secrets.yaml";
    {
        std::ofstream f(path);
        f << "credentials:\n  pbx-creds: {username: sbc1, password: \"s3cr3t\"}\n";
    }
    std::vector<std::string> errors;
    auto creds = loadSecrets(path, errors);
    ASSERT_TRUE(creds.has_value()) << (errors.empty() ? "" : errors[0]);
    EXPECT_EQ(creds->at("pbx-creds").username, "sbc1");
    EXPECT_EQ(creds->at("pbx-creds").password, "s3cr3t");
    {
        std::ofstream f(path);
        f << "credentials:\n  bad: {username: sbc1, pasword: \"leakme\"}\n";
    }
    errors.clear();
    EXPECT_FALSE(loadSecrets(path, errors).has_value());
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors[0],
              path + ":2:8: error: credentials 'bad' need 'username' and 'password' strings");
    for (const std::string& e : errors) {
        EXPECT_EQ(e.find("leakme"), std::string::npos);
    }
    {
        std::ofstream f(path);
        f << "credentials: [\"unterminated: leakme\n";
    }
    errors.clear();
    EXPECT_FALSE(loadSecrets(path, errors).has_value());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].find("leakme"), std::string::npos);
    std::remove(path.c_str());
}

TEST(DigestCall, ProxyChallengeAnsweredOnce) {
    auto p = std::make_shared<policy::PolicySnapshot>(*defaultPolicy());
    p->trunks[1].credentials = "pbx-creds";
    B2buaConfig config = defaultConfig();
    config.credentials["pbx-creds"] = {"sbc-edge", "pa55"};
    Harness h(p, config);
    h.request(InviteFromA{}.text());
    std::string first = h.last("10.1.1.10", "INVITE ");
    h.response(responseFrom(first, 407, "pbxTag0", {},
                            {"Proxy-Authenticate: Digest realm=\"pbx\", nonce=\"abc\", "
                             "algorithm=SHA-256, qop=\"auth\""}));
    std::string second = h.last("10.1.1.10", "INVITE ");
    ASSERT_NE(second, first);
    sip::Message a = sip::Message::parse(first);
    sip::Message b = sip::Message::parse(second);
    EXPECT_EQ(a.callId(), b.callId());
    EXPECT_EQ(a.from().tag(), b.from().tag());
    EXPECT_EQ(b.cseq().number, a.cseq().number + 1);
    std::string auth = headerOf(second, "Proxy-Authorization");
    ASSERT_FALSE(auth.empty());
    size_t cn = auth.find("cnonce=\"") + 8;
    std::string cnonce = auth.substr(cn, auth.find('"', cn) - cn);
    std::string ha1 = digestHash(DigestAlgorithm::Sha256, "sbc-edge:pbx:pa55");
    std::string ha2 = digestHash(DigestAlgorithm::Sha256, "INVITE:sip:+15550001@10.1.1.10:5060");
    std::string response =
        digestHash(DigestAlgorithm::Sha256, ha1 + ":abc:00000001:" + cnonce + ":auth:" + ha2);
    EXPECT_NE(auth.find("response=\"" + response + "\""), std::string::npos) << auth;
    EXPECT_TRUE(h.last("198.51.100.7", "SIP/2.0 407").empty());
    // Challenged again: the credentials are wrong; A gets 403, not the trunk's challenge.
    h.response(responseFrom(second, 407, "pbxTag0", {},
                            {"Proxy-Authenticate: Digest realm=\"pbx\", nonce=\"def\""}));
    EXPECT_FALSE(h.last("198.51.100.7", "SIP/2.0 403").empty());
    EXPECT_EQ(h.b2bua.stats().authAnswered, 1u);
    for (const std::string& m : h.sentTo("198.51.100.7")) {
        EXPECT_EQ(m.find("pa55"), std::string::npos);
        EXPECT_EQ(m.find("Authenticate"), std::string::npos);
    }
}

}  // namespace
}  // namespace sbc::b2bua::test
