#!/usr/bin/env python3
"""deploy/ stays true to sbc: the example config passes `sbc config check`, the Prometheus config
and alert rules pass promtool, the Grafana dashboard is valid JSON, and every sbc_ metric that the
rules and the dashboard use is one a running sbc really exposes."""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from e2e_util import check, finish, free_port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--deploy", required=True)
    a = ap.parse_args()
    d = a.deploy

    r = subprocess.run([a.sbc, "config", "check", os.path.join(d, "sbc.yaml")], capture_output=True, text=True)
    check(r.returncode == 0, "deploy/sbc.yaml passes sbc config check " + r.stderr.strip())
    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool installed")
    if promtool:
        r = subprocess.run([promtool, "check", "rules", os.path.join(d, "prometheus", "sbc-alerts.yml")],
                           capture_output=True, text=True)
        check(r.returncode == 0, "promtool check rules " + r.stdout.strip().replace("\n", " "))
        r = subprocess.run([promtool, "check", "config", os.path.join(d, "prometheus", "prometheus.yml")],
                           capture_output=True, text=True)
        check(r.returncode == 0, "promtool check config")
    with open(os.path.join(d, "grafana", "sbc-dashboard.json")) as f:
        dash_text = f.read()
    try:
        dash = json.loads(dash_text)
        check(len(dash.get("panels", [])) >= 6, "dashboard parses and has panels")
    except json.JSONDecodeError as e:
        check(False, f"dashboard is JSON: {e}")
    with open(os.path.join(d, "prometheus", "sbc-alerts.yml")) as f:
        rules_text = f.read()
    used = set(re.findall(r"\bsbc_[a-z0-9_]+", dash_text + rules_text))
    check(len(used) >= 8, f"rules and dashboard use {len(used)} sbc metrics")

    work = tempfile.mkdtemp(prefix="sbc-deploy-")
    udp, mport = free_port(), free_port(kind=socket.SOCK_STREAM)
    cfg = os.path.join(work, "sbc.yaml")
    with open(cfg, "w") as f:
        f.write(f"listeners:\n  - {{name: u, transport: udp, address: 127.0.0.1, port: {udp}}}\n"
                f"metrics: {{listen: '127.0.0.1:{mport}'}}\n")
    p = subprocess.Popen([a.sbc, "run", "--config", cfg], stderr=subprocess.DEVNULL)
    text = ""
    try:
        for _ in range(100):
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.05)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    exposed = set(re.findall(r"^(sbc_[a-z0-9_]+)", text, re.M))
    check(len(exposed) > 0, f"sbc exposes {len(exposed)} sbc_ metrics")
    missing = sorted(used - exposed)
    check(not missing, "every metric used by deploy/ exists: missing " + ", ".join(missing))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
