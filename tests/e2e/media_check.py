"""Per-call RTP accounting from tshark captures on both sides of sbc.

A packet a peer sends after its call's BYE is not the relay's to carry (the call, and its flow,
are gone; sipp's RTP player may lag its scenario under load), so counting captured packets in
aggregate blames the relay for the peers' timing. Instead every call is followed on both sides:
the relay port sbc offered on each side comes from sbc's own SDP, the two legs are joined by the
call's CDR (a_call_id, b_call_id), and each RTP packet is identified by its sequence number. The
relay is judged on the packets sent to it before the call's BYE was seen on that side: each of
them must have left on the other side.
"""
import re

from pcap_util import udp_packets_timed

CALL_ID = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.M | re.I)
M_AUDIO = re.compile(rb"^m=audio (\d+) ", re.M)


class Capture:
    """One side's capture: SIP messages and RTP, with times."""

    def __init__(self, path, sip_port=5060):
        self.sip = []  # (time, src, dst, bytes)
        self.rtp = []  # (time, src, sport, dst, dport, seq)
        for ts, src, sport, dst, dport, payload in udp_packets_timed(path):
            if sport == sip_port or dport == sip_port:
                self.sip.append((ts, src, dst, payload))
            elif len(payload) >= 12 and payload[0] >> 6 == 2:
                self.rtp.append((ts, src, sport, dst, dport, int.from_bytes(payload[2:4], "big")))

    def calls(self, sbc_ip):
        """Call-ID -> {"port": relay port in sbc's SDP on this side, "bye": first BYE's time}."""
        out = {}
        for ts, src, _, text in self.sip:
            m = CALL_ID.search(text)
            if not m:
                continue
            call = out.setdefault(m.group(1).decode(), {})
            if src == sbc_ip and "port" not in call:
                port = M_AUDIO.search(text)
                if port:
                    call["port"] = int(port.group(1))
            if text.startswith(b"BYE ") and "bye" not in call:
                call["bye"] = ts
        return out


def judge_direction(sent, relayed, bye):
    """sent/relayed: [(time, seq)] of one call and direction; returns (in call, relayed, late)."""
    out_seqs = {seq for _, seq in relayed}
    in_call = [seq for ts, seq in sent if bye is None or ts < bye]
    late = len(sent) - len(in_call)
    carried = sum(1 for seq in in_call if seq in out_seqs)
    return len(in_call), carried, late


def relay_accounting(out_cap, in_cap, cdrs, out_sbc, in_sbc, out_media, in_media, out_peer,
                     in_peer):
    """Per direction: sent in call, relayed, sent after BYE; plus calls that could not be
    followed (no CDR pair, no SDP port on a side)."""
    out_calls, in_calls = out_cap.calls(out_sbc), in_cap.calls(in_sbc)
    by_port = {}
    for ts, src, sport, dst, dport, seq in out_cap.rtp:
        if src == out_peer and dst == out_media:
            by_port.setdefault(("to_sbc_out", dport), []).append((ts, seq))
        elif src == out_media and dst == out_peer:
            by_port.setdefault(("from_sbc_out", sport), []).append((ts, seq))
    for ts, src, sport, dst, dport, seq in in_cap.rtp:
        if src == in_peer and dst == in_media:
            by_port.setdefault(("to_sbc_in", dport), []).append((ts, seq))
        elif src == in_media and dst == in_peer:
            by_port.setdefault(("from_sbc_in", sport), []).append((ts, seq))
    totals = {"carrier_to_core": [0, 0, 0], "core_to_carrier": [0, 0, 0]}
    unfollowed = 0
    for cdr in cdrs:
        a, b = out_calls.get(cdr.get("a_call_id", "")), in_calls.get(cdr.get("b_call_id", ""))
        if not a or not b or "port" not in a or "port" not in b:
            unfollowed += 1
            continue
        for name, sent, relayed, bye in (
                ("carrier_to_core", by_port.get(("to_sbc_out", a["port"]), []),
                 by_port.get(("from_sbc_in", b["port"]), []), a.get("bye")),
                ("core_to_carrier", by_port.get(("to_sbc_in", b["port"]), []),
                 by_port.get(("from_sbc_out", a["port"]), []), b.get("bye"))):
            for i, v in enumerate(judge_direction(sent, relayed, bye)):
                totals[name][i] += v
    return totals, unfollowed
