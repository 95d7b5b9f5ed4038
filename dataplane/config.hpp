#pragma once
// The sbc-dataplane configuration file (YAML): EAL arguments, media interfaces (DPDK device,
// addresses, gateway, MTU, VLAN), worker lcores, the control socket, flow capacity and idle
// timeout. Loaded once at start; every mistake is reported as FILE:LINE:COL: error: message.
//
// Threading: plain values, loaded on the main thread before EAL starts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/dataplane_protocol.hpp"

namespace sbc::dataplane {

struct InterfaceAddress {
    dpapi::IpAddress ip;
    std::uint8_t prefixLength = 0;
};

struct InterfaceConfig {
    std::string name;    // e.g. "outside": what flows name in FlowEnd.interface
    std::string device;  // DPDK device: "net_af_packet0,iface=veth1", "net_ring0", "0000:03:00.0"
    std::vector<InterfaceAddress> addresses;  // media addresses (ARP/ND answered, flows' locals)
    dpapi::IpAddress gateway;                 // IPv4 next hop outside the subnets (optional)
    dpapi::IpAddress gateway6;                // IPv6 next hop (optional)
    std::uint16_t mtu = 1500;
    std::uint16_t vlan = 0;  // 0 = untagged; else 802.1Q VLAN id 1..4094
};

struct DataplaneConfig {
    std::string path;
    std::vector<std::string> eal;  // EAL arguments (argv[0] is added)
    std::vector<InterfaceConfig> interfaces;
    unsigned workers = 1;  // polling lcores (each polls one RX queue of every interface)
    // 0 = the threads keep the process's scheduling; 1..99 = each worker lcore raises itself to
    // SCHED_FIFO at this priority once the process is up, and the control thread to one above
    // (EAL's threads stay as they were started; see main.cpp for why not chrt).
    int rtPriority = 0;
    std::string controlSocket = "/run/sbc/dataplane.sock";
    std::uint32_t flowCapacity = 100000;
    std::uint32_t idleTimeoutMs = 60000;
    std::uint32_t mbufs = 16383;
    std::uint16_t rxDescriptors = 1024;
    std::uint16_t txDescriptors = 1024;
    std::uint32_t neighbourCapacity = 4096;  // per interface
    // 0 = busy-poll (production); else a worker whose iteration found nothing sleeps this long
    // (for machines that share cores, such as CI).
    std::uint32_t idleSleepUs = 0;
    // 0 = transmit what an iteration relayed at its end; else hold frames until a burst is full
    // or the oldest has waited this long (fewer, fuller TX bursts: one kernel kick per burst on
    // af_packet / af_xdp; the drain timer of DPDK's l3fwd).
    std::uint32_t txDrainUs = 0;
};

struct ConfigError {
    std::string text;  // FILE:LINE:COL: error: message
};

std::optional<DataplaneConfig> loadConfig(const std::string& path,
                                          std::vector<ConfigError>& errors);

}  // namespace sbc::dataplane
