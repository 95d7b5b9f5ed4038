"""Helpers shared by the end-to-end test scripts: result checks and free loopback ports."""
import socket

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
