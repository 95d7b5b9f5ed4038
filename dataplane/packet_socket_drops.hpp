#pragma once
// Frames the kernel dropped in front of a net_af_packet port.
//
// net_af_packet receives through a PACKET_RX_RING that the kernel fills; when the lcore does not
// drain it in time (it was not scheduled, or the ring is too small for the burst) the kernel drops
// the frame and counts it in the socket's PACKET_STATISTICS. DPDK 22.11's PMD never reads that
// count, so its imissed stays 0 and the loss would be invisible. The PMD's sockets are
// descriptors of this process: find them by address family and bound interface, and read the
// count (the kernel resets it on each read; this class accumulates).
//
// Threading: the control thread only (Dataplane::stats()).
#include <cstdint>
#include <string>
#include <vector>

namespace sbc::dataplane {

class PacketSocketDrops {
  public:
    // The AF_PACKET sockets of this process bound to interface `ifindex`; none found leaves
    // the count at 0 (the port is not af_packet, or /proc is not mounted).
    void attach(int ifindex);
    std::size_t sockets() const noexcept { return fds_.size(); }

    // Frames dropped by the kernel on these sockets since attach().
    std::uint64_t read();

  private:
    std::vector<int> fds_;
    std::uint64_t total_ = 0;
};

// The interface index of a net_af_packet device string ("net_af_packet0,iface=eth1,..."); 0 when
// the string names no iface or the interface does not exist.
int afPacketIfindex(const std::string& device);

}  // namespace sbc::dataplane
