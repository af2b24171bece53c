#!/bin/sh
# The README's second command (and CI's): install what the tests need (Debian
# packages: Xen's tools and libxl headers, the xenstore tools, a compiler;
# QEMU, debootstrap and e2fsprogs for the Xen lab), install the project with
# its test extras into .venv, build the libxl bindings, unpack Debian's
# Ganeti 3.0 for the Ganeti contract test (scripts/ganeti-code.sh; the test
# must then run, not skip), type-check the code, run the test suite and then
# the Xen lab (a real Xen 4.17 host under QEMU,
# tests/lab/README.md; its image is cached in /var/cache/xend-lab).
# Between the two, the migration fault campaigns (pytest -m faults
# tests/migrate, a few minutes; tests/migrate/README.md).  XEND_LAB=0 skips
# the lab, XEND_FAULTS=0 the fault campaigns.
#
# Extra arguments go to pytest, and then only pytest runs (no campaigns, no
# lab).  The exit status is non-zero if any part failed.
set -eu
cd "$(dirname "$0")/.."
lab=${XEND_LAB:-1}
faults=${XEND_FAULTS:-1}
[ $# -eq 0 ] || { lab=0; faults=0; }
pkgs="xen-utils-4.17 xenstore-utils libxen-dev gcc python3-dev python3-venv iproute2 openssl groff-base"
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
scripts/ganeti-code.sh >/dev/null || echo "warning: Ganeti 3.0 not unpacked (its contract test will fail)" >&2
export XEND_GANETI_REQUIRED=1
.venv/bin/python -m mypy xend xm xenstore bindings
rc=0
.venv/bin/python -m pytest -q "$@" || rc=$?
if [ "$faults" != 0 ]; then
    .venv/bin/python -m pytest -q -m faults tests/migrate || rc=$((rc ? rc : 1))
fi
if [ "$lab" != 0 ]; then
    python3 tests/lab/lab.py run || rc=$((rc ? rc : 1))
fi
exit "$rc"
