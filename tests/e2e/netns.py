"""Network namespaces for end-to-end tests and the demo (DESIGN.md, "Test topology").

    {p}out (carrier)              {p}sbc (sbc + sbc-dataplane)               {p}in (core)
    o-peer 192.0.2.2/24 <-veth-> o-sbc 192.0.2.1/24  (SIP, kernel)
                                       192.0.2.10     (media, sbc-dataplane via net_af_packet)
                                 i-sbc 10.10.0.1/24  (SIP, kernel)  <-veth-> i-peer 10.10.0.2/24
                                       10.10.0.10     (media, sbc-dataplane via net_af_packet)

The data plane shares each sbc-side veth with the kernel: af_packet sees every frame, answers ARP
for the media address and relays RTP; the kernel owns the signalling address. Transmit checksum
offload is turned off on the peer ends, so that frames carry real UDP checksums when the data
plane reads them (veth otherwise leaves them to "the hardware").
"""
import os
import subprocess

OUT_PEER, OUT_SBC, OUT_MEDIA = "192.0.2.2", "192.0.2.1", "192.0.2.10"
IN_PEER, IN_SBC, IN_MEDIA = "10.10.0.2", "10.10.0.1", "10.10.0.10"
# The carrier link's IPv6 addresses (Topology.add_outside_ipv6), in the compressed form that
# pcap_util and sbc's SDP use.
OUT6_PEER, OUT6_SBC, OUT6_MEDIA = "2001:db8:1::2", "2001:db8:1::1", "2001:db8:1::10"


def sh(*args, check=True, **kw):
    return subprocess.run(list(args), check=check, **kw)


class Topology:
    def __init__(self, prefix):
        self.prefix = prefix
        self.out = prefix + "out"
        self.inside = prefix + "in"
        self.sbc = prefix + "sbc"

    def __enter__(self):
        self.delete()
        for ns in (self.out, self.inside, self.sbc):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for side, peer_ns, peer_ip, sbc_ip in (("o", self.out, OUT_PEER, OUT_SBC),
                                               ("i", self.inside, IN_PEER, IN_SBC)):
            sh("ip", "-n", self.sbc, "link", "add", f"{side}-sbc", "type", "veth",
               "peer", "name", f"{side}-peer", "netns", peer_ns)
            sh("ip", "-n", self.sbc, "addr", "add", f"{sbc_ip}/24", "dev", f"{side}-sbc")
            sh("ip", "-n", peer_ns, "addr", "add", f"{peer_ip}/24", "dev", f"{side}-peer")
            sh("ip", "-n", self.sbc, "link", "set", f"{side}-sbc", "up")
            sh("ip", "-n", peer_ns, "link", "set", f"{side}-peer", "up")
            for ns, dev in ((peer_ns, f"{side}-peer"), (self.sbc, f"{side}-sbc")):
                sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off",
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def add_outside_ipv6(self):
        """IPv6 on the carrier link too: OUT6_PEER on o-peer, OUT6_SBC (kernel, SIP) on o-sbc;
        OUT6_MEDIA is sbc-dataplane's (it answers neighbour solicitations for it)."""
        for ns, dev, ip in ((self.out, "o-peer", OUT6_PEER), (self.sbc, "o-sbc", OUT6_SBC)):
            sh("ip", "-n", ns, "-6", "addr", "add", f"{ip}/64", "dev", dev, "nodad")

    def __exit__(self, *exc):
        self.delete()

    def delete(self):
        for ns in (self.out, self.inside, self.sbc):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)

    @staticmethod
    def cmd(ns, *args):
        """The argv that runs args inside namespace ns."""
        return ["ip", "netns", "exec", ns, *args]

    def popen(self, ns, *args, **kw):
        return subprocess.Popen(self.cmd(ns, *args), **kw)

    def run(self, ns, *args, **kw):
        return subprocess.run(self.cmd(ns, *args), **kw)


def have_root():
    return os.geteuid() == 0
