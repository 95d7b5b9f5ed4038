#!/usr/bin/env python3
"""The command lines of sbc and sbcctl, and sbcctl against a running sbc."""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_util import check, finish, free_port


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    a = ap.parse_args()

    r = run([a.sbc, "--help"])
    check(r.returncode == 0 and "run --config FILE" in r.stdout, "sbc --help")
    r = run([a.sbc, "version"])
    check(r.returncode == 0 and r.stdout.startswith("sbc "), "sbc version")
    r = run([a.sbc])
    check(r.returncode == 2 and "missing command" in r.stderr, "sbc without a command exits 2")
    r = run([a.sbc, "frobnicate"])
    check(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, "sbc unknown command exits 2")
    r = run([a.sbcctl, "--help"])
    check(r.returncode == 0 and "status" in r.stdout, "sbcctl --help")
    r = run([a.sbcctl, "bogus"])
    check(r.returncode == 2 and "unknown command 'bogus'" in r.stderr, "sbcctl unknown command exits 2")

    work = tempfile.mkdtemp(prefix="sbc-cli-")
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as f:
        f.write("listeners:\n  - {name: a, transport: udp, address: 127.0.0.1, port: 99999}\n")
    r = run([a.sbc, "config", "check", bad])
    check(r.returncode == 1 and f"{bad}:2:57: error: port must be between 0 and 65535" in r.stderr,
          "sbc config check reports FILE:LINE:COL and exits 1")
    r = run([a.sbc, "run", "--config", bad])
    check(r.returncode == 1 and f"{bad}:2:57: error:" in r.stderr, "sbc run refuses a bad config")

    port = free_port()
    mport = free_port()
    sock_path = os.path.join(work, "admin.sock")
    good = os.path.join(work, "good.yaml")
    with open(good, "w") as f:
        f.write(f"listeners:\n  - {{name: out-udp, transport: udp, address: 127.0.0.1, port: {port}}}\n"
                f"admin: {{socket: {sock_path}}}\n"
                f"metrics: {{listen: '127.0.0.1:{mport}'}}\n")
    r = run([a.sbc, "config", "check", good])
    check(r.returncode == 0 and r.stderr == "", "sbc config check accepts a good config")

    p = subprocess.Popen([a.sbc, "run", "--config", good], stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            if os.path.exists(sock_path):
                break
            time.sleep(0.05)
        check(os.path.exists(sock_path), "admin socket created")
        if os.path.exists(sock_path):
            check(oct(os.stat(sock_path).st_mode & 0o777) == "0o600", "admin socket is mode 0600")
        # A few OPTIONS and one junk datagram, then the counters must show them.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        for i in range(3):
            s.sendto((f"OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKcli{i}\r\n"
                      f"From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: cli{i}\r\nCSeq: 1 OPTIONS\r\n"
                      "Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
            s.recvfrom(65535)
        s.sendto(b"NOT SIP AT ALL\r\n\r\n", ("127.0.0.1", port))
        time.sleep(0.2)
        s.close()
        r = run([a.sbcctl, "--socket", sock_path, "status"])
        check(r.returncode == 0, "sbcctl status exits 0")
        try:
            st = json.loads(r.stdout)
        except json.JSONDecodeError:
            st = {}
        check(st.get("listeners", [{}])[0].get("endpoint") == f"127.0.0.1:{port}", "status lists the listener")
        check(st.get("sip", {}).get("options_answered") == 3, "status counts 3 OPTIONS answered")
        check(st.get("sip", {}).get("parse_errors", {}).get("bad_start_line") == 1,
              "status counts the junk datagram as bad_start_line")
        # Prometheus: the same counters on the metrics listener, valid exposition format.
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5).read().decode()
        except OSError as e:
            text = ""
            print(f"metrics scrape failed: {e}")
        check("sbc_sip_options_answered_total 3" in text, "metrics: sbc_sip_options_answered_total 3")
        check('sbc_sip_parse_errors_total{reason="bad_start_line"} 1' in text,
              "metrics: parse error counted by reason")
        check('sbc_sip_responses_sent_total{class="2xx"} 3' in text, "metrics: responses by class")
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
            check(r.returncode == 0, "promtool check metrics accepts the exposition" +
                  ("" if r.returncode == 0 else ": " + r.stdout + r.stderr))
        else:
            check(False, "promtool is installed (package prometheus)")
        r = run([a.sbcctl, "--socket", os.path.join(work, "nope.sock"), "status"])
        check(r.returncode == 1 and "cannot connect" in r.stderr, "sbcctl without sbc fails clearly")
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
    check(p.returncode == 0, f"sbc exits 0 on SIGTERM (rc={p.returncode})")
    check("event=listening" in err and "event=stopped" in err, "sbc logs listening and stopped")
    check(not os.path.exists(sock_path), "admin socket removed at exit")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
