"""Helpers of the policy socket tests: SIP requests from chosen loopback sources, sbc runs."""
import os
import random
import socket
import subprocess
import time
import urllib.request


def request(method, ruri_user, src, dst_port, ua="test-ua", from_user="alice", to_tag="",
            call_id=None, host="127.0.0.1"):
    """A SIP request as bytes; `src` is (address, port) of the sending socket."""
    branch = "z9hG4bK" + "%016x" % random.getrandbits(64)
    call_id = call_id or "%016x@test" % random.getrandbits(64)
    to_params = f";tag={to_tag}" if to_tag else ""
    lines = [
        f"{method} sip:{ruri_user}@{host}:{dst_port} SIP/2.0",
        f"Via: SIP/2.0/UDP {src[0]}:{src[1]};branch={branch}",
        "Max-Forwards: 70",
        f"From: <sip:{from_user}@{src[0]}>;tag=f{random.getrandbits(32):x}",
        f"To: <sip:{ruri_user}@{host}>{to_params}",
        f"Call-ID: {call_id}",
        f"CSeq: 1 {method}",
        f"Contact: <sip:{from_user}@{src[0]}:{src[1]}>",
        f"User-Agent: {ua}",
        "Content-Length: 0",
        "", "",
    ]
    return "\r\n".join(lines).encode()


class Source:
    """A UDP socket bound to one loopback address (127.0.0.0/8 is all local on Linux)."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.addr = self.sock.getsockname()

    def ask(self, method, ruri_user, port, timeout=1.0, **kw):
        """Sends a request; returns the final status code of the answer to it (same Call-ID;
        retransmitted answers to earlier requests are skipped), or None when nothing came."""
        kw.setdefault("call_id", "%016x@test" % random.getrandbits(64))
        self.call_id = kw["call_id"].encode()
        self.sock.sendto(request(method, ruri_user, self.addr, port, **kw), ("127.0.0.1", port))
        return self.final(timeout)

    def final(self, timeout):
        self.sock.settimeout(timeout)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            code = int(data.split(b" ", 2)[1])
            if b"Call-ID: " + self.call_id not in data:
                continue
            if code >= 200:
                self.last = data
                return code
        return None

    def close(self):
        self.sock.close()


def sbcctl(sbcctl_path, sock, *args):
    p = subprocess.run([sbcctl_path, "--socket", sock, *args], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return r.read().decode()


def metric(text, name, labels=""):
    """The value of one sample, e.g. metric(t, 'sbc_policy_dropped_total', 'reason="banned"')."""
    for line in text.splitlines():
        if line.startswith(name + ("{" + labels + "}" if labels else " ")) or \
                (labels and line.startswith(name + "{") and labels in line):
            return float(line.rsplit(" ", 1)[1])
    return None


def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def start_sbc(sbc, workdir, port, metrics_port, policy_files, extra=""):
    sock = os.path.join(workdir, "admin.sock")
    cfg = os.path.join(workdir, "sbc.yaml")
    files = ", ".join(policy_files)
    write(cfg, "listeners:\n"
               f"  - {{name: out-udp, transport: udp, address: 127.0.0.1, port: {port}}}\n"
               f"admin: {{socket: {sock}}}\n"
               f"metrics: {{listen: '127.0.0.1:{metrics_port}'}}\n"
               f"policy: [{files}]\n" + extra)
    log = open(os.path.join(workdir, "sbc.log"), "w")
    proc = subprocess.Popen([sbc, "run", "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline and not os.path.exists(sock):
        if proc.poll() is not None:
            raise RuntimeError("sbc exited: " + open(os.path.join(workdir, "sbc.log")).read())
        time.sleep(0.05)
    return proc, sock
