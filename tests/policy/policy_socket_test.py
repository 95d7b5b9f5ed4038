#!/usr/bin/env python3
"""sbc with a policy, over real UDP sockets from chosen loopback sources (127.0.0.x): each rule
type allowed and denied (response code or silence), bans (scanner UA, repeated 404s, sbcctl bans
list / lift), per-source REGISTER limit (503 + Retry-After), reload by sbcctl and SIGHUP (a bad
file is refused with the policy check messages and the old policy stays), overload shedding of
new INVITEs while in-dialog requests flow, and the counters in the Prometheus metrics."""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from e2e_util import check, finish, free_port  # noqa: E402
from policy_sip import Source, metric, metrics, sbcctl, start_sbc, write  # noqa: E402

TRUNKS = """version: 1
trunks:
  - name: carrier
    side: outside
    sources: [127.0.0.2/32, 127.0.0.9/32, 127.0.0.10/32]
    acl:
      default: allow
      rules:
        - {name: premium, action: deny, number_prefixes: ["+1900", "00881"]}
        - {name: no-message, action: deny, methods: [MESSAGE]}
  - name: pbx
    side: inside
    sources: [127.0.0.3/32]
  - name: lab
    side: inside
    sources: [127.0.0.4/32]
"""

SECURITY = """version: 1
acl:
  default: allow
  rules:
%s    - {name: blackhole, action: deny, response: drop, sources: [127.0.0.10/32]}
    - {name: bad-ua, action: deny, user_agent: "evil-ua"}
    - {name: bad-from, action: deny, from_user: "attacker.*"}
    - {name: bad-to, action: deny, to_user: "admin"}
limits:
  per_source:
    register: {rate: 0.001, burst: 2}
  unknown_source: drop
bans:
  unknown_user: 3
  exempt_trunks: false
%s"""
BLOCKED = "    - {name: blocked, action: deny, sources: [127.0.0.9/32]}\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--sbcctl", required=True)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sbc-policy-")
    trunks = os.path.join(work, "trunks.yaml")
    security = os.path.join(work, "security.yaml")
    write(trunks, TRUNKS)
    write(security, SECURITY % (BLOCKED, ""))
    port = free_port()
    mport = free_port(kind=__import__("socket").SOCK_STREAM)
    proc, sock = start_sbc(os.path.abspath(a.sbc), work, port, mport, [trunks, security])
    ctl = os.path.abspath(a.sbcctl)
    try:
        carrier, pbx, lab = Source("127.0.0.2"), Source("127.0.0.3"), Source("127.0.0.4")
        unknown, blocked, hole = Source("127.0.0.5"), Source("127.0.0.9"), Source("127.0.0.10")
        scanner = Source("127.0.0.6")

        check(carrier.ask("OPTIONS", "ping", port) == 200, "trunk source: OPTIONS 200")
        check(unknown.ask("OPTIONS", "ping", port) is None, "unknown source: silent drop")
        check(blocked.ask("OPTIONS", "ping", port) == 403, "source ACL deny: 403")
        check(hole.ask("OPTIONS", "ping", port) is None, "source ACL deny with drop: silence")
        check(carrier.ask("OPTIONS", "ping", port, ua="evil-ua/1.0") == 403,
              "user agent rule: 403")
        check(carrier.ask("OPTIONS", "ping", port, ua="good-ua/1.0") == 200,
              "user agent rule: other agents pass")
        check(carrier.ask("OPTIONS", "ping", port, from_user="attacker7") == 403,
              "From user rule: 403")
        check(carrier.ask("OPTIONS", "admin", port) == 403, "To user rule: 403")
        check(carrier.ask("INVITE", "+19005551234", port) == 403, "number prefix: 403")
        check(carrier.ask("INVITE", "%2B1-900-555-1234", port) == 403,
              "number prefix: escapes and visual separators do not evade it")
        check(carrier.ask("INVITE", "0088112345", port) == 403, "number prefix 00881: 403")
        check(carrier.ask("INVITE", "+4930123", port) == 404,
              "allowed INVITE passes the gate (404 from the core: no routes yet)")
        check(carrier.ask("MESSAGE", "bob", port) == 403, "trunk method rule: 403")
        check(pbx.ask("MESSAGE", "bob", port) == 405, "other trunk: MESSAGE passes (405)")

        codes = [pbx.ask("REGISTER", "pbx", port) for _ in range(3)]
        check(codes == [405, 405, 503], f"per-source REGISTER bucket: 405 405 503 ({codes})")
        check(b"Retry-After: 5" in pbx.last, "503 carries Retry-After")

        # Same answer for every user (never reveals which exist): 404 for all INVITEs.
        codes = [lab.ask("INVITE", u, port) for u in ("1000", "1001", "9999")]
        check(codes == [404, 404, 404], f"unknown users all get the same 404 ({codes})")
        check(lab.ask("OPTIONS", "ping", port) is None, "3 x 404 within the window: banned")
        rc, out = sbcctl(ctl, sock, "bans")
        check(rc == 0 and '"address":"127.0.0.4","reason":"unknown_user"' in out,
              f"sbcctl bans lists the 404 ban ({out.strip()})")

        check(scanner.ask("OPTIONS", "100", port, ua="friendly-scanner") is None,
              "scanner user agent: silence")
        rc, out = sbcctl(ctl, sock, "bans", "list")
        check('"address":"127.0.0.6","reason":"scanner"' in out, "scanner banned at once")
        rc, out = sbcctl(ctl, sock, "bans", "lift", "127.0.0.4")
        check(rc == 0 and '"lifted":"127.0.0.4"' in out, f"bans lift ({out.strip()})")
        check(lab.ask("OPTIONS", "ping", port) == 200, "lifted source is answered again")
        rc, out = sbcctl(ctl, sock, "bans", "lift", "127.0.0.77")
        check(rc == 1 and "not banned" in out, "lifting an unbanned address is an error")

        # Reload: a bad file is refused with the policy check messages; the old policy stays.
        write(security, SECURITY % ("", "  bogus: 1\n"))
        rc, out = sbcctl(ctl, sock, "reload")
        check(rc == 1 and f"{security}:16:3: error: unknown key 'bogus' in bans" in out,
              f"bad reload refused with the check message ({out.strip()})")
        check(blocked.ask("OPTIONS", "ping", port) == 403, "old policy still in force")
        # A good file changes behaviour: the 'blocked' rule is gone.
        write(security, SECURITY % ("", ""))
        rc, out = sbcctl(ctl, sock, "reload")
        check(rc == 0 and '"reload":"ok"' in out, f"good reload ({out.strip()})")
        check(blocked.ask("OPTIONS", "ping", port) == 200, "new policy in force after reload")
        # SIGHUP: put the rule back.
        write(security, SECURITY % (BLOCKED, ""))
        proc.send_signal(signal.SIGHUP)
        deadline, code = time.time() + 10, None
        while time.time() < deadline:
            code = blocked.ask("OPTIONS", "ping", port, timeout=0.5)
            if code == 403:
                break
        check(code == 403, "SIGHUP reload applied")

        # Overload: past max_transactions new INVITEs get 503; in-dialog requests still flow.
        # Transactions of earlier requests are still live (timers H/J): the limit is set 3 above.
        rc, out = sbcctl(ctl, sock, "status")
        active = json.loads(out)["transactions"]["server_active"]
        write(security, SECURITY % ("", "  enabled: false\n"
                  f"overload: {{max_transactions: {active + 3}}}\n"))
        rc, out = sbcctl(ctl, sock, "reload")
        check(rc == 0, f"overload policy loaded ({out.strip()})")
        pbx2 = Source("127.0.0.3")
        codes = [pbx2.ask("INVITE", f"+4930{i}", port) for i in range(12)]
        check(codes[0] == 404 and 503 in codes and set(codes) <= {404, 503},
              f"INVITEs past the active transaction limit shed with 503 ({codes})")
        code = pbx2.ask("BYE", "+4930", port, to_tag="abc")
        check(code == 481, f"in-dialog BYE still answered ({code})")
        code = pbx2.ask("INVITE", "+4930", port, to_tag="abc")
        check(code is not None and code != 503, f"re-INVITE (in dialog) not shed ({code})")

        m = metrics(mport)
        for reason, kind in (("source_acl", "rejected"), ("source_acl", "dropped"),
                             ("acl", "rejected"), ("trunk_acl", "rejected"),
                             ("unknown_source", "dropped"), ("rate_register", "rejected"),
                             ("scanner", "dropped"), ("banned", "dropped"),
                             ("overload_transactions", "rejected")):
            v = metric(m, f"sbc_policy_{kind}_total", f'reason="{reason}"')
            check(v is not None and v >= 1, f"sbc_policy_{kind}_total{{reason={reason}}} = {v}")
        check(metric(m, "sbc_policy_reloads_total", 'result="ok"') == 3, "3 good reloads counted")
        check(metric(m, "sbc_policy_reloads_total", 'result="failed"') == 1,
              "1 failed reload counted")
        check(metric(m, "sbc_policy_bans_total", 'reason="scanner"') == 1, "scanner ban counted")
        check(proc.poll() is None, "sbc still running")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
