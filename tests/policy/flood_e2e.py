#!/usr/bin/env python3
"""Flood: >= 20,000 SIP requests/s from spoofed random sources (raw socket, IP_HDRINCL) from
namespace pol-fl against sbc with a policy, while a legitimate trunk keeps sending INVITEs and
OPTIONS: >= 99% of the trunk's requests are answered, the spoofed ones are dropped and counted,
the per-source table stays at its capacity (evictions counted) and sbc's RSS stays flat. Prints
the achieved rate. Needs root."""
import argparse
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_util import check, finish  # noqa: E402
from policy_sip import sbcctl, write  # noqa: E402
from sipvicious_e2e import TRUNK_SENDER  # noqa: E402

NS = "pol-fl"
HOST, TRUNK = "10.98.0.1", "10.98.0.3"
PORT = 5071

FLOODER = r"""
import random, socket, struct, sys, time
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
dst = socket.inet_aton(host)
pkts = []
for i in range(4096):
    src = struct.pack("!I", random.getrandbits(32) & 0x3fffffff | 0x40000000)
    payload = (f"INVITE sip:+4930{i}@{host} SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK{i}\r\n"
               f"From: <sip:a@b>;tag={i}\r\nTo: <sip:c@d>\r\nCall-ID: {i}@f\r\nCSeq: 1 INVITE\r\n"
               "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()
    udp = struct.pack("!HHHH", 1024 + i, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, src, dst)
    pkts.append(ip + udp)
sent = 0
end = time.time() + seconds
while time.time() < end:
    for p in pkts:
        s.sendto(p, (host, 0))
    sent += len(pkts)
print(sent)
"""


def sh(*cmd, check_rc=True):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=check_rc)


def in_ns(*cmd, timeout=120):
    return subprocess.run(["ip", "netns", "exec", NS, *cmd], capture_output=True, text=True,
                          timeout=timeout)


def teardown():
    sh("ip", "link", "del", "pol-fh0", check_rc=False)
    sh("ip", "netns", "del", NS, check_rc=False)


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    teardown()
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", "pol-fh0", "type", "veth", "peer", "name", "pol-fo0")
    sh("ip", "link", "set", "pol-fo0", "netns", NS)
    sh("ip", "addr", "add", f"{HOST}/24", "dev", "pol-fh0")
    sh("ip", "link", "set", "pol-fh0", "up")
    sh("sysctl", "-qw", "net.ipv4.conf.pol-fh0.rp_filter=0")
    sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{TRUNK}/24", "dev", "pol-fo0")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "pol-fo0", "up")
    work = tempfile.mkdtemp(prefix="sbc-pol-flood-")
    policy = os.path.join(work, "policy.yaml")
    write(policy, "version: 1\n"
                  f"trunks:\n  - {{name: carrier, side: outside, sources: [{TRUNK}/32]}}\n"
                  "limits: {unknown_source: drop, table_size: 16384,\n"
                  "         per_source: {requests: {rate: 100, burst: 200}}}\n")
    sock = os.path.join(work, "admin.sock")
    cfg = os.path.join(work, "sbc.yaml")
    write(cfg, f"listeners:\n  - {{name: out, transport: udp, address: {HOST}, port: {PORT}}}\n"
               f"admin: {{socket: {sock}}}\npolicy: [{policy}]\n")
    log = open(os.path.join(work, "sbc.log"), "w")
    proc = subprocess.Popen([os.path.abspath(a.sbc), "run", "--config", cfg], stdout=log,
                            stderr=subprocess.STDOUT)
    ctl = os.path.abspath(a.sbcctl)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and not os.path.exists(sock):
            time.sleep(0.05)
        here = os.path.dirname(os.path.abspath(__file__))
        sender = TRUNK_SENDER % {"dir": here, "src": TRUNK, "host": HOST, "port": PORT}
        result = {}

        def trunk():
            p = in_ns(sys.executable, "-c", sender, str(a.seconds + 2), timeout=120)
            result["out"] = p.stdout.strip() + p.stderr.strip()

        t = threading.Thread(target=trunk)
        t.start()
        time.sleep(1)
        rss_before = rss_kb(proc.pid)
        t0 = time.time()
        fl = in_ns(sys.executable, "-c", FLOODER, HOST, str(PORT), str(a.seconds),
                   timeout=int(a.seconds) + 60)
        elapsed = time.time() - t0
        rss_after = rss_kb(proc.pid)
        t.join()
        flood = int(fl.stdout.strip() or 0)
        rate = flood / max(elapsed, 0.001)
        print(f"flood: {flood} spoofed requests in {elapsed:.1f} s = {rate:.0f}/s; "
              f"RSS {rss_before} kB -> {rss_after} kB")
        check(rate >= 20000, f"flood rate >= 20,000/s ({rate:.0f}/s) {fl.stderr[-300:]}")
        sent, answered = (int(x) for x in result.get("out", "0 0").split()[:2])
        check(sent > 20 and answered >= 0.99 * sent,
              f"legitimate trunk: >= 99% answered during the flood ({answered}/{sent})")
        rc, out = sbcctl(ctl, sock, "policy")
        st = json.loads(out)
        print(out.strip())
        check(st["dropped"]["unknown_source"] + st["dropped"]["rate_requests"] > 0.2 * flood,
              "spoofed requests dropped and counted (the kernel may drop the rest)")
        check(st["sources_tracked"] <= st["source_capacity"], "per-source table bounded")
        check(rss_after - rss_before < 20000, f"RSS flat ({rss_before} -> {rss_after} kB)")
        check(proc.poll() is None, "sbc still running")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        teardown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
