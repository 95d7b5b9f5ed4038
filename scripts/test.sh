#!/usr/bin/env bash
# Runs every test of sbc, from a fresh clone on a fresh Debian 12 machine (as root):
#   1. installs the Debian packages the project needs (scripts/install-deps.sh);
#   2. builds with g++ (-Werror) and runs every meson suite (unit, sip, fuzz replay, e2e, ...);
#   3. builds with clang + ASan/UBSan and libFuzzer, runs the unit and sip suites under the
#      sanitizers, and fuzzes every fuzz target for FUZZ_SECONDS (default 20) each.
# Ends with a line "N passed, N failed" and exits non-zero on any failure.
#
# Environment: BUILD_DIR (default build), ASAN_BUILD_DIR (default build-asan), FUZZ_SECONDS,
# SKIP_SANITIZERS=1 to run only step 2, JOBS (default: number of cores).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
JOBS=${JOBS:-$(nproc)}
export FUZZ_SECONDS=${FUZZ_SECONDS:-20}

bash scripts/install-deps.sh || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
failed_names=()

# Adds the results of one meson test run (from its testlog.json) to the totals.
count_results() {
    local dir=$1 label=$2
    local log="$dir/meson-logs/testlog.json"
    if [ ! -f "$log" ]; then
        failed=$((failed + 1)); failed_names+=("$label: no test log"); return
    fi
    local counts
    counts=$(python3 - "$log" "$label" <<'PY'
import json, sys
ok = bad = 0
names = []
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    t = json.loads(line)
    r = t.get("result")
    if r in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += r != "SKIP"
    else:
        bad += 1
        names.append(f"{sys.argv[2]}:{t.get('name')}({r})")
print(ok, bad, " ".join(names))
PY
)
    local ok bad names
    read -r ok bad names <<<"$counts"
    passed=$((passed + ok)); failed=$((failed + bad))
    if [ -n "$names" ]; then failed_names+=($names); fi
}

step_failed() {
    failed=$((failed + 1)); failed_names+=("$1")
}

echo "=== build (g++, werror) ==="
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --werror -Dbuildtype=debugoptimized >/dev/null || step_failed "meson setup $BUILD_DIR"
fi
if meson compile -C "$BUILD_DIR" -j "$JOBS"; then
    echo "=== tests (all suites) ==="
    meson test -C "$BUILD_DIR" --print-errorlogs --num-processes 1 --timeout-multiplier 2
    count_results "$BUILD_DIR" gcc
else
    step_failed "compile $BUILD_DIR"
fi

if [ "${SKIP_SANITIZERS:-0}" != 1 ]; then
    echo "=== build (clang, ASan+UBSan, libFuzzer) ==="
    if [ ! -f "$ASAN_BUILD_DIR/build.ninja" ]; then
        CC=clang CXX=clang++ meson setup "$ASAN_BUILD_DIR" --werror -Dbuildtype=debug \
            -Db_sanitize=address,undefined -Db_lundef=false -Dfuzzing=enabled -Dperf=disabled \
            >/dev/null || step_failed "meson setup $ASAN_BUILD_DIR"
    fi
    if meson compile -C "$ASAN_BUILD_DIR" -j "$JOBS"; then
        echo "=== tests under sanitizers (unit, sip) and fuzzing (fuzz) ==="
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
        export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        meson test -C "$ASAN_BUILD_DIR" --print-errorlogs --num-processes 1 \
            --timeout-multiplier 3 --suite unit --suite sip --suite fuzz
        count_results "$ASAN_BUILD_DIR" asan
    else
        step_failed "compile $ASAN_BUILD_DIR"
    fi
fi

echo
if [ "${#failed_names[@]}" -gt 0 ]; then
    echo "failed: ${failed_names[*]}"
fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
