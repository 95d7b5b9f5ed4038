#!/usr/bin/env python3
"""OPTIONS pinging marks a trunk destination down and back up, and calls follow it (issue 5).

sbc and sbc-dataplane in network namespaces (netns.py). The core trunk has two destinations: a
primary (10.10.0.5, priority 1) and a secondary (10.10.0.2, priority 2), each a sipp UAS that
answers OPTIONS (-aa). Pinging is enabled (every second, down after 2 failed pings, up after 1).

1. Both answer: `sbcctl destinations` and the metric sbc_destination_up show both up; calls go to
   the primary (CDR destination).
2. The primary goes silent (its sipp is killed): within the ping timeout (timer F = 64*T1) times
   two it is shown down (sbcctl, metric, log line destination_down); calls now go straight to the
   secondary: no failover, no wait for the dead primary.
3. The primary comes back: it is shown up again (destination_up) and takes the calls again.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import sbc_stack
from e2e_util import check, finish, wait_for
from netns import IN_PEER, OUT_PEER, OUT_SBC, Topology

PRIMARY = "10.10.0.5"
SECONDARY = IN_PEER
T1_MS = 50  # timer F = 3.2 s: a silent destination fails a ping in ~3 s
CORE = dict(
    core_sources=f"[{PRIMARY}/32, {SECONDARY}/32]",
    core_destinations=f"[{{host: {PRIMARY}, port: 5060, transport: udp, priority: 1}}, "
                      f"{{host: {SECONDARY}, port: 5060, transport: udp, priority: 2}}]",
    core_extra="options_ping: {enabled: true, interval_ms: 1000, failures_to_down: 2, "
               "successes_to_up: 1}\n"
               "failover: {codes: [408, 503], timeout_ms: 2000}",
    sbc_extra=f"timers: {{t1_ms: {T1_MS}}}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--calls", type=int, default=10, help="calls per phase")
    ap.add_argument("--prefix", default="dst-")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 77
    work = tempfile.mkdtemp(prefix="sbc-destinations-")
    procs = []
    topo = Topology(args.prefix)

    def log(name):
        return open(os.path.join(work, name), "w")

    def sbcctl(command):
        return sbc_stack.sbcctl(args.sbcctl, work, command)

    def states():
        return {d["destination"].split(":")[0]: d["state"]
                for d in sbcctl("destinations").get("destinations", [])}

    def metric_up():
        up = {}
        for m in re.finditer(r'^sbc_destination_up\{([^}]*)\} (\S+)$', sbc_stack.metrics(topo),
                             re.M):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            up[labels.get("destination", "").split(":")[0]] = float(m.group(2))
        return up

    def start_uas(ip):
        p = topo.popen(topo.inside, "sipp", "-sf", os.path.join(args.scenarios, "calls_uas_plain.xml"),
                       "-i", ip, "-p", "5060", "-mi", ip, "-mp", "40000", "-aa", "-nostdin",
                       stdout=log(f"uas_{ip}_{time.time():.0f}.log"), stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def failovers():
        return sbcctl("status").get("calls", {}).get("failovers", -1)

    def place_calls(phase):
        before = len(cdrs())
        r = topo.run(topo.out, "sipp", f"{OUT_SBC}:5060",
                     "-sf", os.path.join(args.scenarios, "calls_uac_plain.xml"), "-s", "+4930123",
                     "-i", OUT_PEER, "-p", "5060", "-mi", OUT_PEER, "-mp", "16000",
                     "-m", str(args.calls), "-r", "5", "-nostdin", "-timeout", "120s",
                     "-timeout_error", capture_output=True, text=True, timeout=300)
        with open(os.path.join(work, f"uac_{phase}.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", r.stdout)
        wait_for(lambda: len(cdrs()) >= before + args.calls, 10, "the CDRs of the calls")
        new = cdrs()[before:]
        return (int(ok.group(1)) if ok else -1), [c.get("destination", "") for c in new]

    def cdrs():
        try:
            with open(os.path.join(work, "cdr.jsonl")) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    try:
        with topo:
            topo.run(topo.inside, "ip", "addr", "add", f"{PRIMARY}/24", "dev", "i-peer", check=True)
            primary = start_uas(PRIMARY)
            start_uas(SECONDARY)
            started = sbc_stack.start(topo, work, args.sbc, args.sbcctl, args.dataplane, procs,
                                      **CORE)
            check(started is not None, "sbc-dataplane and sbc started, sbc connected")
            if started is None:
                return finish()

            # 1. Both up.
            check(wait_for(lambda: states() == {PRIMARY: "up", SECONDARY: "up"} and
                           sbcctl("status").get("calls", {}).get("pings_answered", 0) >= 2, 15,
                           "both destinations answered pings"),
                  f"sbcctl destinations: both up after answered pings ({states()})")
            check(metric_up() == {PRIMARY: 1.0, SECONDARY: 1.0},
                  f"sbc_destination_up is 1 for both ({metric_up()})")
            ok, dests = place_calls("both_up")
            check(ok == args.calls and all(d.startswith(PRIMARY) for d in dests),
                  f"{ok}/{args.calls} calls completed, all via the primary ({sorted(set(dests))})")

            # 2. The primary goes silent.
            primary.kill()
            primary.wait()
            t_kill = time.time()
            check(wait_for(lambda: states().get(PRIMARY) == "down", 30, "the primary marked down"),
                  f"the silent primary is shown down after {time.time() - t_kill:.1f} s "
                  f"(2 pings of timer F = {64 * T1_MS / 1000:.1f} s each)")
            check(states().get(SECONDARY) == "up", "the secondary stays up")
            check(metric_up() == {PRIMARY: 0.0, SECONDARY: 1.0},
                  f"sbc_destination_up: primary 0, secondary 1 ({metric_up()})")
            before = failovers()
            t0 = time.time()
            ok, dests = place_calls("primary_down")
            took = time.time() - t0
            check(ok == args.calls and all(d.startswith(SECONDARY) for d in dests),
                  f"{ok}/{args.calls} calls completed, all via the secondary ({sorted(set(dests))})")
            check(failovers() == before,
                  f"no failover: calls skip the down primary (failovers {before} -> {failovers()}), "
                  f"{took:.1f} s for {args.calls} calls")

            # 3. The primary returns.
            start_uas(PRIMARY)
            t_back = time.time()
            check(wait_for(lambda: states().get(PRIMARY) == "up", 30, "the primary marked up"),
                  f"the returning primary is shown up again after {time.time() - t_back:.1f} s")
            check(metric_up() == {PRIMARY: 1.0, SECONDARY: 1.0}, "sbc_destination_up back to 1")
            ok, dests = place_calls("primary_back")
            check(ok == args.calls and all(d.startswith(PRIMARY) for d in dests),
                  f"{ok}/{args.calls} calls completed, all via the primary again "
                  f"({sorted(set(dests))})")

            with open(os.path.join(work, "sbc.log")) as f:
                text = f.read()
            down = [l for l in text.splitlines() if "destination_down" in l]
            up = [l for l in text.splitlines() if "destination_up" in l]
            check(len(down) == 1 and PRIMARY in down[0] and len(up) == 1 and PRIMARY in up[0],
                  "sbc logged destination_down and destination_up once each, for the primary")
            for line in down + up:
                print("   " + line.strip())
            status = sbcctl("status").get("calls", {})
            check(status.get("destinations_marked_down") == 1 and
                  status.get("destinations_marked_up") == 1 and status.get("destinations_down") == 0,
                  "status counts one mark-down, one mark-up, none down now")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        print(f"   logs in {work}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
