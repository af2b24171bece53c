#!/bin/sh
# Create (or reuse) the project's virtualenv in .venv and install the project
# into it, editable.  Usage: scripts/venv.sh [EXTRAS]   (e.g. "test")
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! $PYTHON -c 'import venv, ensurepip' 2>/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3-venv python3-pip >/dev/null
fi
[ -x .venv/bin/python ] || $PYTHON -m venv .venv
log=.venv/pip-install.log
spec=.
[ -z "${1:-}" ] || spec=".[$1]"
if ! { .venv/bin/python -m pip install -q --upgrade pip &&
       .venv/bin/python -m pip install -q -e "$spec"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "Error: installing the project into .venv failed (log: $log)" >&2
    exit 1
fi
