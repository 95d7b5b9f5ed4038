"""Helpers shared by the end-to-end test scripts: result checks and free loopback ports."""
import socket
import time

failures = []


def check(cond, what):
    """Prints ok/FAIL for one check and remembers the failures."""
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def finish():
    """Prints the failure count; returns the exit status."""
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


def free_port(family=socket.AF_INET, kind=socket.SOCK_DGRAM, host="127.0.0.1"):
    """A port free for both UDP and TCP on host (a listener may use either)."""
    for _ in range(100):
        s = socket.socket(family, kind)
        s.bind((host, 0))
        port = s.getsockname()[1]
        s.close()
        other = socket.socket(family, socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM)
        try:
            other.bind((host, port))
            return port
        except OSError:
            continue
        finally:
            other.close()
    raise RuntimeError("no free port")


def write(path, text):
    """Writes text to path; returns path."""
    with open(path, "w") as f:
        f.write(text)
    return path


def wait_for(cond, timeout, what):
    """Polls cond every 50 ms for up to timeout seconds; says what it gave up on."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    print(f"timed out waiting for {what}")
    return False
