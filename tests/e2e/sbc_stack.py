"""The whole product in the test topology (netns.py): sbc-dataplane on af_packet veth ends, sbc
with a media: and a b2bua: section, a carrier trunk (outside, OUT_PEER) routed to a core trunk
(inside, IN_PEER) and back, and sipp on both sides placing real calls with RTP.

Shared by the call tests (call_media_e2e.py) and the attack tests (tests/policy/flood_e2e.py,
sipvicious_e2e.py), so that each starts sbc the same way an operator would run it.
"""
import json
import os
import re
import subprocess
import time

from e2e_util import wait_for, write
from netns import IN_MEDIA, IN_PEER, IN_SBC, OUT_MEDIA, OUT_PEER, OUT_SBC

# af_packet rings large enough for bursts while the shared CPU is busy elsewhere.
AF_ARGS = "qpairs=1,blocksz=4096,framesz=2048,framecnt=8192,qdisc_bypass=0"
UAC_MEDIA_PORT = 16000
UAS_MEDIA_PORT = 18000
CALLED = "+4930555000"
METRICS_PORT = 9464  # on the loopback of sbc's namespace


def configs(work, policy_extra="", carrier_extra="", extra_trunks="", outside=None,
            core_sources=None, core_destinations=None, core_extra="", sbc_extra=""):
    """Writes dataplane.yaml, policy.yaml and sbc.yaml into work; returns (dataplane, sbc).
    policy_extra: top-level policy sections (limits, bans, acl, ...); carrier_extra: more keys of
    the carrier trunk's mapping (e.g. 'limits: {cps: 50}'); extra_trunks: more entries of the
    trunks list (YAML flow mappings, one per line); outside: the carrier link's (peer, sbc SIP,
    sbc media) addresses, IPv4 (netns.OUT_*) by default or IPv6 (netns.OUT6_*); core_sources,
    core_destinations: the core trunk's lists (YAML flow sequences; default IN_PEER alone),
    core_extra: more keys of its mapping, one per line at its indentation; sbc_extra: more
    top-level sections of sbc.yaml."""
    out_peer, out_sbc, out_media = outside or (OUT_PEER, OUT_SBC, OUT_MEDIA)
    v6 = ":" in out_peer
    dp = write(os.path.join(work, "dataplane.yaml"), f"""
eal: [-l, "0", --no-huge, -m, "256", --no-pci, --no-shconf, --no-telemetry, --log-level=error]
workers: 1
rt_priority: 20
interfaces:
  - {{name: outside, device: "net_af_packet0,iface=o-sbc,{AF_ARGS}", addresses: [{out_media}/{64 if v6 else 24}]}}
  - {{name: inside, device: "net_af_packet1,iface=i-sbc,{AF_ARGS}", addresses: [{IN_MEDIA}/24]}}
control: {{socket: {work}/dataplane.sock}}
flows: {{capacity: 20000, idle_timeout_ms: 120000}}
ports: {{idle_sleep_us: 50}}
""")
    carrier = f"\n    {carrier_extra}" if carrier_extra else ""
    core_sources = core_sources or f"[{IN_PEER}/32]"
    core_destinations = core_destinations or f"[{{host: {IN_PEER}, port: 5060, transport: udp}}]"
    core = "".join(f"\n    {line}" for line in core_extra.splitlines() if line.strip())
    policy = write(os.path.join(work, "policy.yaml"), f"""
version: 1
trunks:
  - name: carrier
    side: outside
    sources: [{out_peer}/{128 if v6 else 32}]
    destinations: [{{host: {out_peer}, port: 5060, transport: udp}}]{carrier}
  - name: core
    side: inside
    sources: {core_sources}
    destinations: {core_destinations}{core}
{extra_trunks}routes:
  - {{name: carrier-to-core, from: [carrier], target: core}}
  - {{name: core-to-carrier, from: [core], target: carrier}}
{policy_extra}""")
    sbc = write(os.path.join(work, "sbc.yaml"), f"""
listeners:
  - {{name: outside-udp, side: outside, transport: udp, address: {out_sbc}, port: 5060}}
  - {{name: inside-udp, side: inside, transport: udp, address: {IN_SBC}, port: 5060}}
media:
  dataplane_socket: {work}/dataplane.sock
  sides:
    outside: {{address: {out_media}, ports: [20000, 29999]}}
    inside: {{address: {IN_MEDIA}, ports: [30000, 39999]}}
policy: [{policy}]
b2bua: {{cdr_file: {work}/cdr.jsonl, state_dir: {work}/calls}}
admin: {{socket: {work}/admin.sock}}
metrics: {{listen: '127.0.0.1:{METRICS_PORT}'}}
{sbc_extra}""")
    return dp, sbc


def sbcctl(sbcctl_path, work, command):
    """sbcctl COMMAND against the sbc of `work`, as parsed JSON ({} when it did not answer)."""
    r = subprocess.run([sbcctl_path, "--socket", os.path.join(work, "admin.sock"), *command.split()],
                       capture_output=True, text=True, timeout=10)
    try:
        return json.loads(r.stdout)
    except json.JSONDecodeError:
        return {}


def metrics(topo):
    """sbc's Prometheus exposition (text), fetched inside its namespace."""
    # Python rather than curl: the CI image installs only scripts/install-deps.sh's packages.
    fetch = ("import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
             f"'http://127.0.0.1:{METRICS_PORT}/metrics', timeout=5).read().decode())")
    return topo.run(topo.sbc, "python3", "-c", fetch, capture_output=True, text=True,
                    timeout=20).stdout


def metric(text, name, labels=""):
    """The value of one sample, e.g. metric(t, 'sbc_policy_dropped_total',
    'reason="unknown_source"'); None when absent."""
    for line in text.splitlines():
        if line.startswith(name + "{" + labels + "}" if labels else name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def log_file(work, name):
    return open(os.path.join(work, name), "w")


def start(topo, work, sbc_path, sbcctl_path, dataplane_path, procs, **config):
    """Starts sbc-dataplane and sbc in topo's sbc namespace (appended to procs, for the caller's
    cleanup); returns (dataplane, sbc) Popens once sbc is connected to the data plane, or None
    when either failed to start (the logs are in work). `config`: the keywords of configs()."""
    dp_cfg, sbc_cfg = configs(work, **config)
    # A deployment gives the data plane its own cores; on a shared 2-core test machine its
    # real-time priority (rt_priority above: the worker, which sleeps when idle, and the
    # control thread, which must apply flow changes before sbc's answer brings RTP) stands in.
    dp = topo.popen(topo.sbc, dataplane_path, "--config", dp_cfg,
                    stdout=log_file(work, "dataplane.log"), stderr=subprocess.STDOUT)
    procs.append(dp)
    if not wait_for(lambda: os.path.exists(os.path.join(work, "dataplane.sock")), 30,
                    "the data plane's control socket"):
        return None
    sbc = topo.popen(topo.sbc, sbc_path, "run", "--config", sbc_cfg,
                     stdout=log_file(work, "sbc.log"), stderr=subprocess.STDOUT)
    procs.append(sbc)
    if not wait_for(lambda: sbcctl(sbcctl_path, work, "stats").get("dataplane", {}).get("connected"),
                    30, "sbc connected to sbc-dataplane"):
        return None
    return dp, sbc


def start_uas(topo, work, scenarios, procs):
    """The core: a sipp UAS in the inside namespace answering every call and echoing its RTP."""
    uas = topo.popen(topo.inside, "sipp", "-sf", os.path.join(scenarios, "call_uas_echo.xml"),
                     "-i", IN_PEER, "-p", "5060", "-mi", IN_PEER, "-mp", str(UAS_MEDIA_PORT),
                     "-rtp_echo", "-nostdin", stdout=log_file(work, "uas.log"),
                     stderr=subprocess.STDOUT)
    procs.append(uas)
    time.sleep(0.5)
    return uas


def uac_command(scenarios, work, calls, rate, ns_ip=OUT_PEER, name="uac"):
    """sipp placing `calls` calls at `rate` per second to sbc's outside address, each with 7 s
    of G.711 RTP (call_uac_audio.xml)."""
    return ["sipp", f"{OUT_SBC}:5060", "-sf", os.path.join(scenarios, "call_uac_audio.xml"),
            "-s", CALLED, "-i", ns_ip, "-p", "5060", "-mi", ns_ip, "-mp", str(UAC_MEDIA_PORT),
            "-m", str(calls), "-r", str(rate), "-l", str(max(10, rate * 12)), "-nostdin",
            "-timeout", "600s", "-timeout_error", "-trace_stat",
            "-stf", os.path.join(work, f"{name}_stat.csv")]


def sipp_calls(output):
    """(successful, failed) calls from sipp's final statistics screen; -1 when absent."""
    ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", output)
    bad = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", output)
    return (int(ok.group(1)) if ok else -1, int(bad.group(1)) if bad else -1)


def rss_kb(pid):
    """Resident set size of a process in kB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def stop(procs):
    """Terminates what start() and friends started, newest first."""
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


class Processes:
    """`with Processes(procs):` stops every process in procs on the way out (inside the
    Topology's `with`, so that they are gone before their namespaces are)."""

    def __init__(self, procs):
        self.procs = procs

    def __enter__(self):
        return self.procs

    def __exit__(self, *exc):
        stop(self.procs)
