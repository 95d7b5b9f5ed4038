#!/usr/bin/env python3
"""sipvicious (svmap, svwar, svcrack from Debian's package) against the whole product (sbc with
its B2BUA, sbc-dataplane relaying RTP) while a legitimate trunk places real calls, in network
namespaces (tests/e2e/netns.py, prefix fl-sv-):

  outside: sipp UAC (the carrier trunk, 192.0.2.2) placing calls with 7 s of G.711 RTP each,
           and the scanner (another address of the same network, 192.0.2.3);
  inside:  sipp UAS (the core) answering and echoing the RTP.

Checks: svmap's source is banned at its first request (its user agent; policy bans), svmap
lists no SIP device, svwar finds no extension, svcrack never finds a password; a number walker
with an innocent user agent inside a peering trunk's range is banned after exactly
bans.unknown_user 404s (the B2BUA's refusals count, PolicyGate::noteFinalResponse); and every
call the trunk placed during all this completed (sipp: 0 failed). Needs root.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from e2e_util import check, finish  # noqa: E402
from netns import OUT_SBC, Topology  # noqa: E402
import sbc_stack  # noqa: E402

SCANNER = "192.0.2.3"
# A peering partner's whole range is a trunk with no routes yet: every call from it gets 404
# from the B2BUA. A host of that range walking numbers with an innocent user agent is banned by
# the count of those 404s (exempt_trunks off), not by its user agent.
PEERING, WALKER = "192.0.2.4/30", "192.0.2.5"
UNKNOWN_USER_BAN = 5
EXTRA_TRUNKS = f"  - {{name: peering, side: outside, sources: [{PEERING}]}}\n"
POLICY = f"""acl: {{default: allow}}
limits: {{unknown_source: drop}}
bans: {{unknown_user: {UNKNOWN_USER_BAN}, auth_failures: 5, exempt_trunks: false}}
"""

WALK = r"""
import socket, sys
sys.path.insert(0, sys.argv[1])
from policy_sip import request
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], 0))
codes = []
for n in range(int(sys.argv[4])):
    cid = "walk%d@x" % n
    s.sendto(request("INVITE", "+4930%04d" % n, s.getsockname(), 5060, call_id=cid, ua="Z 5.4",
                     host=sys.argv[3]), (sys.argv[3], 5060))
    s.settimeout(2.0)
    code = 0
    try:
        while code < 200:
            data = s.recv(65535)
            if cid.encode() in data:
                code = int(data.split(b" ", 2)[1])
    except socket.timeout:
        pass
    codes.append(code)
print(" ".join(map(str, codes)))
"""


def scan(topo, timeout, *argv):
    """Runs one sipvicious tool from the scanner's address; its report (stdout and stderr)."""
    p = topo.run(topo.out, "timeout", str(timeout), *argv, capture_output=True, text=True,
                 timeout=timeout + 30)
    return p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--prefix", default="fl-sv-")
    ap.add_argument("--call-rate", type=int, default=8, help="calls per second of the trunk")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = tempfile.mkdtemp(prefix="sbc-sipvicious-")
    procs = []
    try:
        with Topology(args.prefix) as topo, sbc_stack.Processes(procs):
            topo.run(topo.out, "ip", "addr", "add", f"{SCANNER}/24", "dev", "o-peer", check=True)
            # Debian's svwar and svcrack ignore --bindingip (they bind to any address): make the
            # scanner's address the source of every unbound socket towards sbc, so that the
            # scan never borrows the trunk's address (sipp binds its own explicitly).
            topo.run(topo.out, "ip", "route", "replace", f"{OUT_SBC}/32", "dev", "o-peer", "src",
                     SCANNER, check=True)
            topo.run(topo.out, "ip", "addr", "add", f"{WALKER}/24", "dev", "o-peer", check=True)
            started = sbc_stack.start(topo, work, args.sbc, args.sbcctl, args.dataplane, procs,
                                      policy_extra=POLICY, extra_trunks=EXTRA_TRUNKS)
            check(started is not None, "sbc-dataplane and sbc started, sbc connected")
            if started is None:
                return finish()
            _, sbc = started
            sbc_stack.start_uas(topo, work, args.scenarios, procs)
            # The trunk calls until the scan is over (SIGUSR1: sipp places no new call and
            # exits once its calls have ended).
            uac_cmd = sbc_stack.uac_command(args.scenarios, work, 100000, args.call_rate)
            t0 = time.time()
            uac = topo.popen(topo.out, *uac_cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
            procs.append(uac)
            time.sleep(8)  # calls up to their steady concurrency before the scan starts
            active = sbc_stack.sbcctl(args.sbcctl, work, "policy").get("calls_active")

            svmap = scan(topo, 30, "svmap", "-p", "5060", "--bindingip", SCANNER, OUT_SBC)
            print(svmap[-500:])
            bans = sbc_stack.sbcctl(args.sbcctl, work, "bans")
            print("bans:", bans)
            banned = [b for b in bans.get("bans", []) if b.get("address") == SCANNER]
            check(len(banned) == 1 and banned[0].get("reason") == "scanner",
                  "svmap's source banned at its first request (scanner user agent)")
            check(OUT_SBC not in svmap.split("SIP Device")[-1] if "SIP Device" in svmap else True,
                  "svmap lists no SIP device")
            svwar = scan(topo, 40, "svwar", "-p", "5060", "--bindingip", SCANNER, "-e100-199",
                         "-m", "INVITE", OUT_SBC)
            print(svwar[-500:])
            found = [line for line in svwar.splitlines()
                     if "reqauth" in line or "noauth" in line or "weird" in line]
            check(not found, f"svwar finds no extension ({found})")
            svcrack = scan(topo, 40, "svcrack", "-p", "5060", "--bindingip", SCANNER, "-u", "100",
                           "-r", "1-300", OUT_SBC)
            print(svcrack[-500:])
            check("password" not in svcrack.lower().replace("passwords", ""),
                  "svcrack finds no password")
            # The number walker: 404 (from the B2BUA: no route) up to the threshold, then silence.
            here = os.path.dirname(os.path.abspath(__file__))
            walk = topo.run(topo.out, sys.executable, "-c", WALK, here, WALKER, OUT_SBC,
                            str(UNKNOWN_USER_BAN + 3), capture_output=True, text=True, timeout=120)
            codes = [int(c) for c in walk.stdout.split()]
            print(f"number walker ({WALKER}, trunk peering): responses {codes} {walk.stderr[-300:]}")
            expect = [404] * UNKNOWN_USER_BAN + [0] * 3
            check(codes == expect, f"the walker got {UNKNOWN_USER_BAN} x 404, then silence (banned "
                  "at the unknown_user threshold by the B2BUA's 404s)")
            bans = sbc_stack.sbcctl(args.sbcctl, work, "bans").get("bans", [])
            check({"address": WALKER, "reason": "unknown_user"}.items() <=
                  next((b for b in bans if b.get("address") == WALKER), {}).items(),
                  f"the walker banned for unknown_user ({bans})")
            check(not any(b.get("address") == "192.0.2.2" for b in bans),
                  "the carrier trunk itself never banned")
            scan_seconds = time.time() - t0 - 8
            policy = sbc_stack.sbcctl(args.sbcctl, work, "policy")
            print("policy dropped:", policy.get("dropped"), "bans added:", policy.get("bans_added"))
            check(policy.get("dropped", {}).get("banned", 0) > 0,
                  "the banned scanner's requests dropped and counted")

            uac.send_signal(signal.SIGUSR1)
            out, _ = uac.communicate(timeout=120)
            with open(os.path.join(work, "uac.log"), "w") as f:
                f.write(out)
            succeeded, failed = sbc_stack.sipp_calls(out)
            print(f"trunk: {succeeded} successful, {failed} failed calls at {args.call_rate}/s "
                  f"({active} active when the scan began; scan {scan_seconds:.0f} s; "
                  f"sipp exit {uac.returncode})")
            check(active is not None and active >= args.call_rate * 5,
                  f"the trunk's calls were concurrent when the scan began ({active} active)")
            check(succeeded >= args.call_rate * scan_seconds * 0.9 and failed == 0,
                  f"every call of the trunk during the scan completed ({succeeded} successful, "
                  f"{failed} failed)")
            check(sbc.poll() is None, "sbc still running")
    finally:
        if os.environ.get("KEEP_WORK"):
            print("work dir:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
