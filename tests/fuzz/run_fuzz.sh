#!/usr/bin/env bash
# run_fuzz.sh BINARY SEED_DIR...
# With a libFuzzer binary: fuzz for FUZZ_SECONDS (default 20) starting from the seeds, writing new
# inputs to a scratch directory (never into the source tree) and any crash to FUZZ_ARTIFACTS
# (default: the scratch directory). With a standalone binary: replay the seeds once.
set -euo pipefail
bin=$1; shift
secs=${FUZZ_SECONDS:-20}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=${FUZZ_ARTIFACTS:-$scratch}
mkdir -p "$artifacts"
# A libFuzzer binary carries libFuzzer's driver. (grep -c, not grep -q: with pipefail an early
# exit of grep would SIGPIPE nm and make the test look false.)
is_libfuzzer=0
if [ "$(nm "$bin" 2>/dev/null | grep -c 'LLVMFuzzerRunDriver')" -gt 0 ]; then
  is_libfuzzer=1
fi
if [ "$is_libfuzzer" = 1 ]; then
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
       -print_final_stats=1 -artifact_prefix="$artifacts/" "$scratch" "$@"
else
  "$bin" "$@"
fi
