#!/bin/sh
# The README's second command (and CI's): install what the tests need (Debian
# packages: Xen's tools and libxl headers, the xenstore tools, a compiler),
# install the project with its test extras into .venv, build the libxl
# bindings, type-check the code and run the test suite.  Extra arguments go to pytest.
set -eu
cd "$(dirname "$0")/.."
need=""
for pkg in xen-utils-4.17 xenstore-utils libxen-dev gcc python3-dev python3-venv; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
scripts/venv.sh test
.venv/bin/python -m bindings.build >/dev/null || echo "warning: libxl bindings not built" >&2
.venv/bin/python -m mypy xend xm xenstore bindings
exec .venv/bin/python -m pytest -q "$@"
