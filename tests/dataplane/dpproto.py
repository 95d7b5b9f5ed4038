"""A second, independent implementation of the sbc data-plane control protocol (client side),
written from dataplane/README.md: the integration test programs sbc-dataplane with it, so the
documented byte layouts are checked against the C++ decoder and encoder."""
import ipaddress
import socket
import struct

MAGIC = 0x50444253
VERSION = 1
HEADER = struct.Struct("<IHHII")  # magic, version, type, length, seq

HELLO, CREATE, UPDATE, DELETE, LIST, STATS, RESYNC_DONE = 1, 2, 3, 4, 5, 6, 7
HELLO_REPLY, CREATE_REPLY, UPDATE_REPLY, DELETE_REPLY = 0x81, 0x82, 0x83, 0x84
LIST_REPLY, STATS_REPLY, RESYNC_REPLY, FLOW_IDLE, ERROR = 0x85, 0x86, 0x87, 0x101, 0xFF

LATCH_OFF, LATCH_ANY, LATCH_SAME_HOST = 0, 1, 2

END_STATS = ["packets", "bytes", "rtcpPackets", "rtcpBytes", "lost", "jitter", "lastSeenMs",
             "dropsNotRtp", "dropsLatch", "dropsNoRemote", "dropsNoNeighbour", "dropsTxFull"]


class ProtocolError(Exception):
    def __init__(self, code, text):
        super().__init__(f"error {code}: {text}")
        self.code = code
        self.text = text


def ip_bytes(ip):
    """IpAddress: u8 family, 3 reserved, 16 address bytes."""
    if not ip:
        return bytes(20)
    a = ipaddress.ip_address(ip)
    fam = 4 if a.version == 4 else 6
    return struct.pack("<B3x", fam) + a.packed.ljust(16, b"\0")


def name_bytes(name):
    b = name.encode()
    return struct.pack("<B", len(b)) + b.ljust(31, b"\0")


def end_bytes(e):
    """FlowEnd, 88 bytes. e: dict(interface, local, rtp, rtcp=0, mux=False, remote=None,
    remote_rtp=0, remote_rtcp=0, latch=LATCH_ANY, clock=8000)."""
    return (name_bytes(e["interface"]) + ip_bytes(e["local"]) +
            struct.pack("<HHBBH", e["rtp"], 0 if e.get("mux") else e.get("rtcp", e["rtp"] + 1),
                        1 if e.get("mux") else 0, e.get("latch", LATCH_ANY), 0) +
            ip_bytes(e.get("remote")) +
            struct.pack("<HHI", e.get("remote_rtp", 0), e.get("remote_rtcp", 0),
                        e.get("clock", 8000)))


def spec_bytes(flow_id, generation, a, b, idle_ms=0):
    return struct.pack("<QQII", flow_id, generation, idle_ms, 0) + end_bytes(a) + end_bytes(b)


def stats_from(body, off):
    vals = struct.unpack_from("<12Q", body, off)
    return dict(zip(END_STATS, vals)), off + 96


class Client:
    """Blocking client: one request at a time (plus pipelined create for bulk setup)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(10)
        self.sock.connect(path)
        self.seq = 0
        self.events = []

    def close(self):
        self.sock.close()

    def send(self, mtype, body=b""):
        self.seq += 1
        self.sock.send(HEADER.pack(MAGIC, VERSION, mtype, HEADER.size + len(body), self.seq) + body)
        return self.seq

    def send_raw(self, data):
        self.sock.send(data)

    def receive(self, seq=None):
        while True:
            data = self.sock.recv(65536)
            magic, version, mtype, length, rseq = HEADER.unpack_from(data)
            if magic != MAGIC or version != VERSION or length != len(data):
                raise RuntimeError("malformed reply")
            body = data[HEADER.size:]
            if mtype == FLOW_IDLE:
                flow_id, gen, idle_ms = struct.unpack_from("<QQI", body)
                self.events.append({"flow_id": flow_id, "generation": gen, "idle_ms": idle_ms})
                continue
            if seq is not None and rseq != seq:
                raise RuntimeError(f"reply seq {rseq}, expected {seq}")
            return mtype, body

    def request(self, mtype, body=b""):
        rtype, rbody = self.receive(self.send(mtype, body))
        if rtype == ERROR:
            code, n = struct.unpack_from("<HH", rbody)
            raise ProtocolError(code, rbody[4:4 + n].decode())
        return rtype, rbody

    def hello(self, generation):
        _, b = self.request(HELLO, struct.pack("<Q", generation))
        ver, nif, flows, cap, boot, gen, prev = struct.unpack_from("<HB1xII4xQQQ", b)
        return {"version": ver, "interfaces": nif, "flows": flows, "capacity": cap,
                "boot_id": boot, "generation": gen, "previous": prev}

    def create(self, flow_id, generation, a, b, idle_ms=0):
        _, r = self.request(CREATE, spec_bytes(flow_id, generation, a, b, idle_ms))
        fid, reclaimed = struct.unpack_from("<QB", r)
        return reclaimed == 1

    def update(self, flow_id, generation, a, b, idle_ms=0):
        self.request(UPDATE, spec_bytes(flow_id, generation, a, b, idle_ms))

    def delete(self, flow_id):
        _, r = self.request(DELETE, struct.pack("<Q", flow_id))
        sa, off = stats_from(r, 8)
        sb, _ = stats_from(r, off)
        return sa, sb

    def stats(self):
        _, r = self.request(STATS)
        (n,) = struct.unpack_from("<H", r)
        off, out = 8, {}
        for _ in range(n):
            ln = r[off]
            name = r[off + 1:off + 1 + ln].decode()
            (val,) = struct.unpack_from("<Q", r, off + 1 + ln)
            out[name] = val
            off += 1 + ln + 8
        return out

    def resync_done(self, generation):
        _, r = self.request(RESYNC_DONE, struct.pack("<Q", generation))
        return struct.unpack_from("<I", r)[0]

    def list_flows(self):
        flows, cursor = [], 0
        while True:
            _, r = self.request(LIST, struct.pack("<QH6x", cursor, 64))
            cursor, n = struct.unpack_from("<QH", r)
            off = 16
            for _ in range(n):
                flow_id, gen = struct.unpack_from("<QQ", r, off)
                ends = []
                for k in range(2):
                    e = off + 24 + 88 * k
                    fam = r[e + 60]
                    remote = None
                    if fam:
                        raw = r[e + 64:e + 64 + (4 if fam == 4 else 16)]
                        remote = str(ipaddress.ip_address(raw))
                    rport, rrtcp = struct.unpack_from("<HH", r, e + 80)
                    ends.append({"remote": remote, "remote_rtp": rport, "remote_rtcp": rrtcp})
                sa, so = stats_from(r, off + 200)
                sb, _ = stats_from(r, so)
                flows.append({"flow_id": flow_id, "generation": gen, "a": ends[0], "b": ends[1],
                              "stats_a": sa, "stats_b": sb})
                off += 392
            if cursor == 0:
                return flows
