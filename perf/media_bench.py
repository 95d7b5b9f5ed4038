#!/usr/bin/env python3
"""media_bench: sbc-dataplane end to end over net_af_packet, and the same RTP load through
rtpengine's userspace daemon, in one invocation (perf/README.md, "media_bench").

    mb-out-T (generator)           mb-relay-T (the relay under test)          mb-in-T (receiver)
    192.0.2.10 mboTp  <-veth->  mboT [sbc-dataplane | rtpengine] mbiT  <-veth->  mbiTp 10.0.0.20
                                192.0.2.1 (outside)     10.0.0.1 (inside)

The same topology serves both relays. sbc-dataplane takes mboT/mbiT with net_af_packet (no
kernel addresses there; an nftables netdev ingress drop keeps the kernel's IP stack off frames
that af_packet has already taken); rtpengine gets 192.0.2.1 and 10.0.0.1 on them and relays through kernel UDP
sockets (--table=-1: no kernel module, userspace forwarding).

FLOWS sessions are set up on each relay: over the data plane's control socket
(tests/dataplane/dpproto.py) and over rtpengine's ng protocol (bencode over UDP, offer + answer
with SDP, which return the relay ports it allocated). perf/rtp_blast sends 214-byte RTP frames
(172-byte datagrams) round robin over the flows from mb-out to each relay port at each offered
rate, and counts what arrives at 10.0.0.20:5000 in mb-in.

CPU: the relay is pinned to --relay-cpu (EAL -l for sbc-dataplane, taskset for rtpengine), the
generator and the receiver to --gen-cpu. RPS steers the relay's receive processing (frames
arriving on mboT) to the relay CPU and the receiver's (frames arriving on mbiTp) to the
generator CPU, so the kernel work each relay causes lands on its own core. Relay CPU =
utime+stime of all its threads (/proc/PID/task/*/stat) + irq+softirq time of the relay CPU
(/proc/stat); with tick accounting (no IRQ_TIME_ACCOUNTING) softirq that interrupts the relay
may be in both terms, so this is an upper bound, taken the same way for both relays.

Prints, per offered rate and relay: relayed pps (relay's inside veth TX), received pps, loss,
CPU-seconds per million packets, pps per CPU-second; the ratio sbc ÷ rtpengine of pps per
CPU-second; and each relay's maximum loss-free rate. Figures are printed, never asserted.
Needs root (exit 77 otherwise). Namespaces mb-*, deleted on exit.
"""
import argparse
import ctypes
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "dataplane"))
import dpproto  # noqa: E402

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL("libc.so.6", use_errno=True)
TICK = os.sysconf("SC_CLK_TCK")
RECV_PORT = 5000
GEN_PORT = 7000


def sh(*cmd, ns=None, check=True):
    full = (["ip", "netns", "exec", ns] if ns else []) + [str(c) for c in cmd]
    r = subprocess.run(full, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(full)}: {r.stderr.strip()}")
    return r


def ns_socket(ns, family, kind):
    """A socket created inside namespace ns (it keeps that namespace)."""
    root = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        return socket.socket(family, kind)
    finally:
        libc.setns(root, CLONE_NEWNET)
        os.close(root)
        os.close(target)


# --- bencode (rtpengine's ng protocol: "COOKIE <bencoded dict>" over UDP) ---

def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def bdecode(data, i=0):
    """Returns (value, next index); byte strings are returned as str (utf-8, replace)."""
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c == b"l":
        out, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        out, i = {}, i + 1
        while data[i:i + 1] != b"e":
            k, i = bdecode(data, i)
            v, i = bdecode(data, i)
            out[k] = v
        return out, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        n = int(data[i:colon])
        start = colon + 1
        if start + n > len(data):
            raise ValueError("bencode string runs past the end")
        return data[start:start + n].decode("utf-8", "replace"), start + n
    raise ValueError(f"bad bencode at {i}")


class NgClient:
    def __init__(self, ns, addr):
        self.sock = ns_socket(ns, socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(5)
        self.addr = addr
        self.n = 0

    def command(self, **kw):
        self.n += 1
        cookie = f"mb{os.getpid()}_{self.n}".encode()
        self.sock.sendto(cookie + b" " + bencode(kw), self.addr)
        while True:
            data, _ = self.sock.recvfrom(65536)
            c, _, body = data.partition(b" ")
            if c == cookie:
                break
        reply, _ = bdecode(body)
        if reply.get("result") not in ("ok", "pong"):
            raise RuntimeError(f"rtpengine {kw['command']}: {reply}")
        return reply


def sdp(ip, port):
    return (f"v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n")


def sdp_port(text):
    m = re.search(r"^m=audio (\d+) ", text, re.M)
    if not m:
        raise RuntimeError(f"no m=audio line in rtpengine's SDP: {text!r}")
    return int(m.group(1))


# --- measurement ---

def proc_cpu(pid):
    """utime+stime of every thread of pid, seconds; and the first thread's (the main lcore)."""
    total, main = 0, 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        t = int(fields[11]) + int(fields[12])
        total += t
        if int(tid) == pid:
            main = t
    return total / TICK, main / TICK


def cpu_irq(cpu):
    """irq + softirq seconds of one CPU (/proc/stat)."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = line.split()
                return (int(v[6]) + int(v[7])) / TICK
    return 0.0


def link_stats(ns, dev):
    st = json.loads(sh("ip", "-s", "-j", "link", "show", dev, ns=ns).stdout)[0]["stats64"]
    return st["rx"]["packets"], st["tx"]["packets"], st["tx"]["dropped"]


def udp_drops(ns):
    """The namespace's UDP receive-buffer and input errors (kernel counters since creation)."""
    out = sh("cat", "/proc/net/snmp", ns=ns).stdout.splitlines()
    rows = [ln.split() for ln in out if ln.startswith("Udp:")]
    d = dict(zip(rows[0][1:], (int(v) for v in rows[1][1:])))
    return d.get("RcvbufErrors", 0) + d.get("InErrors", 0)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Topology:
    def __init__(self, tag):
        self.out, self.relay, self.inn = f"mb-out-{tag}", f"mb-relay-{tag}", f"mb-in-{tag}"
        self.vo, self.vi = f"mbo{tag}", f"mbi{tag}"

    def up(self, relay_cpu, gen_cpu, rps):
        for ns in (self.out, self.relay, self.inn):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        for veth, ns, addr in ((self.vo, self.out, "192.0.2.10/24"),
                               (self.vi, self.inn, "10.0.0.20/24")):
            sh("ip", "link", "add", veth, "netns", self.relay, "type", "veth", "peer", "name",
               veth + "p", "netns", ns)
            for n, d in ((self.relay, veth), (ns, veth + "p")):
                sh("sysctl", "-q", "-w", f"net.ipv6.conf.{d}.disable_ipv6=1", ns=n)
            sh("ip", "addr", "add", addr, "dev", veth + "p", ns=ns)
            # Real UDP checksums on the wire (af_packet hands the relay the frame as sent).
            sh("ethtool", "-K", veth + "p", "tx", "off", ns=ns)
            sh("ip", "link", "set", veth, "up", ns=self.relay)
            sh("ip", "link", "set", veth + "p", "up", ns=ns)
        # RPS (veths have no interrupts of their own; receive processing runs on the sending
        # CPU unless steered): "receiver" moves the receiving endpoint's kernel work for what
        # the relay sends to the generator's CPU; "both" also moves the relay's own receive
        # processing (af_packet copy or UDP socket delivery) to the relay's CPU.
        if rps in ("receiver", "both"):
            self.rps(self.inn, self.vi + "p", gen_cpu)
        if rps == "both":
            self.rps(self.relay, self.vo, relay_cpu)
            self.rps(self.relay, self.vi, relay_cpu)
            self.rps(self.out, self.vo + "p", gen_cpu)

    @staticmethod
    def rps(ns, dev, cpu):
        sh("sh", "-c", f"echo {1 << cpu:x} > /sys/class/net/{dev}/queues/rx-0/rps_cpus", ns=ns)

    def for_af_packet(self, on):
        """sbc-dataplane: no kernel addresses; a netdev ingress hook (nftables, after
        af_packet's tap has taken its copy) drops the frames instead of the kernel's IP stack
        running on them, as on an interface given to the data plane alone."""
        if on:
            chains = "".join(f'  chain in_{v} {{ type filter hook ingress device "{v}" '
                             f'priority 0; policy drop; }}\n' for v in (self.vo, self.vi))
            subprocess.run(["ip", "netns", "exec", self.relay, "nft", "-f", "-"], check=True,
                           input=f"table netdev mbaf {{\n{chains}}}\n", text=True)
        else:
            sh("nft", "delete", "table", "netdev", "mbaf", ns=self.relay, check=False)

    def for_kernel(self, on):
        for veth, addr in ((self.vo, "192.0.2.1/24"), (self.vi, "10.0.0.1/24")):
            sh("ip", "addr", "add" if on else "del", addr, "dev", veth, ns=self.relay)
        for ns in (self.out, self.inn):
            sh("ip", "neigh", "flush", "all", ns=ns, check=False)

    def down(self):
        for ns in (self.out, self.relay, self.inn):
            sh("ip", "netns", "del", ns, check=False)


class Bench:
    def __init__(self, args, topo, tmp):
        self.a, self.t, self.tmp = args, topo, tmp
        self.ports_file = os.path.join(tmp, "ports")
        self.ports = []  # the relay port of each flow set up on the relay under test

    def flows_for(self, rate):
        """Every stream sends at --pps-per-flow (50 = 20 ms packetisation), as real RTP does."""
        return max(1, -(-rate // self.a.pps_per_flow))

    def pin(self, cpu):
        return ["nice", "-n", str(self.a.nice), "taskset", "-c", str(cpu)]

    def step(self, name, pid, rate, seconds, dp_client=None, flows=None):
        """One offered rate through the running relay, over the first `flows` flows (default:
        rate / pps-per-flow); returns a dict of figures."""
        a, t = self.a, self.t
        flows = min(flows or self.flows_for(rate), len(self.ports))
        with open(self.ports_file, "w") as f:
            f.write("\n".join(str(p) for p in self.ports[:flows]) + "\n")
        recv = subprocess.Popen(
            ["ip", "netns", "exec", t.inn] + self.pin(a.gen_cpu) + [a.rtp_blast, "recv",
             "--bind", f"10.0.0.20:{RECV_PORT}", "--flows", str(flows), "--seconds",
             str(seconds + 30), "--idle-ms", "1000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        recv.stderr.readline()  # "receiving on ...": bound
        rx0 = link_stats(t.relay, t.vo)
        tx0 = link_stats(t.relay, t.vi)
        dp0 = dp_client.stats() if dp_client else None
        ud0 = udp_drops(t.relay), udp_drops(t.inn)
        cpu0, irq0, w0 = proc_cpu(pid), cpu_irq(a.relay_cpu), time.monotonic()
        send = subprocess.run(
            ["ip", "netns", "exec", t.out] + self.pin(a.gen_cpu) + [a.rtp_blast, "send",
             "--bind", f"192.0.2.10:{GEN_PORT}", "--dst", "192.0.2.1", "--ports-file",
             self.ports_file, "--pps", str(rate), "--seconds", str(seconds)],
            capture_output=True, text=True, check=True)
        # What is queued in the relay (socket buffers, rings) drains: the step ends at the last
        # sample that saw its output grow, once it has not grown for a second (what arrives
        # later than that is lost for RTP anyway); its CPU up to there belongs to this step.
        tx1 = link_stats(t.relay, t.vi)
        cpu1, irq1, w1 = proc_cpu(pid), cpu_irq(a.relay_cpu), time.monotonic()
        while time.monotonic() - w1 < 1.0:
            time.sleep(0.1)
            tx_now = link_stats(t.relay, t.vi)
            if tx_now[1] != tx1[1]:
                tx1 = tx_now
                cpu1, irq1, w1 = proc_cpu(pid), cpu_irq(a.relay_cpu), time.monotonic()
        rx1 = link_stats(t.relay, t.vo)
        dp1 = dp_client.stats() if dp_client else None
        ud1 = udp_drops(t.relay), udp_drops(t.inn)
        got = json.loads(recv.communicate(timeout=seconds + 60)[0])
        sent = json.loads(send.stdout)
        wall = w1 - w0
        proc_s, lcore_s = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        irq_s = irq1 - irq0
        relayed = tx1[1] - tx0[1]
        r = {
            "relay": name, "flows": flows, "offered_pps": sent["pps"], "sent": sent["sent"],
            "send_seconds": sent["seconds"], "wall": wall,
            "relay_rx": rx1[0] - rx0[0], "relayed": relayed,
            # Over the time the relay took to send it all (its queues drain after the sender
            # stops; an overloaded relay keeps sending for a while).
            "relay_seconds": wall,
            "received": got["received"], "gaps": got["gaps"], "reordered": got["reordered"],
            "loss": 1 - got["received"] / sent["sent"] if sent["sent"] else 0,
            "proc_cpu_s": proc_s, "main_thread_cpu_s": lcore_s, "irq_cpu_s": irq_s,
            "cpu_s": proc_s + irq_s, "load": loadavg(),
            "relay_udp_drops": ud1[0] - ud0[0], "receiver_udp_drops": ud1[1] - ud0[1],
        }
        r["relayed_pps"] = relayed / r["relay_seconds"]
        r["cpu_s_per_mpkt"] = r["cpu_s"] / relayed * 1e6 if relayed else float("inf")
        r["pps_per_cpu_s"] = relayed / r["cpu_s"] if r["cpu_s"] > 0 else 0.0
        r["pps_per_proc_cpu_s"] = relayed / proc_s if proc_s > 0 else 0.0
        if dp_client:
            d = {k: dp1[k] - dp0.get(k, 0) for k in dp1 if k not in ("flows", "flow_capacity")}
            r["dp_tx"] = d.get("port_inside_tx_packets", 0)
            r["dp_rx"] = d.get("port_outside_rx_packets", 0)
            r["dp_rx_missed"] = d.get("port_outside_rx_missed", 0)
            r["dp_drops"] = {k: v for k, v in d.items() if k.startswith("drop_") and v}
        return r

    def warm_up(self, name, pid, dp_client=None):
        """Every flow sees packets (neighbours resolved, remotes latched) before timing."""
        n = len(self.ports)
        self.step(name, pid, max(1000, 2 * n), max(1.0, 2 * n / 20000), dp_client, flows=n)

    def measure(self, name, pid, rate, dp_client=None):
        r = self.step(name, pid, rate, self.a.seconds, dp_client)
        print_row(r)
        return r

    # --- sbc-dataplane ---
    def sbc(self):
        a, t = self.a, self.t
        t.for_af_packet(True)
        nflows = self.flows_for(max(a.rates))
        sock = os.path.join(self.tmp, "dp.sock")
        cfg = os.path.join(self.tmp, "dataplane.yaml")
        af = "qpairs=1,blocksz=4096,framesz=2048,framecnt=16384,qdisc_bypass=1"
        tag = os.getpid() % 1000

        def device(side, iface):
            if a.pmd == "af_xdp":  # copy mode on veth; 2,048 mbufs per queue (ports.mbufs)
                return f"net_af_xdp{tag}{side},iface={iface},start_queue=0,queue_count=1"
            return f"net_af_packet{tag}{side},iface={iface},{af}"
        with open(cfg, "w") as f:
            f.write(f"""eal: ["-l", "{a.relay_cpu}", "--no-huge", "-m", "512", "--no-pci",
      "--no-shconf", "--no-telemetry", "--log-level=error", "--file-prefix", "mb{os.getpid()}"]
workers: 1
control:
  socket: {sock}
flows:
  capacity: {max(1024, nflows)}
  idle_timeout_ms: 600000
ports:
  mbufs: 32767
  idle_sleep_us: {a.idle_sleep_us}
  tx_drain_us: {a.tx_drain_us}
interfaces:
  - name: outside
    device: {device("o", t.vo)}
    addresses: [192.0.2.1/24]
  - name: inside
    device: {device("i", t.vi)}
    addresses: [10.0.0.1/24]
""")
        # EAL pins the lcore to --relay-cpu (-l); nice as for every process of the bench.
        proc = subprocess.Popen(["ip", "netns", "exec", t.relay, "nice", "-n", str(a.nice),
                                 a.dataplane, "--config", cfg])
        try:
            deadline = time.time() + 30
            while not os.path.exists(sock):
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("sbc-dataplane did not open its control socket")
                time.sleep(0.1)
            c = dpproto.Client(sock)
            c.hello(1)
            seqs = []
            for i in range(nflows):
                ea = {"interface": "outside", "local": "192.0.2.1", "rtp": 20000 + 2 * i,
                      "latch": dpproto.LATCH_ANY}
                eb = {"interface": "inside", "local": "10.0.0.1", "rtp": 30000 + 2 * i,
                      "remote": "10.0.0.20", "remote_rtp": RECV_PORT, "latch": dpproto.LATCH_OFF}
                seqs.append(c.send(dpproto.CREATE, dpproto.spec_bytes(i + 1, 1, ea, eb)))
                if len(seqs) == 64 or i == nflows - 1:
                    for s in seqs:
                        if c.receive(s)[0] != dpproto.CREATE_REPLY:
                            raise RuntimeError("CreateFlow failed")
                    seqs = []
            self.ports = [20000 + 2 * i for i in range(nflows)]
            print(f"  sbc-dataplane: {c.stats()['flows']} flows over its control socket, "
                  f"net_{a.pmd}, 1 worker lcore on CPU {a.relay_cpu}, "
                  f"idle_sleep_us {a.idle_sleep_us}, tx_drain_us {a.tx_drain_us}")
            self.warm_up("sbc-dataplane", proc.pid, c)
            rows = [self.measure("sbc-dataplane", proc.pid, r, c) for r in a.rates]
            c.close()
            return rows
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            t.for_af_packet(False)

    # --- rtpengine ---
    def rtpengine(self):
        """A fresh daemon per offered rate: rtpengine stops reading a socket for good once it
        found more than 50 datagrams queued on it 5 times (MAX_RECV_ITERS, MAX_RECV_LOOP_STRIKES
        in daemon/media_socket.c), so an overloaded step would poison the following ones."""
        a, t = self.a, self.t
        t.for_kernel(True)
        rows = []
        try:
            for rate in a.rates:
                try:
                    rows.append(self.rtpengine_rate(rate, first=not rows))
                except RuntimeError as e:  # its ng refusal, e.g. out of ports (descriptors)
                    print(f"rtpengine: {rate} pps not measured, nor any higher rate: {e}")
                    break
        finally:
            t.for_kernel(False)
        return rows

    def rtpengine_rate(self, rate, first):
        a, t = self.a, self.t
        cmd = ["ip", "netns", "exec", t.relay] + self.pin(a.relay_cpu) + [a.rtpengine,
               "--config-file=none", "--table=-1", "--interface=outside/192.0.2.1",
               "--interface=inside/10.0.0.1", "--listen-ng=127.0.0.1:2223", "--foreground",
               "--log-stderr", "--log-level=4", f"--num-threads={a.rtpengine_threads}",
               "--port-min=10000", "--port-max=65000", "--timeout=600"]
        log = open(os.path.join(self.tmp, "rtpengine.log"), "w")
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        try:
            ng = NgClient(t.relay, ("127.0.0.1", 2223))
            deadline = time.time() + 20
            while True:
                try:
                    ng.sock.settimeout(0.5)
                    ng.command(command="ping")
                    ng.sock.settimeout(5)
                    break
                except (socket.timeout, ConnectionRefusedError):
                    if proc.poll() is not None or time.time() > deadline:
                        raise RuntimeError("rtpengine does not answer ng ping; see "
                                           + log.name)
            self.ports = []
            for i in range(self.flows_for(rate)):
                call = f"mb-{i}"
                ng.command(command="offer", **{"call-id": call, "from-tag": "caller",
                                               "sdp": sdp("192.0.2.10", 6000 + 2 * i),
                                               "direction": ["outside", "inside"]})
                r = ng.command(command="answer", **{"call-id": call, "from-tag": "caller",
                                                    "to-tag": "callee",
                                                    "sdp": sdp("10.0.0.20", RECV_PORT)})
                self.ports.append(sdp_port(r["sdp"]))
                if i == 0 and "192.0.2.1" not in r["sdp"]:
                    raise RuntimeError(f"rtpengine answered an unexpected SDP: {r['sdp']!r}")
            if first:
                print(f"  rtpengine {rtpengine_version(a.rtpengine)}: calls over ng (offer/"
                      f"answer), userspace (--table=-1), --num-threads={a.rtpengine_threads}, "
                      f"taskset CPU {a.relay_cpu}; a fresh daemon per rate")
            self.warm_up("rtpengine", proc.pid)
            return self.measure("rtpengine", proc.pid, rate)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()
            shutil.copy(log.name, "/tmp/media_bench_rtpengine.log")


def rtpengine_version(path):
    r = subprocess.run([path, "--version"], capture_output=True, text=True)
    return (r.stdout + r.stderr).strip().split()[-1] if r.returncode == 0 else "?"


HEAD = (f"{'relay':<14}{'flows':>6}{'offered':>9}{'arrived':>9}{'relayed':>9}{'received':>9}"
        f"{'loss':>8}{'CPU s':>7}{'(proc':>7}{'+irq)':>7}{'CPU s/Mpkt':>11}{'pps/CPU s':>11}  load")


def print_row(r):
    print(f"{r['relay']:<14}{r['flows']:>6}{r['offered_pps'] / 1e3:>8.1f}k"
          f"{r['relay_rx'] / r['send_seconds'] / 1e3:>8.1f}k{r['relayed_pps'] / 1e3:>8.1f}k"
          f"{r['received'] / r['relay_seconds'] / 1e3:>8.1f}k{100 * r['loss']:>7.2f}%"
          f"{r['cpu_s']:>7.2f}{r['proc_cpu_s']:>7.2f}{r['irq_cpu_s']:>7.2f}"
          f"{r['cpu_s_per_mpkt']:>11.2f}{r['pps_per_cpu_s'] / 1e3:>10.1f}k  {r['load']}"
          f"  udp drops relay {r['relay_udp_drops']} receiver {r['receiver_udp_drops']}", end="")
    if "dp_drops" in r:
        print(f"  lcore thread CPU {r['main_thread_cpu_s']:.2f} s; dp rx {r['dp_rx']} tx {r['dp_tx']} "
              f"rx_missed {r['dp_rx_missed']} "
              f"drops {r['dp_drops']}", end="")
    print(flush=True)


def summary(rows, loss_free):
    by = {}
    for r in rows:
        by.setdefault(r["relay"], []).append(r)
    print("\nratio of pps per CPU-second, sbc-dataplane ÷ rtpengine, per offered rate:")
    s, e = by.get("sbc-dataplane", []), by.get("rtpengine", [])
    for rs, re_ in zip(s, e):
        ratio = rs["pps_per_cpu_s"] / re_["pps_per_cpu_s"] if re_["pps_per_cpu_s"] else 0
        pratio = (rs["pps_per_proc_cpu_s"] / re_["pps_per_proc_cpu_s"]
                  if re_["pps_per_proc_cpu_s"] else 0)
        print(f"  {rs['offered_pps'] / 1e3:>8.1f}k offered: {ratio:5.2f}x "
              f"(process CPU only: {pratio:5.2f}x)")
    print(f"\nmax loss-free offered rate (receiver loss <= {100 * loss_free:g}%) and figures there:")
    best = {}
    for name, rs in by.items():
        ok = [r for r in rs if r["loss"] <= loss_free]
        b = max(ok, key=lambda r: r["offered_pps"]) if ok else None
        best[name] = b
        peak = max(rs, key=lambda r: r["relayed_pps"])
        if b:
            print(f"  {name:<14} {b['offered_pps'] / 1e3:8.1f}k pps, "
                  f"{b['cpu_s_per_mpkt']:.2f} CPU s/Mpkt, {b['pps_per_cpu_s'] / 1e3:.1f}k pps "
                  f"per CPU s; peak relayed {peak['relayed_pps'] / 1e3:.1f}k pps")
        else:
            print(f"  {name:<14} none of the offered rates was loss-free; peak relayed "
                  f"{peak['relayed_pps'] / 1e3:.1f}k pps")
    if best.get("sbc-dataplane") and best.get("rtpengine"):
        b, e = best["sbc-dataplane"], best["rtpengine"]
        print(f"  ratio at each one's max loss-free rate (pps per CPU s): "
              f"{b['pps_per_cpu_s'] / e['pps_per_cpu_s']:.2f}x")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--rtp-blast", required=True)
    ap.add_argument("--rtpengine", default=shutil.which("rtpengine") or "")
    ap.add_argument("--relays", default="sbc,rtpengine")
    ap.add_argument("--pps-per-flow", type=int, default=50,
                    help="packets/s of each stream (50 = G.711 at 20 ms); flows = rate / this")
    ap.add_argument("--rates", default="25000,50000,100000,150000,200000,300000,400000")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--relay-cpu", type=int, default=1)
    ap.add_argument("--gen-cpu", type=int, default=0)
    ap.add_argument("--rps", choices=["none", "receiver", "both"], default="receiver",
                    help="where receive processing runs (perf/README.md, media_bench)")
    ap.add_argument("--nice", type=int, default=-10,
                    help="nice value of relay, generator and receiver (shared machine)")
    ap.add_argument("--idle-sleep-us", type=int, default=0)
    ap.add_argument("--tx-drain-us", type=int, default=0,
                    help="sbc-dataplane ports.tx_drain_us (0: flush every iteration)")
    ap.add_argument("--pmd", choices=["af_packet", "af_xdp"], default="af_packet",
                    help="the DPDK driver sbc-dataplane takes the veths with")
    ap.add_argument("--rtpengine-threads", type=int, default=1)
    ap.add_argument("--loss-free", type=float, default=0.001,
                    help="fraction of lost packets still counted as loss-free (default 0.1%%)")
    ap.add_argument("--json", help="also write every row to this file")
    a = ap.parse_args()
    a.rates = [int(x) for x in a.rates.split(",")]
    relays = a.relays.split(",")
    if os.geteuid() != 0:
        print("skipped: needs root for network namespaces")
        return 77
    if "rtpengine" in relays and not (a.rtpengine and os.access(a.rtpengine, os.X_OK)):
        print("rtpengine not found: apt-get install rtpengine-daemon (the userspace daemon is "
              "enough; no kernel module), or --relays sbc")
        return 1
    uname = os.uname()
    with open("/proc/cpuinfo") as f:
        model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    print(f"media_bench: {a.pps_per_flow} pps per flow (flows = rate / {a.pps_per_flow}), "
          f"214-byte RTP frames, {a.seconds:g} s per rate; "
          f"{os.cpu_count()} CPUs ({model}), kernel {uname.release}; load {loadavg()}")
    print(f"relay on CPU {a.relay_cpu}, generator+receiver on CPU {a.gen_cpu}")
    # rtpengine holds four sockets per call (RTP and RTCP on each side): 6,000 calls need more
    # descriptors than a 20,000 limit, and it reports that as "Ran out of ports".
    want = 4 * max(a.rates) // a.pps_per_flow + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
        except (ValueError, OSError) as e:
            print(f"media_bench: cannot raise the descriptor limit to {want} ({e}); "
                  f"rtpengine may run out of ports above {soft // 4} flows")
    topo = Topology(str(os.getpid() % 100000))
    tmp = tempfile.mkdtemp(prefix="mb-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    rows = []
    try:
        topo.up(a.relay_cpu, a.gen_cpu, a.rps)
        bench = Bench(a, topo, tmp)
        print(HEAD)
        if "sbc" in relays:
            rows += bench.sbc()
        if "rtpengine" in relays:
            rows += bench.rtpengine()
        summary(rows, a.loss_free)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
    finally:
        topo.down()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
