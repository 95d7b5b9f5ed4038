#!/usr/bin/env python3
"""Call flows through the B2BUA end to end: sbc and sbc-dataplane in network namespaces
(netns.py), sipp as the carrier (outside) and the core PBX (inside).

Flows, each a batch of real sipp calls whose scenarios check what arrives (tests/e2e/scenarios/
calls_*.xml): a volume run (--calls, default 1000), BYE from the callee, CANCEL while ringing,
hold/resume by re-INVITE, PRACK (RFC 3262, reliable 183 mapped between legs), failover (a silent
primary, then a destination answering 503, then the one that answers), and a TLS outside leg
(sipp over TCP through a socat TLS bridge: Debian's sipp has no TLS) with UDP inside.
Then: tshark captures of both sides show no address, Call-ID, tag or branch of one side on the
other (and the TLS leg's plaintext, from sipp's message trace, none of the inside); one CDR per
call with the right reasons; no call, flow or transaction left behind.
"""
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

from call_media_e2e import identifiers, sip_texts
from e2e_util import check, finish, wait_for, write
import sbc_stack
from netns import IN_MEDIA, IN_PEER, IN_SBC, OUT_MEDIA, OUT_PEER, OUT_SBC, Topology

SILENT = "10.10.0.3"    # a core destination nobody answers on
BUSY503 = "10.10.0.4"   # a core destination answering 503


def configs(work, cert, key):
    dp = write(os.path.join(work, "dataplane.yaml"), f"""
eal: [-l, "0", --no-huge, -m, "256", --no-pci, --no-shconf, --no-telemetry, --log-level=error]
interfaces:
  - {{name: outside, device: "net_af_packet0,iface=o-sbc", addresses: [{OUT_MEDIA}/24]}}
  - {{name: inside, device: "net_af_packet1,iface=i-sbc", addresses: [{IN_MEDIA}/24]}}
control: {{socket: {work}/dataplane.sock}}
flows: {{capacity: 20000, idle_timeout_ms: 120000}}
""")
    policy = write(os.path.join(work, "policy.yaml"), f"""
version: 1
trunks:
  - name: carrier
    side: outside
    sources: [{OUT_PEER}/32]
    destinations: [{{host: {OUT_PEER}, port: 5060, transport: udp}}]
  - name: core
    side: inside
    sources: [{IN_PEER}/32]
    destinations: [{{host: {IN_PEER}, port: 5060, transport: udp}}]
  - name: core-failover
    side: inside
    sources: [{BUSY503}/32]
    destinations:
      - {{host: {SILENT}, port: 5060, transport: udp, priority: 1}}
      - {{host: {BUSY503}, port: 5060, transport: udp, priority: 2}}
      - {{host: {IN_PEER}, port: 5060, transport: udp, priority: 3}}
    failover: {{codes: [408, 503], timeout_ms: 1000}}
routes:
  - {{name: failover, from: [carrier], user_prefix: "+4930999", target: core-failover}}
  - {{name: carrier-to-core, from: [carrier], target: core}}
  - {{name: core-to-carrier, from: [core], target: carrier}}
""")
    sbc = write(os.path.join(work, "sbc.yaml"), f"""
listeners:
  - {{name: outside-udp, side: outside, transport: udp, address: {OUT_SBC}, port: 5060}}
  - name: outside-tls
    side: outside
    transport: tls
    address: {OUT_SBC}
    port: 5061
    tls: {{certificate: {cert}, private_key: {key}}}
  - {{name: inside-udp, side: inside, transport: udp, address: {IN_SBC}, port: 5060}}
media:
  dataplane_socket: {work}/dataplane.sock
  sides:
    outside: {{address: {OUT_MEDIA}, ports: [20000, 29999]}}
    inside: {{address: {IN_MEDIA}, ports: [30000, 39999]}}
policy: {{files: [{policy}]}}
b2bua: {{cdr_file: {work}/cdr.jsonl, timer_c_seconds: 60, state_dir: {work}/calls}}
admin: {{socket: {work}/admin.sock}}
""")
    return dp, sbc


def sipp_counts(text):
    ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", text)
    bad = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", text)
    return (int(ok.group(1)) if ok else -1), (int(bad.group(1)) if bad else -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--calls", type=int, default=1000, help="calls of the volume run")
    ap.add_argument("--rate", type=int, default=100, help="calls per second of the volume run")
    ap.add_argument("--each", type=int, default=20, help="calls of every other flow")
    ap.add_argument("--prefix", default="b2b-")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 77
    if not os.path.exists(args.dataplane):
        print(f"no sbc-dataplane at {args.dataplane}")
        return 77
    for tool in ("sipp", "tshark", "socat", "openssl"):
        if not shutil.which(tool):
            print(f"{tool} is required (scripts/install-deps.sh installs it)")
            return 1
    work = tempfile.mkdtemp(prefix="sbc-calls-")
    procs = []
    topo = Topology(args.prefix)

    def sbcctl(command):
        r = subprocess.run([args.sbcctl, "--socket", os.path.join(work, "admin.sock"), command],
                           capture_output=True, text=True, timeout=10)
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return {}

    def log(name):
        return open(os.path.join(work, name), "w")

    expected_cdr = {}
    total = 0
    try:
        with topo:
            for extra in (SILENT, BUSY503):
                topo.run(topo.inside, "ip", "addr", "add", f"{extra}/24", "dev", "i-peer",
                         check=True)
            cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=sbc.test"], check=True, capture_output=True)
            dp_cfg, sbc_cfg = configs(work, cert, key)
            procs.append(topo.popen(topo.sbc, args.dataplane, "--config", dp_cfg,
                                    stdout=log("dataplane.log"), stderr=subprocess.STDOUT))
            check(wait_for(lambda: os.path.exists(os.path.join(work, "dataplane.sock")), 30,
                           "the data plane's control socket"), "sbc-dataplane started")
            procs.append(topo.popen(topo.sbc, args.sbc, "run", "--config", sbc_cfg,
                                    stdout=log("sbc.log"), stderr=subprocess.STDOUT))
            check(wait_for(lambda: sbcctl("stats").get("dataplane", {}).get("connected"), 30,
                           "sbc connected to sbc-dataplane"), "sbc connected to sbc-dataplane")

            caps = {}
            for ns, dev, name in ((topo.out, "o-peer", "outside"), (topo.inside, "i-peer", "inside")):
                path = os.path.join(work, name + ".pcap")
                caps[name] = (path, topo.popen(ns, "tshark", "-q", "-B", "64", "-i", dev, "-F", "pcap", "-w",
                                               path, "-f", "udp port 5060",
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
                procs.append(caps[name][1])
            for name, (path, _) in caps.items():
                wait_for(lambda: os.path.exists(path) and os.path.getsize(path) >= 24, 15,
                         f"tshark on {name}")
            time.sleep(1.0)  # tshark opens the file before the interface

            bridge = None

            def flow(name, uac, uas, called, calls, rate, reason, uas_extra=(), tls=False):
                nonlocal total, bridge
                tag = re.sub(r"\W+", "_", name)
                servers = []
                for ip, scenario, n in ((IN_PEER, uas, calls),) + tuple(uas_extra):
                    servers.append(topo.popen(
                        topo.inside, "sipp", "-sf", os.path.join(args.scenarios, scenario),
                        "-i", ip, "-p", "5060", "-mi", ip, "-mp", "40000", "-m", str(n),
                        "-nostdin", "-timeout", "300s", "-timeout_error",
                        stdout=log(f"uas_{tag}_{ip}.log"), stderr=subprocess.STDOUT))
                procs.extend(servers)
                time.sleep(0.5)
                if tls:
                    target, transport = "127.0.0.1:5070", ["-t", "t1", "-i", "127.0.0.1",
                                                            "-p", "5071", "-trace_msg",
                                                            "-message_file",
                                                            os.path.join(work, "tls_uac_msgs.log")]
                else:
                    target, transport = f"{OUT_SBC}:5060", ["-i", OUT_PEER, "-p", "5060"]
                cmd = ["sipp", target, "-sf", os.path.join(args.scenarios, uac), "-s", called,
                       *transport, "-mi", OUT_PEER, "-mp", "16000", "-m", str(calls),
                       "-r", str(rate), "-l", str(max(20, rate * 4)), "-nostdin",
                       "-timeout", "300s", "-timeout_error"]
                uac_run = topo.run(topo.out, *cmd, capture_output=True, text=True, timeout=600)
                with open(os.path.join(work, f"uac_{tag}.log"), "w") as f:
                    f.write(uac_run.stdout + uac_run.stderr)
                ok, bad = sipp_counts(uac_run.stdout)
                uas_ok = True
                for s in servers:
                    try:
                        uas_ok = s.wait(timeout=60) == 0 and uas_ok
                    except subprocess.TimeoutExpired:
                        s.kill()
                        uas_ok = False
                check(uac_run.returncode == 0 and ok == calls and bad == 0 and uas_ok,
                      f"{name}: {calls} call(s), carrier side {ok} successful / {bad} failed, "
                      f"core side {'all' if uas_ok else 'NOT all'} as scripted")
                total += calls
                expected_cdr[reason] = expected_cdr.get(reason, 0) + calls

            flow(f"volume ({args.calls} calls at {args.rate}/s)", "calls_uac_plain.xml",
                 "calls_uas_plain.xml", "+4930555000", args.calls, args.rate, "caller_bye")
            flow("BYE from the callee", "calls_uac_callee_bye.xml", "calls_uas_callee_bye.xml",
                 "+4930555001", args.each, 10, "callee_bye")
            flow("CANCEL while ringing", "calls_uac_cancel.xml", "calls_uas_cancel.xml",
                 "+4930555002", args.each, 10, "cancelled")
            flow("hold and resume by re-INVITE", "calls_uac_hold.xml", "calls_uas_hold.xml",
                 "+4930555003", args.each, 10, "caller_bye")
            flow("PRACK (reliable 183 with early media)", "calls_uac_prack.xml",
                 "calls_uas_prack.xml", "+4930555004", args.each, 10, "caller_bye")
            failover_calls = max(2, args.each // 4)
            flow("failover: silent primary, 503 from the second, the third answers",
                 "calls_uac_plain.xml", "calls_uas_plain.xml", "+4930999000", failover_calls, 2,
                 "caller_bye", uas_extra=((BUSY503, "calls_uas_503.xml", failover_calls),))

            bridge = topo.popen(topo.out, "socat", "TCP-LISTEN:5070,bind=127.0.0.1,reuseaddr,fork",
                                f"OPENSSL:{OUT_SBC}:5061,verify=0",
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(bridge)
            time.sleep(0.5)
            flow("TLS outside (socat bridge), UDP inside", "calls_uac_plain.xml",
                 "calls_uas_plain.xml", "+4930555005", args.each, 10, "caller_bye", tls=True)

            # Nothing left behind.
            check(wait_for(lambda: sbcctl("status").get("calls", {}).get("active") == 0, 15,
                           "no active call"), "no call left in sbc")
            check(wait_for(lambda: sbcctl("flows").get("count") == 0, 15, "flows released"),
                  "every flow removed from the data plane")
            calls = sbcctl("status").get("calls", {})
            print("   sbc call counters:", {k: v for k, v in calls.items() if v})
            check(calls.get("failovers", 0) >= 2 * failover_calls,
                  f"{calls.get('failovers')} failovers for {failover_calls} failover call(s) (>= 2 each)")
            check(calls.get("cancelled") == args.each, f"{calls.get('cancelled')} calls cancelled")
            # Every established call was written to the state directory and removed at its end.
            state = os.path.join(work, "calls")
            left = os.listdir(state) if os.path.isdir(state) else ["(no state directory)"]
            check(os.path.isdir(state) and not left and calls.get("store_write_failures") == 0,
                  f"call records: {len(left)} left in the state directory, "
                  f"{calls.get('store_write_failures')} write failures")

            time.sleep(1.0)
            for _, p in caps.values():
                p.send_signal(signal.SIGINT)
            for _, p in caps.values():
                p.wait(timeout=30)

            # Topology hiding: nothing of one side in the other's SIP.
            out_sip, in_sip = sip_texts(caps["outside"][0]), sip_texts(caps["inside"][0])
            check(len(out_sip) >= 5 * args.calls and len(in_sip) >= 5 * args.calls,
                  f"captured {len(out_sip)} SIP messages outside, {len(in_sip)} inside")
            out_text = "\n".join(t for _, _, t in out_sip)
            in_text = "\n".join(t for _, _, t in in_sip)
            tls_path = os.path.join(work, "tls_uac_msgs.log")
            tls_text = open(tls_path, errors="replace").read() if os.path.exists(tls_path) else ""
            check("INVITE sip:" in tls_text and "SIP/2.0 200" in tls_text,
                  "the TLS leg's plaintext was traced")
            for needle in (IN_PEER, IN_SBC, IN_MEDIA, "10.10.0.", "core-pbx-internal",
                           "X-Internal-Route", "rr.core"):
                check(needle not in out_text and needle not in tls_text,
                      f"outside (UDP and TLS) has no '{needle}'")
            for needle in (OUT_PEER, OUT_SBC, OUT_MEDIA, "192.0.2.", "127.0.0.1", "carrier-uac",
                           "X-Carrier-Secret"):
                check(needle not in in_text, f"inside has no '{needle}'")
            in_ids, out_ids = identifiers(in_sip), identifiers(out_sip)
            out_ids |= identifiers([("", "", tls_text)])
            leaked_in = sorted(i for i in in_ids if i in out_text or i in tls_text)
            leaked_out = sorted(i for i in out_ids if i in in_text)
            check(in_ids and not leaked_in,
                  f"no inside Call-ID/tag/branch outside ({len(in_ids)} checked; leaked: {leaked_in[:3]})")
            check(out_ids and not leaked_out,
                  f"no outside Call-ID/tag/branch inside ({len(out_ids)} checked; leaked: {leaked_out[:3]})")

            cdr = os.path.join(work, "cdr.jsonl")
            records = [json.loads(line) for line in open(cdr)] if os.path.exists(cdr) else []
            check(len(records) == total, f"{len(records)} CDR line(s) for {total} call(s)")
            reasons = {}
            for r in records:
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
            check(reasons == expected_cdr, f"CDR reasons {reasons} (expected {expected_cdr})")
            answered = [r for r in records if r["result"] == 200]
            check(all(r["answer"] and r["media"] for r in answered),
                  f"{len(answered)} answered calls have answer times and per-leg media stats")
    finally:
        sbc_stack.stop(procs)
        if os.environ.get("KEEP_WORK"):
            print("work dir:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
