#!/usr/bin/env bash
# Installs every Debian 12 package sbc needs to build, test, benchmark and run its demo.
# Idempotent; safe to re-run. Needs root (or sudo). No downloads beyond Debian's archive.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkgconf clang lld libclang-rt-14-dev
  clang-format clang-tidy
  # libraries
  libboost-dev libboost-system-dev libssl-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libdpdk-dev libsrtp2-dev prometheus-cpp-dev libre2-dev
  # real peers and tools for the tests and the demo
  sip-tester sipvicious tshark redis-server prometheus
  iproute2 ethtool nftables python3-yaml iputils-ping procps psmisc python3 openssl ca-certificates socat
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
