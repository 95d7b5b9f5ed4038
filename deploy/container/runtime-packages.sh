#!/bin/sh
# runtime-packages.sh BINARY...: the Debian packages that hold the shared libraries the binaries
# load (ldd), one per line, sorted. The container build runs it in the build stage so that the
# runtime stage installs exactly these (plus the DPDK drivers, which DPDK loads as plugins and
# ldd cannot see); deploy_check.py runs it on the binaries of a local build.
set -eu
[ "$#" -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
libs=$(for bin in "$@"; do
    ldd "$bin" | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}'
done | sort -u)
owners=""
for lib in $libs; do
    # Debian 12 has a merged /usr: dpkg may know the file under /lib or under /usr/lib.
    real=$(readlink -f "$lib")
    owner=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$lib" 2>/dev/null ||
            dpkg -S "${real#/usr}" 2>/dev/null || true)
    if [ -z "$owner" ]; then
        echo "runtime-packages: no package owns $lib" >&2
        exit 1
    fi
    owners="$owners$(echo "$owner" | head -n1 | cut -d: -f1)
"
done
printf '%s' "$owners" | sort -u
