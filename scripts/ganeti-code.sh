#!/bin/sh
# Unpack Debian 12's Ganeti 3.0 (the package ganeti-3.0: its Python code and
# its xen-console-wrapper) into a cache directory, for the contract test
# tests/e2e/test_ganeti.py, which drives Ganeti's own Xen hypervisor code
# against our real xm.  The package is only unpacked, never installed (its
# maintainer scripts would set up and start Ganeti's daemons).  Idempotent:
# a second run finds the code and does nothing.  Prints the directory.
#
# Usage: scripts/ganeti-code.sh   (XEND_GANETI_DIR overrides the directory,
# by default /var/cache/xend-ganeti; the test reads the same variable)
set -eu
dir=${XEND_GANETI_DIR:-/var/cache/xend-ganeti}
if [ -f "$dir/usr/share/ganeti/3.0/ganeti/hypervisor/hv_xen.py" ]; then
    echo "$dir"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/apt.log
# apt-get download writes into the current directory; as root it warns that
# it cannot drop privileges there (harmless), so its output goes to the log.
if ! (cd "$work" && apt-get download ganeti-3.0) >"$log" 2>&1; then
    apt-get update -qq >>"$log" 2>&1 || true
    if ! (cd "$work" && apt-get download ganeti-3.0) >>"$log" 2>&1; then
        cat "$log" >&2
        echo "Error: could not download the Debian package ganeti-3.0" >&2
        exit 1
    fi
fi
deb=$(ls "$work"/ganeti-3.0_*.deb)
mkdir -p "$work/root"
dpkg-deb -x "$deb" "$work/root"
dpkg-deb -f "$deb" Version >"$work/root/VERSION"
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.new"
mv "$work/root" "$dir.new"
rm -rf "$dir"
mv "$dir.new" "$dir"
echo "$dir"
