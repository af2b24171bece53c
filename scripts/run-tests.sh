#!/bin/sh
# The README's second command (and CI's): install what the tests need (Debian
# packages: Xen's tools and libxl headers, the xenstore tools, a compiler;
# QEMU, debootstrap and e2fsprogs for the Xen lab), install the project with
# its test extras into .venv, build the libxl bindings, type-check the code,
# run the test suite and then the Xen lab (a real Xen 4.17 host under QEMU,
# tests/lab/README.md; its image is cached in /var/cache/xend-lab).
# XEND_LAB=0 skips the lab.
#
# Extra arguments go to pytest, and then only pytest runs (no lab).  The exit
# status is non-zero if either part failed.
set -eu
cd "$(dirname "$0")/.."
lab=${XEND_LAB:-1}
[ $# -eq 0 ] || lab=0
pkgs="xen-utils-4.17 xenstore-utils libxen-dev gcc python3-dev python3-venv"
[ "$lab" = 0 ] || pkgs="$pkgs qemu-system-x86 debootstrap e2fsprogs"
need=""
for pkg in $pkgs; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
scripts/venv.sh test
.venv/bin/python -m bindings.build >/dev/null || echo "warning: libxl bindings not built" >&2
.venv/bin/python -m mypy xend xm xenstore bindings
rc=0
.venv/bin/python -m pytest -q "$@" || rc=$?
if [ "$lab" != 0 ]; then
    python3 tests/lab/lab.py run || rc=$((rc ? rc : 1))
fi
exit "$rc"
