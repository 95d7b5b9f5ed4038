#!/usr/bin/env python3
"""`sbc policy check` against policies/: the examples pass, every invalid file fails with exactly
the messages in the .expected file beside it (FILE:LINE:COL: error: ...), and several files are
checked as one set (names unique across files)."""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from e2e_util import check, finish  # noqa: E402


def run(sbc, args, cwd):
    p = subprocess.run([sbc, "policy", "check", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sbc", required=True)
    ap.add_argument("--policies", required=True)
    a = ap.parse_args()
    a.sbc = os.path.abspath(a.sbc)

    examples = os.path.join(a.policies, "examples")
    files = sorted(f for f in os.listdir(examples) if f.endswith(".yaml"))
    rc, err = run(a.sbc, files, examples)
    check(rc == 0 and err == "", f"examples {files} pass without errors or warnings ({err!r})")

    invalid = os.path.join(a.policies, "invalid")
    kinds = sorted(f for f in os.listdir(invalid) if f.endswith(".yaml"))
    check(len(kinds) >= 12, f"at least 12 kinds of mistakes ({len(kinds)})")
    for f in kinds:
        expected_path = os.path.join(invalid, f[:-5] + ".expected")
        if not os.path.exists(expected_path):
            check(False, f"{f} has an .expected file")
            continue
        expected = open(expected_path).read()
        rc, err = run(a.sbc, [f], invalid)
        check(rc == 1, f"{f}: exit status 1 (got {rc})")
        if err != expected:
            print(f"--- expected\n{expected}--- got\n{err}")
        check(err == expected, f"{f}: exact messages")
        check(": error: " in expected, f"{f}: expected messages contain an error")

    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "a.yaml"), "w") as fh:
            fh.write("version: 1\ntrunks:\n  - name: t1\n    side: outside\n"
                     "    sources: [192.0.2.0/24]\nlimits:\n  unknown_source: drop\n")
        with open(os.path.join(d, "b.yaml"), "w") as fh:
            fh.write("version: 1\ntrunks:\n  - name: t1\n    side: inside\n"
                     "    sources: [10.0.0.0/8]\nlimits:\n  table_size: 2048\n"
                     "routes:\n  - name: r\n    target: t1\n")
        rc, err = run(a.sbc, ["a.yaml", "b.yaml"], d)
        check(rc == 1 and err == (
            "b.yaml:3:11: error: duplicate trunk name 't1' (first defined at a.yaml:3:11)\n"
            "b.yaml:7:3: error: section 'limits' is already defined at a.yaml:7:3\n"),
            f"names and sections unique across files ({err!r})")
        rc, err = run(a.sbc, ["a.yaml", "missing.yaml"], d)
        check(rc == 1 and err == "missing.yaml: error: cannot read file\n",
              f"missing file ({err!r})")
        with open(os.path.join(d, "w.yaml"), "w") as fh:
            fh.write("version: 1\nlimits:\n  unknown_source: allow\n"
                     "trunks:\n  - name: pbx\n    side: inside\n")
        rc, err = run(a.sbc, ["w.yaml"], d)
        check(rc == 0 and err == (
            "w.yaml:5:5: warning: trunk 'pbx' has no sources: it never matches inbound requests\n"
            "w.yaml:3:19: warning: no default deny: requests from sources no trunk knows are "
            "accepted (set acl 'default: deny' or limits 'unknown_source: drop')\n"),
            f"warnings do not fail the check ({err!r})")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
