#!/usr/bin/env bash
# The sbc demo on a fresh Debian 12 machine (as root): installs what is needed, builds sbc, starts
# it in a network namespace "sbc-demo" (its own interfaces, nothing of the host is touched) with UDP,
# TCP and TLS listeners, and has a carrier's sipp send the OPTIONS health check over each, then
# prints sbcctl status. Calls with media come with the data plane (see README.md, Status).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" >/dev/null
fi
meson compile -C "$build" sbc/sbc sbc/sbcctl

work=$(mktemp -d /tmp/sbc-demo.XXXXXX)
ns=sbc-demo
cleanup() {
    [ -n "${sbc_pid:-}" ] && kill "$sbc_pid" 2>/dev/null && wait "$sbc_pid" 2>/dev/null || true
    [ -n "${socat_pid:-}" ] && kill "$socat_pid" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A namespace with a veth pair: sbc listens on 10.99.0.1 inside it; the "carrier" side is
# 10.99.0.2 in the same namespace's peer end (both ends stay inside the namespace).
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip -n "$ns" link add sbc0 type veth peer name carrier0
ip -n "$ns" addr add 10.99.0.1/24 dev sbc0
ip -n "$ns" addr add 10.99.0.2/24 dev carrier0
ip -n "$ns" link set lo up
ip -n "$ns" link set sbc0 up
ip -n "$ns" link set carrier0 up

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" -subj /CN=sbc.demo 2>/dev/null
cat >"$work/sbc.yaml" <<YAML
listeners:
  - {name: outside-udp, side: outside, transport: udp, address: 10.99.0.1, port: 5060}
  - {name: outside-tcp, side: outside, transport: tcp, address: 10.99.0.1, port: 5060}
  - name: outside-tls
    side: outside
    transport: tls
    address: 10.99.0.1
    port: 5061
    tls: {certificate: $work/cert.pem, private_key: $work/key.pem}
admin: {socket: $work/admin.sock}
YAML

echo "== starting sbc in namespace $ns"
ip netns exec "$ns" "$build/sbc/sbc" run --config "$work/sbc.yaml" &
sbc_pid=$!
for _ in $(seq 50); do [ -S "$work/admin.sock" ] && break; sleep 0.1; done

scenario=tests/e2e/scenarios/options_uac.xml
for t in u1 t1; do
    echo "== sipp OPTIONS over $( [ $t = u1 ] && echo UDP || echo TCP ) from 10.99.0.2"
    ip netns exec "$ns" sipp -sf "$scenario" -m 5 -r 5 -t "$t" -i 10.99.0.2 -p 15060 \
        -nostdin -timeout 20s -timeout_error 10.99.0.1:5060 >/dev/null
    echo "   5 of 5 answered 200 OK"
done
echo "== sipp OPTIONS over TLS (through a socat TLS bridge: Debian's sipp has no TLS)"
ip netns exec "$ns" socat TCP-LISTEN:15070,bind=10.99.0.2,reuseaddr,fork \
    OPENSSL:10.99.0.1:5061,verify=0 &
socat_pid=$!
sleep 0.3
ip netns exec "$ns" sipp -sf "$scenario" -m 5 -r 5 -t t1 -i 10.99.0.2 -p 15061 \
    -nostdin -timeout 20s -timeout_error 10.99.0.2:15070 >/dev/null
echo "   5 of 5 answered 200 OK"

echo "== sbcctl status"
"$build/sbc/sbcctl" --socket "$work/admin.sock" status | python3 -m json.tool
echo "== demo done"
