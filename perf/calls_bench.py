#!/usr/bin/env python3
"""Call set-up rate through sbc's B2BUA (signalling with media relay allocated per call), and the
same calls through Debian's kamailio with topoh (topology hiding proxy) as a peer, in one
invocation.

    sudo perf/calls_bench.py --sbc build/sbc/sbc --sbcctl build/sbc/sbcctl \\
        --dataplane PATH/sbc-dataplane [--kamailio /usr/sbin/kamailio]

Topology: tests/e2e/netns.py (carrier sipp UAC outside, core sipp UAS inside, sbc in the middle),
namespaces prefixed "b2bp-". For rising rates (calls per second) sipp places rate x --seconds
calls (sipp's built-in uac/uas: INVITE with SDP, 180, 200, ACK, BYE); a step passes when every
call succeeds. Printed per step: calls, failures, the element's CPU seconds (utime + stime of its
processes, from /proc) per 1,000 calls. Then: the highest rate with 0 failures, and the CPU-per-
call ratio sbc / kamailio at the highest rate both passed. Nothing is asserted: figures only.
"""
import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from netns import IN_MEDIA, IN_PEER, IN_SBC, OUT_MEDIA, OUT_PEER, OUT_SBC, Topology  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / TICKS


def children(pid):
    """pid and every descendant (kamailio forks workers; `ip netns exec` execs)."""
    out = [pid]
    try:
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return out
    for k in kids.split():
        out += children(int(k))
    return out


def wait_for(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def sbc_configs(work):
    dp = write(os.path.join(work, "dataplane.yaml"), f"""
eal: [-l, "0", --no-huge, -m, "256", --no-pci, --no-shconf, --no-telemetry, --log-level=error]
interfaces:
  - {{name: outside, device: "net_af_packet0,iface=o-sbc", addresses: [{OUT_MEDIA}/24]}}
  - {{name: inside, device: "net_af_packet1,iface=i-sbc", addresses: [{IN_MEDIA}/24]}}
control: {{socket: {work}/dataplane.sock}}
flows: {{capacity: 200000, idle_timeout_ms: 120000}}
""")
    policy = write(os.path.join(work, "policy.yaml"), f"""
version: 1
trunks:
  - {{name: carrier, side: outside, sources: [{OUT_PEER}/32],
     destinations: [{{host: {OUT_PEER}, port: 5060, transport: udp}}]}}
  - {{name: core, side: inside, sources: [{IN_PEER}/32],
     destinations: [{{host: {IN_PEER}, port: 5060, transport: udp}}]}}
routes:
  - {{name: in, from: [carrier], target: core}}
""")
    sbc = write(os.path.join(work, "sbc.yaml"), f"""
listeners:
  - {{name: outside-udp, side: outside, transport: udp, address: {OUT_SBC}, port: 5060}}
  - {{name: inside-udp, side: inside, transport: udp, address: {IN_SBC}, port: 5060}}
media:
  dataplane_socket: {work}/dataplane.sock
  sides:
    outside: {{address: {OUT_MEDIA}, ports: [10000, 59999]}}
    inside: {{address: {IN_MEDIA}, ports: [10000, 59999]}}
policy: {{files: [{policy}]}}
b2bua: {{}}
timers: {{max_transactions: 1000000}}
admin: {{socket: {work}/admin.sock}}
""")
    return dp, sbc


def kamailio_config(work):
    # A stateful proxy with topoh (Via, Record-Route, Contact and Call-ID masked), forwarding
    # carrier calls to the core: the usual open-source "topology hiding" element.
    return write(os.path.join(work, "kamailio.cfg"), f"""#!KAMAILIO
listen=udp:{OUT_SBC}:5060
listen=udp:{IN_SBC}:5060
children=1
mhomed=1
log_stderror=yes
debug=-1
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "topoh.so"
modparam("topoh", "mask_key", "b2bua-bench")
modparam("topoh", "mask_ip", "{IN_SBC}")
modparam("topoh", "mask_callid", 1)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK") && t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    record_route();
    $du = "sip:{IN_PEER}:5060";
    t_relay();
}}
""")


def step(topo, rate, seconds, pids, work):
    calls = rate * seconds
    before = cpu_seconds(pids)
    r = topo.run(topo.out, "sipp", f"{OUT_SBC}:5060", "-sn", "uac", "-s", "+4930555000",
                 "-i", OUT_PEER, "-p", "5060", "-mi", OUT_PEER, "-mp", "16000",
                 "-m", str(calls), "-r", str(rate), "-l", str(rate * 4), "-nostdin",
                 "-timeout", str(seconds * 4 + 30) + "s", "-timeout_error",
                 capture_output=True, text=True, timeout=seconds * 6 + 120)
    used = cpu_seconds(pids) - before
    ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", r.stdout)
    succeeded = int(ok.group(1)) if ok else 0
    failed = calls - succeeded
    per1000 = used * 1000.0 / max(succeeded, 1)
    return failed, per1000


def run_element(name, topo, start, pids_of, rates, seconds, work):
    print(f"== {name}")
    procs = start()
    time.sleep(1.0)
    uas = topo.popen(topo.inside, "sipp", "-sn", "uas",
                     "-i", IN_PEER, "-p", "5060", "-mi", IN_PEER, "-mp", "40000", "-nostdin",
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    results = {}
    try:
        for rate in rates:
            failed, per1000 = step(topo, rate, seconds, pids_of(procs), work)
            results[rate] = (failed, per1000)
            print(f"   {rate:5d} calls/s x {seconds} s: {failed:5d} failed, "
                  f"{per1000:6.3f} CPU s per 1,000 calls")
            if failed:
                break
            time.sleep(2.0)  # let timers (L, M, K) drain between steps
    finally:
        uas.terminate()
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        time.sleep(0.5)
    passed = [r for r, (f, _) in results.items() if f == 0]
    best = max(passed) if passed else 0
    print(f"   max rate with 0 failures: {best} calls/s")
    return results, best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--kamailio", default=shutil.which("kamailio") or "/usr/sbin/kamailio")
    ap.add_argument("--rates", default="100,200,400,800,1200,1600,2400")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--prefix", default="b2bp-")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 1
    rates = [int(r) for r in args.rates.split(",")]
    cpu = "?"
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
    except (OSError, AttributeError):
        pass
    print(f"machine: {platform.node()}, {os.cpu_count()} CPU ({cpu}), {platform.platform()}")
    work = tempfile.mkdtemp(prefix="sbc-bench-")
    topo = Topology(args.prefix)
    try:
        with topo:
            dp_cfg, sbc_cfg = sbc_configs(work)

            def start_sbc():
                dp = topo.popen(topo.sbc, args.dataplane, "--config", dp_cfg,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_for(lambda: os.path.exists(os.path.join(work, "dataplane.sock")), 30)
                sbc = topo.popen(topo.sbc, args.sbc, "run", "--config", sbc_cfg,
                                 stdout=open(os.path.join(work, "sbc.log"), "w"),
                                 stderr=subprocess.STDOUT)
                time.sleep(1.0)
                return [dp, sbc]

            # CPU of sbc only (the data plane polls; its cost is per packet, not per call).
            sbc_results, sbc_best = run_element(
                "sbc (B2BUA, media relay ports allocated per call)", topo, start_sbc,
                lambda procs: children(procs[1].pid), rates, args.seconds, work)

            kam_results, kam_best = {}, 0
            if os.path.exists(args.kamailio):
                kcfg = kamailio_config(work)

                def start_kamailio():
                    k = topo.popen(topo.sbc, args.kamailio, "-DD", "-E", "-f", kcfg,
                                   "-P", os.path.join(work, "kamailio.pid"),
                                   stdout=open(os.path.join(work, "kamailio.log"), "w"),
                                   stderr=subprocess.STDOUT)
                    time.sleep(1.0)
                    return [k]

                kam_results, kam_best = run_element(
                    "kamailio with topoh (stateful proxy, no media)", topo, start_kamailio,
                    lambda procs: children(procs[0].pid), rates, args.seconds, work)
            else:
                print(f"== kamailio not found at {args.kamailio}: no comparison")

            both = [r for r in rates if sbc_results.get(r, (1,))[0] == 0
                    and kam_results.get(r, (1,))[0] == 0]
            if both:
                r = max(both)
                s, k = sbc_results[r][1], kam_results[r][1]
                print(f"== at {r} calls/s: sbc {s:.3f} vs kamailio {k:.3f} CPU s per 1,000 calls; "
                      f"ratio sbc/kamailio = {s / k if k else float('inf'):.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
