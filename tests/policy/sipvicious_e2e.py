#!/usr/bin/env python3
"""sipvicious (svmap, svwar, svcrack from Debian's package) from namespace pol-out against sbc
with a policy, while a legitimate trunk in the same namespace (another address) keeps sending
OPTIONS and INVITEs: the scanner is banned at once (its user agent), svwar finds no extension,
svcrack never finds a password, and every request of the trunk gets its answer (200 / 404 from
the core, never a policy refusal or silence). Needs root (namespaces)."""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from e2e_util import check, finish  # noqa: E402
from policy_sip import sbcctl, write  # noqa: E402

NS = "pol-out"
HOST, SCANNER, TRUNK = "10.99.0.1", "10.99.0.2", "10.99.0.3"
PORT = 5070

TRUNK_SENDER = r"""
import random, socket, sys, time
sys.path.insert(0, %(dir)r)
from policy_sip import request
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((%(src)r, 0))
s.settimeout(2.0)
sent = answered = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    method = "OPTIONS" if sent %% 2 else "INVITE"
    cid = "%%016x@trunk" %% random.getrandbits(64)
    msg = request(method, "+4930%%d" %% sent, s.getsockname(), %(port)d, call_id=cid,
                  host=%(host)r, ua="carrier-sbc/1.0")
    sent += 1
    # Retransmit like an RFC 3261 UAC over UDP (timer A: 0.5 s, doubling) until answered.
    s.settimeout(0.5)
    for attempt in range(4):
        s.sendto(msg, (%(host)r, %(port)d))
        got = False
        try:
            while True:
                data = s.recv(65535)
                code = int(data.split(b" ", 2)[1])
                if cid.encode() in data and code >= 200:
                    ok = (method == "OPTIONS" and code == 200) or (method == "INVITE" and code == 404)
                    answered += 1 if ok else 0
                    got = True
                    break
        except socket.timeout:
            pass
        if got:
            break
        s.settimeout(0.5 * 2 ** (attempt + 1))
    time.sleep(0.05)
print(sent, answered)
"""


def sh(*cmd, check_rc=True, timeout=60):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check_rc)


def setup():
    teardown()
    sh("ip", "netns", "add", NS)
    sh("ip", "link", "add", "pol-h0", "type", "veth", "peer", "name", "pol-o0")
    sh("ip", "link", "set", "pol-o0", "netns", NS)
    sh("ip", "addr", "add", f"{HOST}/24", "dev", "pol-h0")
    sh("ip", "link", "set", "pol-h0", "up")
    for a in (SCANNER, TRUNK):
        sh("ip", "netns", "exec", NS, "ip", "addr", "add", f"{a}/24", "dev", "pol-o0")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "pol-o0", "up")
    sh("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up")


def teardown():
    sh("ip", "link", "del", "pol-h0", check_rc=False)
    sh("ip", "netns", "del", NS, check_rc=False)


def in_ns(*cmd, timeout=120):
    p = subprocess.run(["ip", "netns", "exec", NS, *cmd], capture_output=True, text=True,
                       timeout=timeout)
    p.stdout += p.stderr  # sipvicious reports on both
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root for network namespaces")
        return 77
    work = tempfile.mkdtemp(prefix="sbc-pol-sv-")
    policy = os.path.join(work, "policy.yaml")
    write(policy, "version: 1\n"
                  "trunks:\n"
                  f"  - {{name: carrier, side: outside, sources: [{TRUNK}/32]}}\n"
                  "acl: {default: allow}\n"
                  "limits: {unknown_source: drop}\n"
                  "bans: {unknown_user: 5, auth_failures: 5}\n")
    sock = os.path.join(work, "admin.sock")
    cfg = os.path.join(work, "sbc.yaml")
    write(cfg, f"listeners:\n  - {{name: out, transport: udp, address: {HOST}, port: {PORT}}}\n"
               f"admin: {{socket: {sock}}}\npolicy: [{policy}]\n")
    setup()
    log = open(os.path.join(work, "sbc.log"), "w")
    proc = subprocess.Popen([os.path.abspath(a.sbc), "run", "--config", cfg], stdout=log,
                            stderr=subprocess.STDOUT)
    ctl = os.path.abspath(a.sbcctl)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and not os.path.exists(sock):
            time.sleep(0.05)
        here = os.path.dirname(os.path.abspath(__file__))
        sender_src = TRUNK_SENDER % {"dir": here, "src": TRUNK, "host": HOST, "port": PORT}
        result = {}

        def trunk_traffic():
            p = in_ns(sys.executable, "-c", sender_src, "40", timeout=120)
            result["out"] = p.stdout.strip() + p.stderr.strip()

        t = threading.Thread(target=trunk_traffic)
        t.start()
        time.sleep(1)
        svmap = in_ns("timeout", "30", "svmap", "-p", str(PORT), "--bindingip", SCANNER, HOST)
        print(svmap.stdout[-500:])
        rc, out = sbcctl(ctl, sock, "bans")
        check(f'"address":"{SCANNER}","reason":"scanner"' in out,
              f"svmap's source banned at its first request ({out.strip()})")
        check(HOST not in svmap.stdout.split("SIP Device")[-1] if "SIP Device" in svmap.stdout
              else True, "svmap lists no SIP device")
        svwar = in_ns("timeout", "40", "svwar", "-p", str(PORT), "--bindingip", SCANNER,
                      "-e100-199", "-m", "INVITE", HOST)
        print(svwar.stdout[-500:])
        found = [l for l in svwar.stdout.splitlines()
                 if "reqauth" in l or "noauth" in l or "weird" in l]
        check(not found, f"svwar finds no extension ({found})")
        svcrack = in_ns("timeout", "40", "svcrack", "-p", str(PORT), "--bindingip", SCANNER,
                        "-u", "100", "-r", "1-300", HOST)
        print(svcrack.stdout[-500:])
        check("password" not in svcrack.stdout.lower().replace("passwords", ""),
              "svcrack finds no password")
        t.join()
        sent, answered = (int(x) for x in result.get("out", "0 0").split()[:2])
        check(sent > 50 and answered == sent,
              f"legitimate trunk answered throughout the scan ({answered}/{sent})")
        check(proc.poll() is None, "sbc still running")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        teardown()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
