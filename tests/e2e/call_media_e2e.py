#!/usr/bin/env python3
"""Calls with media through sbc and sbc-dataplane, end to end, in network namespaces (netns.py):

  sipp UAC (outside, plays G.711 RTP) -> sbc -> sipp UAS (inside, echoes RTP) and back.

Checks: every call completes (sipp's own count); RTP reaches the inside from sbc's inside media
address and the echo comes back to the outside from sbc's outside media address, for every call;
the data plane's flows are all gone after the calls (released at BYE); tshark captures on both
sides show no address, Call-ID, tag, branch or internal header of one side on the other.
With --restart sbc: sbc is SIGKILLed mid-call and a new one started; it re-adopts the call from
the state directory, the call's BYE gets 200, its flow goes at BYE and its CDR is written.
With --demo: one narrated call (used by scripts/demo.sh).
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from e2e_util import check, finish, wait_for
import netns
from netns import IN_MEDIA, IN_PEER, IN_SBC, OUT_MEDIA, OUT_PEER, OUT_SBC, Topology
from media_check import Capture, relay_accounting
from pcap_util import udp_packets, udp_packets_timed
import sbc_stack
from sbc_stack import CALLED, UAC_MEDIA_PORT, UAS_MEDIA_PORT, configs

NAT_PRIVATE = "172.16.0.2"


class NetnsCleanup:
    """Deletes a namespace when the test's processes are cleaned up (looks like a Popen)."""

    def __init__(self, ns):
        self.ns = ns

    def poll(self):
        return None

    def terminate(self):
        subprocess.run(["ip", "netns", "del", self.ns], stderr=subprocess.DEVNULL)

    def wait(self, timeout=None):
        return 0

    def kill(self):
        self.terminate()


def sbcctl(args, work, command):
    return sbc_stack.sbcctl(args.sbcctl, work, command)


def host_port(address, port):
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def sip_texts(pcap):
    """Every SIP message (text) in a capture."""
    out = []
    for src, sport, dst, dport, payload in udp_packets(pcap):
        if sport == 5060 or dport == 5060:
            out.append((src, dst, payload.decode("utf-8", "replace")))
    return out


def identifiers(messages):
    """Call-IDs, tags and branches seen in SIP messages."""
    ids = set()
    for _, _, text in messages:
        ids.update(re.findall(r"(?im)^(?:Call-ID|i)\s*:\s*(\S+)", text))
        ids.update(re.findall(r";tag=([^;>\s]+)", text))
        ids.update(re.findall(r";branch=([^;>\s]+)", text))
    return {i for i in ids if len(i) >= 6}


def main():
    global OUT_PEER, OUT_SBC, OUT_MEDIA
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    ap.add_argument("--dataplane", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=25)
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--prefix", default="sbcm-")
    ap.add_argument("--nat", action="store_true",
                    help="the carrier's UAC sits behind a masquerading NAT (random source ports)")
    ap.add_argument("--ipv6", action="store_true",
                    help="the carrier reaches sbc over IPv6 (SIP and media); the core stays IPv4")
    ap.add_argument("--restart", choices=["dataplane", "sbc"],
                    help="one call; SIGKILL that process mid-call (the data plane is restarted)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)")
        return 77
    if args.ipv6:
        OUT_PEER, OUT_SBC, OUT_MEDIA = netns.OUT6_PEER, netns.OUT6_SBC, netns.OUT6_MEDIA
    calls = 1 if args.demo or args.restart or args.nat else args.calls
    restart_times = {}
    work = tempfile.mkdtemp(prefix="sbc-call-")
    procs = []
    topo = Topology(args.prefix)
    try:
        with topo:
            if args.ipv6:
                topo.add_outside_ipv6()
            dp_cfg, sbc_cfg = configs(work, outside=(OUT_PEER, OUT_SBC, OUT_MEDIA))
            uac_ns, uac_ip = topo.out, OUT_PEER
            if args.nat:
                # A customer premises network behind a NAT in "outside": the UAC's SIP and SDP
                # carry 172.16.0.2, which sbc can never reach; masquerading maps its ports at
                # random, so only rport, Contact fixup and RTP latching can get the call through.
                cpe = topo.prefix + "cpe"
                uac_ns, uac_ip = cpe, NAT_PRIVATE
                procs.append(NetnsCleanup(cpe))
                subprocess.run(["ip", "netns", "del", cpe], stderr=subprocess.DEVNULL)
                for cmd in (["ip", "netns", "add", cpe],
                            ["ip", "-n", cpe, "link", "set", "lo", "up"],
                            ["ip", "-n", topo.out, "link", "add", "c-nat", "type", "veth", "peer", "name",
                             "c-peer", "netns", cpe],
                            ["ip", "-n", topo.out, "addr", "add", "172.16.0.1/24", "dev", "c-nat"],
                            ["ip", "-n", cpe, "addr", "add", NAT_PRIVATE + "/24", "dev", "c-peer"],
                            ["ip", "-n", topo.out, "link", "set", "c-nat", "up"],
                            ["ip", "-n", cpe, "link", "set", "c-peer", "up"],
                            ["ip", "-n", cpe, "route", "add", "default", "via", "172.16.0.1"],
                            ["ip", "netns", "exec", topo.out, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
                            ["ip", "netns", "exec", topo.out, "nft",
                             "add table ip nat; "
                             "add chain ip nat post { type nat hook postrouting priority 100; }; "
                             "add rule ip nat post oifname o-peer ip saddr 172.16.0.0/24 masquerade random"]):
                    subprocess.run(cmd, check=True)
                for dev in ("c-peer",):
                    subprocess.run(["ip", "netns", "exec", cpe, "ethtool", "-K", dev, "tx", "off"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            log = lambda name: open(os.path.join(work, name), "w")
            # The config from sbc_stack gives the worker a real-time priority.
            dp = topo.popen(topo.sbc, args.dataplane, "--config", dp_cfg,
                            stdout=log("dataplane.log"), stderr=subprocess.STDOUT)
            procs.append(dp)
            check(wait_for(lambda: os.path.exists(os.path.join(work, "dataplane.sock")), 30,
                           "the data plane's control socket"), "sbc-dataplane started")
            sbc = topo.popen(topo.sbc, args.sbc, "run", "--config", sbc_cfg,
                             stdout=log("sbc.log"), stderr=subprocess.STDOUT)
            procs.append(sbc)
            check(wait_for(lambda: sbcctl(args, work, "stats").get("dataplane", {}).get("connected"),
                           30, "sbc connected to sbc-dataplane"), "sbc connected to sbc-dataplane")

            caps = {}
            for ns, dev, name in ((topo.out, "o-peer", "outside"), (topo.inside, "i-peer", "inside")):
                path = os.path.join(work, name + ".pcap")
                caps[name] = (path, topo.popen(ns, "tshark", "-q", "-B", "64", "-i", dev, "-F", "pcap", "-w", path,
                                               "-f", "udp", stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
                procs.append(caps[name][1])
            if args.nat:
                path = os.path.join(work, "cpe.pcap")
                caps["cpe"] = (path, topo.popen(uac_ns, "tshark", "-q", "-B", "64", "-i", "c-peer", "-F", "pcap",
                                                "-w", path, "-f", "udp", stdout=subprocess.DEVNULL,
                                                stderr=subprocess.DEVNULL))
                procs.append(caps["cpe"][1])
            for name, (path, _) in caps.items():
                wait_for(lambda: os.path.exists(path) and os.path.getsize(path) >= 24, 60,
                         f"tshark on {name}")
            time.sleep(1.0)  # tshark opens the capture file before the interface

            uas = topo.popen(topo.inside, "sipp", "-sf", os.path.join(args.scenarios, "call_uas_echo.xml"),
                             "-i", IN_PEER, "-p", "5060", "-mi", IN_PEER, "-mp", str(UAS_MEDIA_PORT),
                             "-rtp_echo", "-nostdin",
                             stdout=log("uas.log"), stderr=subprocess.STDOUT)
            procs.append(uas)
            time.sleep(0.5)
            if args.demo:
                print(f"== a call from the carrier ({OUT_PEER}) through sbc ({OUT_SBC} / {IN_SBC}) "
                      f"to the core ({IN_PEER}), 7 s of G.711 audio echoed back")
            uac_cmd = ["sipp", host_port(OUT_SBC, 5060), "-sf", os.path.join(args.scenarios, "call_uac_audio.xml"),
                       "-s", CALLED, "-i", uac_ip, "-p", "5060", "-mi", uac_ip,
                       "-mp", str(UAC_MEDIA_PORT), "-m", str(calls), "-r", str(args.rate),
                       "-l", str(max(10, args.rate * 12)), "-nostdin", "-timeout", "600s",
                       "-timeout_error", "-trace_stat", "-stf", os.path.join(work, "uac_stat.csv")]
            t0 = time.time()
            uac_proc = topo.popen(uac_ns, *uac_cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True)
            procs.append(uac_proc)
            if args.demo:
                time.sleep(4)
                print("== mid-call, sbcctl flows (the data plane's view; remotes as latched):")
                print(json.dumps(sbcctl(args, work, "flows"), indent=1))
            if args.restart == "dataplane":
                # SIGKILL sbc-dataplane mid-call and start it again: sbc notices the control
                # channel closing, reconnects and replays the call's flows (new generation).
                time.sleep(2.5)
                sock = os.path.join(work, "dataplane.sock")
                restart_times["kill"] = time.time()
                dp.kill()
                dp.wait()
                dp = topo.popen(topo.sbc, args.dataplane, "--config", dp_cfg,
                                stdout=log("dataplane2.log"), stderr=subprocess.STDOUT)
                procs.append(dp)
                # The new socket's ctime is when the new data plane was ready (inode numbers
                # may be reused, times are not).
                def new_socket():
                    try:
                        return os.stat(sock).st_ctime > restart_times["kill"]
                    except FileNotFoundError:
                        return False
                check(wait_for(new_socket, 30, "the new data plane's socket"), "sbc-dataplane restarted")
                restart_times["up"] = os.stat(sock).st_ctime if new_socket() else time.time()
                check(wait_for(lambda: sbcctl(args, work, "flows").get("count") == 1, 5,
                               "the call's flow replayed"),
                      "sbc re-programmed the call's flow into the new data plane")
            elif args.restart == "sbc":
                # SIGKILL sbc mid-call: the data plane keeps relaying the call's media. A new sbc
                # with the same configuration re-adopts the call from its state directory (the
                # dialogs, the media session's flows) so that the call's BYE gets through.
                time.sleep(2.5)
                check(len(os.listdir(os.path.join(work, "calls"))) == 1,
                      "the established call has a record in the state directory")
                restart_times["kill"] = time.time()
                sbc.kill()
                sbc.wait()
                sbc = topo.popen(topo.sbc, args.sbc, "run", "--config", sbc_cfg,
                                 stdout=log("sbc2.log"), stderr=subprocess.STDOUT)
                procs.append(sbc)
                check(wait_for(lambda: sbcctl(args, work, "stats").get("dataplane", {}).get("connected"),
                               30, "the new sbc connected to sbc-dataplane"),
                      "a new sbc started and connected to sbc-dataplane")
                status = sbcctl(args, work, "status").get("calls", {})
                check(status.get("restored") == 1 and status.get("active") == 1
                      and status.get("restore_failures") == 0,
                      f"the new sbc restored the call (restored {status.get('restored')}, "
                      f"active {status.get('active')}, failures {status.get('restore_failures')})")
                check(sbcctl(args, work, "flows").get("count") == 1,
                      "the data plane kept the call's flow (re-claimed by the new sbc)")
            out, _ = uac_proc.communicate(timeout=900)
            uac = subprocess.CompletedProcess(uac_cmd, uac_proc.returncode, out, "")
            elapsed = time.time() - t0
            with open(os.path.join(work, "uac.log"), "w") as f:
                f.write(uac.stdout + uac.stderr)
            succeeded, failed = sbc_stack.sipp_calls(uac.stdout)
            check(uac.returncode == 0 and succeeded == calls and failed == 0,
                  f"{calls} call(s) through sbc: {succeeded} successful, {failed} failed "
                  f"(sipp exit {uac.returncode}, {elapsed:.0f} s)"
                  + (": the BYE reached the restarted sbc and got 200" if args.restart == "sbc" else ""))

            # At BYE, not by the data plane's idle timeout (120 s in this test's dataplane.yaml).
            bye_done = time.time()
            check(wait_for(lambda: sbcctl(args, work, "flows").get("count") == 0, 10,
                           "flows released"), "every flow removed from the data plane after BYE "
                  f"({time.time() - bye_done:.1f} s after the last call ended; idle timeout 120 s)")
            check(not os.listdir(os.path.join(work, "calls")),
                  "no call record left in the state directory")
            stats = sbcctl(args, work, "stats")
            counters = stats.get("dataplane", {}).get("counters", {})
            print("   data-plane counters:", {k: v for k, v in counters.items() if v})
            time.sleep(1.0)
            for _, p in caps.values():
                p.send_signal(signal.SIGINT)
            for _, p in caps.values():
                p.wait(timeout=20)

            # Media: for every call, RTP left sbc on both sides (relay both ways).
            out_pkts = list(udp_packets(caps["outside"][0]))
            in_pkts = list(udp_packets(caps["inside"][0]))
            to_core = [p for p in in_pkts if p[0] == IN_MEDIA and p[2] == IN_PEER and p[3] == UAS_MEDIA_PORT]
            # Behind the NAT the carrier's media port is whatever the NAT mapped it to.
            back_out = [p for p in out_pkts if p[0] == OUT_MEDIA and p[2] == OUT_PEER
                        and (args.nat or p[3] == UAC_MEDIA_PORT)]
            sent = [p for p in out_pkts if p[0] == OUT_PEER and p[2] == OUT_MEDIA]
            echoed = [p for p in in_pkts if p[0] == IN_PEER and p[2] == IN_MEDIA]
            check(len({p[1] for p in to_core}) == calls,
                  f"RTP relayed to the core from {len({p[1] for p in to_core})} relay port(s) "
                  f"(one per call), {len(to_core)} packets")
            check(len({p[1] for p in back_out}) == calls,
                  f"echoed RTP relayed back to the carrier from {len({p[1] for p in back_out})} relay port(s), "
                  f"{len(back_out)} packets")
            # The relay loses nothing: every packet a peer sent to sbc during its call left on
            # the other side (media_check.py: per call, by RTP sequence number; packets a peer
            # sent after its call's BYE are not counted). The UAS's echo may lag under load:
            # only the relay is judged. A killed data plane loses its in-flight media (a killed
            # sbc loses none: the restarted one writes the call's CDR that joins the legs).
            if args.restart != "dataplane":
                cdr_path = os.path.join(work, "cdr.jsonl")
                cdrs = ([json.loads(l) for l in open(cdr_path) if l.strip()]
                        if os.path.exists(cdr_path) else [])
                totals, unfollowed = relay_accounting(
                    Capture(caps["outside"][0]), Capture(caps["inside"][0]), cdrs, OUT_SBC, IN_SBC,
                    OUT_MEDIA, IN_MEDIA, OUT_PEER, IN_PEER)
                check(unfollowed == 0 and len(cdrs) == calls,
                      f"{len(cdrs) - unfollowed} of {calls} calls followed on both sides "
                      "(CDR legs, sbc's SDP ports)")
                for name, (in_call, carried, late) in totals.items():
                    check(in_call > 0 and carried == in_call,
                          f"{name.replace('_', ' ')}: {carried} of {in_call} RTP packets sent "
                          f"during the calls relayed ({late} sent after a BYE, not counted)")
                # sipp's echo drops packets when its socket buffer overflows (1,000 calls at
                # 50/s: ~17,000 packets/s into one sipp); the relay is judged above, on what
                # the echo did send.
                echo = totals["core_to_carrier"][0] / max(1, totals["carrier_to_core"][0])
                check(echo >= 0.75, f"the core echoed {echo:.0%} of the carrier's RTP (>= 75%)")

            if args.restart:
                timed = [p for p in udp_packets_timed(caps["inside"][0])
                         if p[1] == IN_MEDIA and p[3] == IN_PEER and p[4] == UAS_MEDIA_PORT]
                stamps = sorted(p[0] for p in timed)
                gap = max((b - a for a, b in zip(stamps, stamps[1:])), default=0)
                print(f"   longest pause of the media towards the core: {gap * 1000:.0f} ms")
                if args.restart == "dataplane":
                    after = [t for t in stamps if t >= restart_times["up"]]
                    resume = (after[0] - restart_times["up"]) if after else None
                    check(resume is not None and resume <= 1.0,
                          f"media resumed {resume if resume is None else round(resume * 1000)} ms "
                          "after the new data plane started (<= 1000 ms)")
                else:
                    check(gap < 0.2, "no pause in the media while sbc was killed (< 200 ms)")
                    cdr = os.path.join(work, "cdr.jsonl")
                    lines = open(cdr).read().splitlines() if os.path.exists(cdr) else []
                    rec = json.loads(lines[0]) if len(lines) == 1 else {}
                    check(rec.get("reason") == "caller_bye" and rec.get("answer") is not None
                          and rec.get("from_trunk") == "carrier" and rec.get("to_trunk") == "core"
                          and sum(m.get("packets", 0) for m in rec.get("media", [])) > 0,
                          f"the new sbc wrote the call's CDR ({len(lines)} line(s)): "
                          f"{lines[0][:160] if lines else ''}")
                return finish()

            if args.nat:
                at_uac = [p for p in udp_packets(caps["cpe"][0])
                          if p[0] == OUT_MEDIA and p[2] == NAT_PRIVATE and p[3] == UAC_MEDIA_PORT]
                check(len(at_uac) > 0 and len(at_uac) == len(back_out),
                      f"the UAC behind the NAT received {len(at_uac)} RTP packets from sbc "
                      "(latched to its public address and port)")
                natted = {p[1] for p in out_pkts if p[0] == OUT_PEER and p[2] == OUT_MEDIA}
                print(f"   the NAT mapped the UAC's media port {UAC_MEDIA_PORT} to {sorted(natted)}")

            # Topology hiding: nothing of one side in the other side's SIP.
            out_sip, in_sip = sip_texts(caps["outside"][0]), sip_texts(caps["inside"][0])
            check(len(out_sip) >= 5 * calls and len(in_sip) >= 5 * calls,
                  f"captured {len(out_sip)} SIP messages outside, {len(in_sip)} inside")
            out_text = "\n".join(t for _, _, t in out_sip)
            in_text = "\n".join(t for _, _, t in in_sip)
            for needle in (IN_PEER, IN_SBC, IN_MEDIA, "10.10.0.", "core-pbx-internal", "X-Internal-Route"):
                check(needle not in out_text, f"outside capture has no '{needle}'")
            for needle in (OUT_PEER, OUT_SBC, OUT_MEDIA, "192.0.2.", "2001:db8:", "172.16.", "carrier-uac",
                           "X-Carrier-Secret"):
                check(needle not in in_text, f"inside capture has no '{needle}'")
            in_ids, out_ids = identifiers(in_sip), identifiers(out_sip)
            leaked_in = sorted(i for i in in_ids if i in out_text)
            leaked_out = sorted(i for i in out_ids if i in in_text)
            check(in_ids and not leaked_in,
                  f"no inside Call-ID/tag/branch outside ({len(in_ids)} checked; leaked: {leaked_in[:3]})")
            check(out_ids and not leaked_out,
                  f"no outside Call-ID/tag/branch inside ({len(out_ids)} checked; leaked: {leaked_out[:3]})")
            cdr = os.path.join(work, "cdr.jsonl")
            lines = open(cdr).read().splitlines() if os.path.exists(cdr) else []
            check(len(lines) == calls, f"{len(lines)} CDR line(s) for {calls} call(s)")
            if args.demo and lines:
                print("== the CDR of the call:\n" + lines[0])
    finally:
        sbc_stack.stop(procs)
        if os.environ.get("KEEP_WORK"):
            print("work dir:", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
