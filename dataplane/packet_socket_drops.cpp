#include "dataplane/packet_socket_drops.hpp"

#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>

namespace sbc::dataplane {

void PacketSocketDrops::attach(int ifindex) {
    fds_.clear();
    if (ifindex <= 0) {
        return;
    }
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) {
        return;
    }
    const int own = dirfd(dir);
    while (const dirent* e = readdir(dir)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == own) {
            continue;
        }
        int domain = 0;
        socklen_t len = sizeof domain;
        if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
            domain != AF_PACKET) {
            continue;
        }
        sockaddr_ll sll{};
        len = sizeof sll;
        if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&sll), &len) == 0 &&
            sll.sll_ifindex == ifindex) {
            fds_.push_back(static_cast<int>(fd));
        }
    }
    closedir(dir);
    read();  // start from zero: what the kernel counted before the port was ours is not ours
    total_ = 0;
}

std::uint64_t PacketSocketDrops::read() {
    for (int fd : fds_) {
        tpacket_stats st{};
        socklen_t len = sizeof st;
        if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
            total_ += st.tp_drops;
        }
    }
    return total_;
}

int afPacketIfindex(const std::string& device) {
    if (device.rfind("net_af_packet", 0) != 0) {
        return 0;
    }
    for (std::size_t at = device.find(','); at != std::string::npos;
         at = device.find(',', at + 1)) {
        if (device.compare(at + 1, 6, "iface=") == 0) {
            std::size_t start = at + 7;
            std::string name = device.substr(start, device.find(',', start) - start);
            return static_cast<int>(if_nametoindex(name.c_str()));
        }
    }
    return 0;
}

}  // namespace sbc::dataplane
