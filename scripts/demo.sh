#!/usr/bin/env bash
# The sbc demo on a fresh Debian 12 machine (as root): installs what is needed, builds sbc and
# sbc-dataplane, and places a real call through them:
#   * three network namespaces (nothing of the host is touched): "outside" (a carrier), "sbc"
#     (sbc and sbc-dataplane), "inside" (the core); veth pairs between them;
#   * sbc-dataplane (DPDK, no hugepages, net_af_packet on the sbc-side veths) relays the media;
#   * sbc answers SIP on each side, routes the call by the policy file, rewrites SDP to the relay;
#   * a sipp UAC in "outside" calls a sipp UAS in "inside" and plays 7 s of G.711 audio, which the
#     UAS echoes back; the script prints the flows mid-call, then checks what both sides captured
#     (media relayed both ways, no address or identifier of one side visible on the other) and
#     prints the call's CDR.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" >/dev/null
fi
meson compile -C "$build" sbc/sbc sbc/sbcctl dataplane/sbc-dataplane

cd tests/e2e
exec python3 call_media_e2e.py --demo --prefix sbc-demo- \
    --sbc "../../$build/sbc/sbc" --sbcctl "../../$build/sbc/sbcctl" \
    --dataplane "../../$build/dataplane/sbc-dataplane" --scenarios scenarios
