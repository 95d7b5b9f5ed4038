// The configuration loader: a valid file, and the exact FILE:LINE:COL message for mistakes.
#include "sbc/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace sbc {
namespace {

class ConfigTest : public ::testing::Test {
  protected:
    std::string write(const std::string& text) {
        path_ = (std::filesystem::temp_directory_path() /
                 ("sbc-config-test-" + std::to_string(::getpid()) + ".yaml"))
                    .string();
        std::ofstream(path_) << text;
        return path_;
    }
    void TearDown() override { std::remove(path_.c_str()); }

    std::vector<std::string> errorsOf(const std::string& text) {
        std::vector<ConfigError> errors;
        auto cfg = loadConfig(write(text), errors);
        EXPECT_FALSE(cfg.has_value());
        std::vector<std::string> out;
        for (auto& e : errors) {
            out.push_back(e.message.substr(path_.size()));
        }
        return out;
    }
    std::string path_;
};

TEST_F(ConfigTest, LoadsAValidFile) {
    std::vector<ConfigError> errors;
    auto cfg = loadConfig(
        write("listeners:\n"
              "  - {name: a, side: outside, transport: udp, address: 127.0.0.1, port: 5060}\n"
              "  - name: b\n"
              "    side: inside\n"
              "    transport: tls\n"
              "    address: '::1'\n"
              "    port: 5061\n"
              "    tls: {certificate: /c.pem, private_key: /k.pem}\n"
              "sip: {max_message_bytes: 8192, max_headers: 50}\n"
              "timers: {t1_ms: 250}\n"
              "admin: {socket: /tmp/x.sock}\n"),
        errors);
    ASSERT_TRUE(cfg.has_value());
    EXPECT_TRUE(errors.empty());
    ASSERT_EQ(cfg->listeners.size(), 2u);
    EXPECT_EQ(cfg->listeners[1].transport, "tls");
    EXPECT_EQ(cfg->listeners[1].address, "::1");
    EXPECT_EQ(cfg->listeners[1].tls->certificate, "/c.pem");
    EXPECT_EQ(cfg->sip.maxMessageBytes, 8192u);
    EXPECT_EQ(cfg->sip.maxHeaders, 50u);
    EXPECT_EQ(cfg->timers.t1.count(), 250);
    EXPECT_EQ(cfg->adminSocket, "/tmp/x.sock");
}

TEST_F(ConfigTest, ReportsEachMistakeWithItsPosition) {
    EXPECT_EQ(
        errorsOf("listeners:\n  - {name: a, transport: sctp, address: 127.0.0.1, port: 5060}\n"),
        std::vector<std::string>{":2:26: error: transport must be udp, tcp or tls"});
    EXPECT_EQ(
        errorsOf("listeners:\n  - {name: a, transport: udp, address: 300.1.1.1, port: 5060}\n"),
        std::vector<std::string>{":2:40: error: address must be an IPv4 or IPv6 literal"});
    EXPECT_EQ(
        errorsOf("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 70000}\n"),
        std::vector<std::string>{":2:57: error: port must be between 0 and 65535"});
    EXPECT_EQ(
        errorsOf(
            "listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\nbogus: 1\n"),
        std::vector<std::string>{":3:1: error: unknown key 'bogus' in configuration"});
    EXPECT_EQ(errorsOf("listeners: []\n"),
              std::vector<std::string>{":1:12: error: 'listeners' must be a non-empty list"});
    EXPECT_EQ(
        errorsOf("listeners:\n  - {name: a, transport: tls, address: 127.0.0.1, port: 1}\n"),
        std::vector<std::string>{
            ":2:5: error: a tls listener needs a 'tls' mapping with certificate and private_key"});
    EXPECT_EQ(errorsOf("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n"
                       "  - {name: a, transport: udp, address: 127.0.0.1, port: 2}\n"),
              std::vector<std::string>{":3:12: error: duplicate listener name 'a'"});
    EXPECT_EQ(errorsOf("listeners: [\n"),
              std::vector<std::string>{":2:1: error: end of sequence flow not found"});
    EXPECT_EQ(errorsOf("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n"
                       "timers: {t1_ms: 900, t2_ms: 100}\n"),
              std::vector<std::string>{":3:9: error: t2_ms must not be smaller than t1_ms"});
}

TEST_F(ConfigTest, MetricsListenIsAnAddressAndPort) {
    EXPECT_EQ(errorsOf("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n"
                       "metrics: {listen: 'localhost:9'}\n"),
              std::vector<std::string>{
                  ":3:19: error: listen must be ADDRESS:PORT, e.g. 127.0.0.1:9360 or [::1]:9360"});
    std::vector<ConfigError> errors;
    auto cfg =
        loadConfig(write("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n"
                         "metrics: {listen: '[::1]:9360'}\n"),
                   errors);
    ASSERT_TRUE(cfg.has_value());
    EXPECT_EQ(cfg->metricsListen, "[::1]:9360");
}

TEST_F(ConfigTest, MediaSides) {
    const std::string l =
        "listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n";
    std::vector<ConfigError> errors;
    auto cfg = loadConfig(write(l + "media:\n"
                                    "  dataplane_socket: /run/sbc/dp.sock\n"
                                    "  sides:\n"
                                    "    outside: {address: 203.0.113.10, ports: [30000, 30999]}\n"
                                    "    inside: {address: '2001:db8::10'}\n"),
                          errors);
    ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors[0].message);
    EXPECT_EQ(cfg->media.dataplaneSocket, "/run/sbc/dp.sock");
    ASSERT_EQ(cfg->media.sides.size(), 2u);
    EXPECT_EQ(cfg->media.sides[0].name, "outside");
    EXPECT_EQ(cfg->media.sides[0].firstPort, 30000);
    EXPECT_EQ(cfg->media.sides[0].lastPort, 30999);
    EXPECT_EQ(cfg->media.sides[1].address, "2001:db8::10");
    EXPECT_EQ(cfg->media.sides[1].firstPort, 20000);

    EXPECT_EQ(errorsOf(l + "media: {sides: {outside: {address: 1.2.3.4}}}\n"),
              std::vector<std::string>{":3:8: error: media needs 'dataplane_socket'"});
    EXPECT_EQ(errorsOf(l + "media: {dataplane_socket: /s, sides: {middle: {address: 1.2.3.4}}}\n"),
              std::vector<std::string>{":3:39: error: media side must be 'outside' or 'inside'"});
    EXPECT_EQ(errorsOf(l + "media: {dataplane_socket: /s, sides: {inside: {address: x}}}\n"),
              std::vector<std::string>{
                  ":3:57: error: media side needs 'address', an IPv4 or IPv6 literal"});
    EXPECT_EQ(
        errorsOf(l + "media: {dataplane_socket: /s, sides: {inside: {address: 1.2.3.4, "
                     "ports: [2000, 2001]}}}\n"),
        std::vector<std::string>{":3:73: error: ports must hold at least two RTP/RTCP pairs"});
}

// --- policy key (controlplane/policy) ---
TEST_F(ConfigTest, PolicyFilesResolveAgainstTheConfigDirectory) {
    std::vector<ConfigError> errors;
    auto cfg = loadConfig(write("listeners:\n"
                                "  - {name: a, transport: udp, address: 127.0.0.1, port: 5060}\n"
                                "policy: [trunks.yaml, /etc/sbc/acl.yaml]\n"),
                          errors);
    ASSERT_TRUE(cfg.has_value());
    auto dir = std::filesystem::path(path_).parent_path();
    EXPECT_EQ(cfg->policyFiles,
              (std::vector<std::string>{(dir / "trunks.yaml").string(), "/etc/sbc/acl.yaml"}));
    EXPECT_EQ(
        errorsOf("listeners:\n"
                 "  - {name: a, transport: udp, address: 127.0.0.1, port: 5060}\n"
                 "policy: trunks.yaml\n"),
        std::vector<std::string>{":3:9: error: 'policy' must be a non-empty list of policy files"});
}

TEST_F(ConfigTest, B2buaAndPolicySections) {
    std::string l = "listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 1}\n";
    std::vector<ConfigError> errors;
    auto cfg = loadConfig(
        write(l +
              "b2bua: {cdr_file: /var/log/cdr.jsonl, secrets_file: /s.yaml, "
              "state_dir: /var/lib/sbc/calls, timer_c_seconds: 200, max_call_duration_seconds: 0, "
              "max_calls: 5000}\npolicy: {files: [/a.yaml, /b.yaml]}\n"),
        errors);
    ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors[0].message);
    EXPECT_TRUE(cfg->b2bua.enabled);
    EXPECT_EQ(cfg->b2bua.cdrFile, "/var/log/cdr.jsonl");
    EXPECT_EQ(cfg->b2bua.secretsFile, "/s.yaml");
    EXPECT_EQ(cfg->b2bua.stateDir, "/var/lib/sbc/calls");
    EXPECT_EQ(cfg->b2bua.timerC, std::chrono::seconds(200));
    EXPECT_EQ(cfg->b2bua.maxCallDuration, std::chrono::seconds(0));
    EXPECT_EQ(cfg->b2bua.maxCalls, 5000u);
    EXPECT_EQ(cfg->policyFiles, (std::vector<std::string>{"/a.yaml", "/b.yaml"}));
    auto plain = loadConfig(write(l), errors);
    ASSERT_TRUE(plain.has_value());
    EXPECT_FALSE(plain->b2bua.enabled);
    EXPECT_TRUE(plain->b2bua.stateDir.empty());  // no persistence unless configured

    EXPECT_EQ(
        errorsOf(l + "b2bua: {timer_c_seconds: 0}\n"),
        (std::vector<std::string>{":3:26: error: timer_c_seconds must be between 1 and 3600"}));
    EXPECT_EQ(errorsOf(l + "b2bua: {state_dir: ''}\n"),
              (std::vector<std::string>{
                  ":3:20: error: state_dir must be a directory path (omit it for none)"}));
    EXPECT_EQ(errorsOf(l + "b2bua: {cdr: x}\n"),
              (std::vector<std::string>{":3:9: error: unknown key 'cdr' in b2bua"}));
    EXPECT_EQ(errorsOf(l + "policy: {files: []}\n"),
              (std::vector<std::string>{
                  ":3:17: error: policy needs 'files', a non-empty list of paths"}));
}

TEST_F(ConfigTest, MissingFile) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(loadConfig("/nonexistent/sbc.yaml", errors).has_value());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "/nonexistent/sbc.yaml: error: cannot read file");
}

}  // namespace
}  // namespace sbc
