// The sbc-dataplane YAML config: a full valid file, and one test per rejection with the exact
// FILE:LINE:COL: error: message.
#include "dataplane/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace sbc::dataplane {
namespace {

class DataplaneConfigTest : public ::testing::Test {
  protected:
    std::string write(const std::string& text) {
        path_ = "/tmp/sbc-dp-config-test-" + std::to_string(::getpid()) + ".yaml";
        std::ofstream(path_) << text;
        return path_;
    }
    void TearDown() override { ::unlink(path_.c_str()); }

    std::vector<std::string> errorsOf(const std::string& text) {
        std::vector<ConfigError> errors;
        auto cfg = loadConfig(write(text), errors);
        EXPECT_FALSE(cfg.has_value());
        std::vector<std::string> out;
        for (const auto& e : errors) {
            out.push_back(e.text.substr(path_.size()));
        }
        return out;
    }

    std::string path_;
};

TEST_F(DataplaneConfigTest, FullConfig) {
    std::vector<ConfigError> errors;
    auto cfg = loadConfig(write(R"(eal: ["-l", "0", "--no-huge"]
workers: 2
rt_priority: 20
control:
  socket: /run/sbc/dp.sock
flows:
  capacity: 5000
  idle_timeout_ms: 30000
ports:
  mbufs: 4095
  rx_descriptors: 512
  tx_descriptors: 256
  neighbours: 128
  idle_sleep_us: 10
  tx_drain_us: 100
interfaces:
  - name: outside
    device: net_af_packet0,iface=eth1
    addresses: [203.0.113.20/24, 2001:db8::20/64]
    gateway: 203.0.113.1
    gateway6: 2001:db8::1
    mtu: 9000
    vlan: 100
  - name: inside
    device: net_ring0
    addresses: [10.0.0.1/8]
)"),
                          errors);
    ASSERT_TRUE(cfg.has_value()) << (errors.empty() ? "" : errors[0].text);
    EXPECT_EQ(cfg->eal, (std::vector<std::string>{"-l", "0", "--no-huge"}));
    EXPECT_EQ(cfg->workers, 2u);
    EXPECT_EQ(cfg->rtPriority, 20);
    EXPECT_EQ(cfg->controlSocket, "/run/sbc/dp.sock");
    EXPECT_EQ(cfg->flowCapacity, 5000u);
    EXPECT_EQ(cfg->idleTimeoutMs, 30000u);
    EXPECT_EQ(cfg->mbufs, 4095u);
    EXPECT_EQ(cfg->rxDescriptors, 512);
    EXPECT_EQ(cfg->txDescriptors, 256);
    EXPECT_EQ(cfg->neighbourCapacity, 128u);
    EXPECT_EQ(cfg->idleSleepUs, 10u);
    EXPECT_EQ(cfg->txDrainUs, 100u);
    ASSERT_EQ(cfg->interfaces.size(), 2u);
    const auto& o = cfg->interfaces[0];
    EXPECT_EQ(o.name, "outside");
    EXPECT_EQ(o.device, "net_af_packet0,iface=eth1");
    ASSERT_EQ(o.addresses.size(), 2u);
    EXPECT_EQ(o.addresses[0].ip.toString(), "203.0.113.20");
    EXPECT_EQ(o.addresses[0].prefixLength, 24);
    EXPECT_EQ(o.addresses[1].ip.toString(), "2001:db8::20");
    EXPECT_EQ(o.addresses[1].prefixLength, 64);
    EXPECT_EQ(o.gateway.toString(), "203.0.113.1");
    EXPECT_EQ(o.gateway6.toString(), "2001:db8::1");
    EXPECT_EQ(o.mtu, 9000);
    EXPECT_EQ(o.vlan, 100);
    EXPECT_EQ(cfg->interfaces[1].addresses[0].prefixLength, 8);
}

TEST_F(DataplaneConfigTest, Rejections) {
    EXPECT_EQ(errorsOf("interfaces: []\n"),
              (std::vector<std::string>{":1:13: error: 'interfaces' must be a list of 1..16 "
                                        "interfaces"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - name: a\n    device: d\n    addresses: [1.2.3.4]\n"),
              (std::vector<std::string>{":4:17: error: address must be ADDRESS/PREFIX, e.g. "
                                        "192.0.2.1/24 or 2001:db8::1/64"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - name: a\n    device: d\n    addresses: [1.2.3.4/33]\n"),
              (std::vector<std::string>{":4:17: error: prefix length must be 0..32"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - {name: a, device: d, addresses: [1.2.3.4/24]}\n"
                       "  - {name: a, device: e, addresses: [1.2.3.5/24]}\n"),
              (std::vector<std::string>{":3:12: error: duplicate interface name 'a'"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - {name: a, addresses: [1.2.3.4/24]}\n"),
              (std::vector<std::string>{":2:5: error: interface needs 'device'"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - {name: a/b, device: d, addresses: [1.2.3.4/24]}\n"),
              (std::vector<std::string>{
                  ":2:12: error: name must be 1..31 characters of [A-Za-z0-9_.-]"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - {name: a, device: d, addresses: [1.2.3.4/24], "
                       "gateway: 2001:db8::1}\n"),
              (std::vector<std::string>{":2:60: error: gateway must be an IPv4 literal"}));
    EXPECT_EQ(errorsOf("interfaces:\n  - {name: a, device: d, addresses: [1.2.3.4/24], "
                       "mtu: 100}\n"),
              (std::vector<std::string>{":2:56: error: mtu must be between 576 and 9000"}));
    EXPECT_EQ(errorsOf("workers: 0\ninterfaces:\n  - {name: a, device: d, addresses: "
                       "[1.2.3.4/24]}\n"),
              (std::vector<std::string>{":1:10: error: workers must be between 1 and 64"}));
    EXPECT_EQ(errorsOf("rt_priority: 100\ninterfaces:\n  - {name: a, device: d, "
                       "addresses: [1.2.3.4/24]}\n"),
              (std::vector<std::string>{":1:14: error: rt_priority must be between 0 and 99"}));
    EXPECT_EQ(errorsOf("colour: red\ninterfaces:\n  - {name: a, device: d, addresses: "
                       "[1.2.3.4/24]}\n"),
              (std::vector<std::string>{":1:1: error: unknown key 'colour' in configuration"}));
    EXPECT_EQ(errorsOf("flows: {capacity: lots}\ninterfaces:\n  - {name: a, device: d, "
                       "addresses: [1.2.3.4/24]}\n"),
              (std::vector<std::string>{":1:19: error: capacity must be an integer"}));
}

TEST_F(DataplaneConfigTest, MissingFile) {
    std::vector<ConfigError> errors;
    EXPECT_FALSE(loadConfig("/nonexistent/dp.yaml", errors).has_value());
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].text, "/nonexistent/dp.yaml: error: cannot read file");
}

}  // namespace
}  // namespace sbc::dataplane
