#!/usr/bin/env python3
"""sbc-dataplane on each DPDK virtual device it is documented to work with (DESIGN.md: "any DPDK
port ... net_af_packet, net_tap, net_memif, net_ring or net_null"; net_af_xdp too). af_packet
has its own test (dataplane_e2e.py); this one covers the others.

Without root: net_ring, net_null and a memif server/client pair come up (control socket answers
Hello, Stats lists the port's counters); net_null's endless stream of garbage frames is counted
as drops while the control channel keeps answering; SIGTERM exits 0.
With root, in namespaces mb-vd-* made here and deleted on exit, devices that can carry traffic
from the test relay a flow both ways with the right addresses and ports:
  net_tap     the kernel side of each tap gets an address; ping answered; UDP relayed tap -> tap.
  net_memif   two data planes chained over memif (A: tap + memif server, B: memif client + tap):
              kernel -> tap -> A -> memif -> B -> tap -> kernel and back (ARP over memif too).
  net_af_xdp  on veths whose peers sit in two namespaces, as dataplane_e2e does for af_packet.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import dpproto  # noqa: E402
from dataplane_e2e import ns_socket, receive, rtp, send_until_received, sh  # noqa: E402
from e2e_util import check, finish  # noqa: E402

TAG = str(os.getpid() % 100000)


class DataPlane:
    """One sbc-dataplane process with its own config, socket and EAL file prefix."""

    count = 0

    def __init__(self, binary, tmp, interfaces, ns=None, mbufs=4095):
        DataPlane.count += 1
        self.name = f"dp{DataPlane.count}"
        self.sock = os.path.join(tmp, self.name + ".sock")
        self.cfg = os.path.join(tmp, self.name + ".yaml")
        ifs = "".join(f"""  - name: {n}
    device: "{dev}"
    addresses: [{addr}]
""" for n, dev, addr in interfaces)
        with open(self.cfg, "w") as f:
            f.write(f"""eal: ["-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
      "--no-telemetry", "--log-level=error", "--file-prefix", "mbvd{TAG}{self.name}"]
workers: 1
control:
  socket: {self.sock}
flows:
  capacity: 64
ports:
  mbufs: {mbufs}
  rx_descriptors: 512
  tx_descriptors: 512
  idle_sleep_us: 100
interfaces:
{ifs}""")
        cmd = ([] if ns is None else ["ip", "netns", "exec", ns]) + [binary, "--config", self.cfg]
        self.log = open(os.path.join(tmp, self.name + ".log"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        self.client = None

    def up(self):
        """Waits for the control socket; returns the Hello reply or None."""
        deadline = time.time() + 30
        while not os.path.exists(self.sock):
            if self.proc.poll() is not None or time.time() > deadline:
                self.log.seek(0)
                print(f"     {self.name} output: {self.log.read().strip()}")
                return None
            time.sleep(0.05)
        self.client = dpproto.Client(self.sock)
        return self.client.hello(1)

    def stop(self):
        if self.client:
            self.client.close()
            self.client = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def comes_up(dp, what, ports):
    hello = dp.up()
    check(hello is not None and hello["interfaces"] == len(ports),
          f"{what}: sbc-dataplane comes up, Hello lists {len(ports)} interface(s)")
    if hello is None:
        return None
    stats = dp.client.stats()
    names = [f"port_{p}_{c}" for p in ports for c in ("rx_packets", "tx_packets", "rx_missed")]
    check(all(n in stats for n in names), f"{what}: Stats lists the port counters of {ports}")
    return stats


def stops(dp, what):
    check(dp.stop() == 0, f"{what}: exits 0 on SIGTERM")


def end(interface, local, port, remote=None, remote_port=0, latch=dpproto.LATCH_OFF):
    e = {"interface": interface, "local": local, "rtp": port, "latch": latch}
    if remote:
        e.update(remote=remote, remote_rtp=remote_port)
    return e


def relay_both_ways(what, ns_a, a_ip, dp_a, ns_b, b_ip, dp_b):
    """Kernel socket a_ip:4000 -> dp_a (addr, port) ... -> b_ip:5000 from dp_b, and back."""
    sa = ns_socket(ns_a, (a_ip, 4000))
    sb = ns_socket(ns_b, (b_ip, 5000))
    try:
        data, src = send_until_received(sa, dp_a, sb, rtp(1), tries=20)
        check(data == rtp(1) and src == dp_b,
              f"{what}: RTP {a_ip}:4000 -> {dp_a[0]}:{dp_a[1]} arrives at {b_ip}:5000 from "
              f"{dp_b[0]}:{dp_b[1]} with its payload (from {src})")
        sb.sendto(rtp(2), dp_b)
        data, src = receive(sa)
        check(data == rtp(2) and src == dp_a,
              f"{what}: the reply comes back to {a_ip}:4000 from {dp_a[0]}:{dp_a[1]} ({src})")
    finally:
        sa.close()
        sb.close()


def ring_and_null(binary, tmp):
    dp = DataPlane(binary, tmp, [("lan", f"net_ring_mb{TAG}", "198.51.100.1/24")])
    try:
        if comes_up(dp, "net_ring", ["lan"]) is not None:
            stops(dp, "net_ring")
    finally:
        dp.kill()

    # net_null's receive path returns a burst of 64-byte frames of garbage on every poll.
    dp = DataPlane(binary, tmp, [("lan", f"net_null_mb{TAG}", "198.51.100.1/24")])
    try:
        s0 = comes_up(dp, "net_null", ["lan"])
        if s0 is not None:
            time.sleep(0.5)
            s1 = dp.client.stats()
            rx = s1["port_lan_rx_packets"] - s0["port_lan_rx_packets"]
            drops = sum(v - s0.get(k, 0) for k, v in s1.items() if k.startswith("drop_"))
            check(rx > 0 and drops > 0 and s1["relayed_rtp"] == 0,
                  f"net_null: {rx} garbage frames received, {drops} counted as drops, none relayed")
            check(dp.client.stats()["flows"] == 0, "net_null: the control channel still answers")
            stops(dp, "net_null")
    finally:
        dp.kill()


def memif_no_root(binary, tmp):
    sock = os.path.join(tmp, "memif.sock")
    a = DataPlane(binary, tmp, [("core", f"net_memif0,role=server,socket={sock},id=0",
                                 "10.9.0.1/24")])
    b = None
    try:
        if comes_up(a, "net_memif server", ["core"]) is None:
            return
        b = DataPlane(binary, tmp, [("core", f"net_memif0,role=client,socket={sock},id=0",
                                     "10.9.0.2/24")])
        if comes_up(b, "net_memif client", ["core"]) is None:
            return
        stops(b, "net_memif client")
        stops(a, "net_memif server")
    finally:
        a.kill()
        if b:
            b.kill()


class Netns:
    def __init__(self, *names):
        self.names = list(names)

    def __enter__(self):
        for ns in self.names:
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
            for k in ("all", "default"):
                sh("sysctl", "-q", "-w", f"net.ipv6.conf.{k}.disable_ipv6=1", ns=ns)
        return self

    def __exit__(self, *exc):
        for ns in self.names:
            sh("ip", "netns", "del", ns, check_rc=False)


def kernel_side(ns, dev, addr):
    sh("ip", "addr", "add", addr, "dev", dev, ns=ns)
    sh("ip", "link", "set", dev, "up", ns=ns)


def tap(binary, tmp):
    ns = f"mb-vd-tap-{TAG}"
    with Netns(ns):
        to, ti = f"mbvto{TAG}", f"mbvti{TAG}"
        dp = DataPlane(binary, tmp, [("outside", f"net_tap_mbo{TAG},iface={to}", "198.51.100.1/24"),
                                     ("inside", f"net_tap_mbi{TAG},iface={ti}", "203.0.113.1/24")],
                       ns=ns)
        try:
            if comes_up(dp, "net_tap", ["outside", "inside"]) is None:
                return
            kernel_side(ns, to, "198.51.100.2/24")
            kernel_side(ns, ti, "203.0.113.2/24")
            r = sh("ping", "-c", "2", "-W", "2", "198.51.100.1", ns=ns, check_rc=False)
            check(r.returncode == 0, "net_tap: ping from the tap's kernel side is answered")
            dp.client.create(1, 1, end("outside", "198.51.100.1", 20000, latch=dpproto.LATCH_ANY),
                             end("inside", "203.0.113.1", 30000, "203.0.113.2", 5000))
            relay_both_ways("net_tap", ns, "198.51.100.2", ("198.51.100.1", 20000),
                            ns, "203.0.113.2", ("203.0.113.1", 30000))
            s = dp.client.stats()
            check(s["port_outside_rx_packets"] > 0 and s["port_inside_tx_packets"] > 0,
                  f"net_tap: port counters move (outside rx {s['port_outside_rx_packets']}, "
                  f"inside tx {s['port_inside_tx_packets']})")
            stops(dp, "net_tap")
        finally:
            dp.kill()


def memif_chain(binary, tmp):
    ns = f"mb-vd-memif-{TAG}"
    sock = os.path.join(tmp, "memif-chain.sock")
    memif = f"socket={sock},id=0"
    with Netns(ns):
        to, ti = f"mbvmo{TAG}", f"mbvmi{TAG}"
        a = DataPlane(binary, tmp, [("outside", f"net_tap_mbo{TAG},iface={to}", "198.51.100.1/24"),
                                    ("core", f"net_memif0,role=server,{memif}", "10.9.0.1/24")],
                      ns=ns)
        b = None
        try:
            if comes_up(a, "net_memif chain, A (tap + memif server)", ["outside", "core"]) is None:
                return
            b = DataPlane(binary, tmp, [("core", f"net_memif0,role=client,{memif}", "10.9.0.2/24"),
                                        ("inside", f"net_tap_mbi{TAG},iface={ti}",
                                         "203.0.113.1/24")], ns=ns)
            if comes_up(b, "net_memif chain, B (memif client + tap)", ["core", "inside"]) is None:
                return
            kernel_side(ns, to, "198.51.100.2/24")
            kernel_side(ns, ti, "203.0.113.2/24")
            a.client.create(1, 1, end("outside", "198.51.100.1", 20000, latch=dpproto.LATCH_ANY),
                            end("core", "10.9.0.1", 30000, "10.9.0.2", 40000))
            b.client.create(1, 1, end("core", "10.9.0.2", 40000, "10.9.0.1", 30000),
                            end("inside", "203.0.113.1", 50000, "203.0.113.2", 5000))
            relay_both_ways("net_memif chain", ns, "198.51.100.2", ("198.51.100.1", 20000),
                            ns, "203.0.113.2", ("203.0.113.1", 50000))
            sa, sb = a.client.stats(), b.client.stats()
            check(sa["port_core_tx_packets"] > 0 and sb["port_core_rx_packets"] > 0 and
                  sa["arp_requests_sent"] + sb["arp_requests_sent"] > 0,
                  f"net_memif chain: frames crossed memif (A tx {sa['port_core_tx_packets']}, "
                  f"B rx {sb['port_core_rx_packets']}), next hops resolved by ARP over it")
            stops(b, "net_memif client")
            stops(a, "net_memif server")
        finally:
            a.kill()
            if b:
                b.kill()


def af_xdp(binary, tmp):
    nr, no, ni = f"mb-vd-xr-{TAG}", f"mb-vd-xo-{TAG}", f"mb-vd-xi-{TAG}"
    with Netns(nr, no, ni):
        vo, vi = f"mbvxo{TAG}", f"mbvxi{TAG}"
        for veth, ns, addr in ((vo, no, "198.51.100.2/24"), (vi, ni, "203.0.113.2/24")):
            sh("ip", "link", "add", veth, "netns", nr, "type", "veth", "peer", "name",
               veth + "p", "netns", ns)
            sh("ip", "link", "set", veth, "up", ns=nr)
            # Real UDP checksums on the wire (the data plane sees the frame as sent).
            sh("ethtool", "-K", veth + "p", "tx", "off", ns=ns)
            kernel_side(ns, veth + "p", addr)
        xdp = "start_queue=0,queue_count=1"
        # Too few mbufs for af_xdp's fill ring: a clear one-line error naming the interface and
        # the pool, exit 1 (no crash, no hang).
        small = DataPlane(binary, tmp, [("outside", f"net_af_xdp_mbo{TAG},iface={vo},{xdp}",
                                         "198.51.100.1/24")], ns=nr, mbufs=1023)
        try:
            rc = small.proc.wait(timeout=60)
            small.log.seek(0)
            err = [ln for ln in small.log.read().splitlines() if ln.startswith("sbc-dataplane:")]
            check(rc == 1 and len(err) == 1 and "interface 'outside'" in err[0] and
                  "mbufs" in err[0], f"net_af_xdp with 1,023 mbufs: exit 1 and {err}")
        finally:
            small.kill()
        # The PMD fills each queue's fill ring (2,048 entries) from the mbuf pool at start.
        dp = DataPlane(binary, tmp, [("outside", f"net_af_xdp_mbo{TAG},iface={vo},{xdp}",
                                      "198.51.100.1/24"),
                                     ("inside", f"net_af_xdp_mbi{TAG},iface={vi},{xdp}",
                                      "203.0.113.1/24")], ns=nr, mbufs=16383)
        try:
            if comes_up(dp, "net_af_xdp", ["outside", "inside"]) is None:
                return
            r = sh("ping", "-c", "2", "-W", "2", "198.51.100.1", ns=no, check_rc=False)
            check(r.returncode == 0, "net_af_xdp: ping from the veth peer is answered")
            dp.client.create(1, 1, end("outside", "198.51.100.1", 20000, latch=dpproto.LATCH_ANY),
                             end("inside", "203.0.113.1", 30000, "203.0.113.2", 5000))
            relay_both_ways("net_af_xdp", no, "198.51.100.2", ("198.51.100.1", 20000),
                            ni, "203.0.113.2", ("203.0.113.1", 30000))
            stops(dp, "net_af_xdp")
        finally:
            dp.kill()


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataplane", required=True)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="mb-vd-") as tmp:
        ring_and_null(args.dataplane, tmp)
        memif_no_root(args.dataplane, tmp)
        if os.geteuid() == 0:
            tap(args.dataplane, tmp)
            memif_chain(args.dataplane, tmp)
            af_xdp(args.dataplane, tmp)
        else:
            print("     not root: net_tap, the memif chain and net_af_xdp traffic not run")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
