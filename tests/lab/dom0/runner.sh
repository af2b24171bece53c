#!/bin/sh
# Runs inside dom0 (started by xen-lab.service via /usr/local/sbin/xen-lab-run,
# or by hand from a debug shell).  Waits for the Xen toolstack, builds the PV
# test guest, installs the project into /opt/xend-lab/venv, runs the lab suite
# and leaves its results in OUTDIR for the host harness (tests/lab/lab.py):
#   status.json      xen_version, install result, per-step seconds
#   scenarios.json   written by tests/lab/suite/conftest.py as tests finish
#   install.log, bindings-build.log, pytest.log, xl-info.txt, xl-dmesg.txt, guest-consoles/
# Usage: runner.sh PROJECT_DIR OUTDIR
set -u
project=${1:?usage: runner.sh PROJECT_DIR OUTDIR}
out=${2:?usage: runner.sh PROJECT_DIR OUTDIR}
venv=/opt/xend-lab/venv
guestdir=/var/lib/xen-lab/guest
# Budgets well inside the harness's overall timeout, so a stuck step still
# leaves a status.json behind instead of being killed with the VM.
install_timeout=${LAB_INSTALL_TIMEOUT:-420}
suite_timeout=${LAB_SUITE_TIMEOUT:-2640}

now() { date +%s.%N; }
secs() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$1" "$2"; }
step() { echo "== [$(date +%T)] $*"; }

t0=$(now)
step "waiting for the Xen toolstack"
n=0
until xl list > /dev/null 2>&1; do
    n=$((n + 1))
    if [ $n -gt 120 ]; then echo "xl list never worked"; break; fi
    sleep 1
done
xl info > "$out/xl-info.txt" 2>&1
xen_version=$(awk -F': *' '/^xen_major/ {ma=$2} /^xen_minor/ {mi=$2} /^xen_extra/ {ex=$2} END {print ma "." mi ex}' "$out/xl-info.txt")
step "Xen $xen_version; dom0 kernel $(uname -r)"
ip -brief addr show xenbr0 || true

step "building the PV test guest"
guest_rc=0
sh "$project/tests/lab/guest/build-initramfs.sh" "$guestdir" || guest_rc=$?

# Editable install straight from the 9p share.  First offline-ish
# (--no-build-isolation: the venv already has setuptools/wheel/cffi, and the
# image pre-installed the current deps), then with pip's normal isolated build
# in case the project now needs a build dependency the image lacks.
step "installing the project into $venv"
t_install=$(now)
# Bytecode goes to a cache in dom0, outside the checkout (no root-owned
# __pycache__ in the share), as an installed package has its .pyc files:
# with PYTHONDONTWRITEBYTECODE every xm run compiled xm from source, which
# under TCG was a large part of its start-up (lab-logs/xm-list-importtime.txt).
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX=/var/cache/xend-lab-pycache
# The binding is built by its own step below, outside the share; pip must
# not compile it into the host's checkout too (setup.py's cffi_modules).
export XEND_BUILD_LIBXL=no
install_result=pass
# editable_mode=compat: a plain path in a .pth file instead of setuptools'
# import-hook finder, which every xm start in dom0 paid for (0.4 s of
# xm list's 1.3 s of imports under TCG: lab-logs/xm-list-importtime.txt).
if ! timeout "$install_timeout" "$venv/bin/pip" install --no-build-isolation \
        --config-settings editable_mode=compat -e "$project" > "$out/install.log" 2>&1; then
    echo "--- retry with build isolation" >> "$out/install.log"
    if ! timeout "$install_timeout" "$venv/bin/pip" install -e "$project" >> "$out/install.log" 2>&1; then
        install_result=fail
    fi
fi
if [ "$install_result" = pass ]; then
    "$venv/bin/python" -m compileall -q "$project/xend" "$project/xm" "$project/xenstore" \
        "$project/bindings" >> "$out/install.log" 2>&1 || true
fi
install_s=$(secs "$t_install" "$(now)")
tail -n 3 "$out/install.log"
step "project install: $install_result (${install_s}s)"

# The libxl binding is a cffi extension compiled by an explicit step against
# dom0's libxl.h.  Built outside the checkout so it never overwrites a host
# build in the shared tree; the loader finds it through XEND_LIBXL_CFFI.
bindings_result=absent
bindings_so=
if [ "$install_result" = pass ] && [ -f "$project/bindings/build.py" ]; then
    step "building the libxl binding (python -m bindings.build)"
    rm -rf /opt/xend-lab/bindings
    if bindings_so=$(cd "$project" && timeout 300 "$venv/bin/python" -m bindings.build \
            --output-dir /opt/xend-lab/bindings 2> "$out/bindings-build.log"); then
        bindings_result=pass
        bindings_so=$(echo "$bindings_so" | tail -n 1)   # build prints the module path last
        echo "$bindings_so" >> "$out/bindings-build.log"
    else
        bindings_result=fail
        bindings_so=
    fi
    tail -n 3 "$out/bindings-build.log"
    step "libxl binding: $bindings_result"
fi

# The xl- scenarios need only pytest (pre-installed in the image), so the
# suite runs even when the project failed to install; the harness still
# fails the run on a failed install.
# Extra pytest arguments from the host (LAB_PYTEST_ARGS), whitespace-split.
pytest_args=$(cat "$out/pytest-args" 2>/dev/null)
# Core dumps of anything that crashes during the suite (xend, a libxl
# child, the contract tests), summarised with gdb afterwards.
mkdir -p /var/tmp/cores
echo '/var/tmp/cores/core.%e.%p' > /proc/sys/kernel/core_pattern
ulimit -c unlimited
step "running the lab suite ${pytest_args:+(extra args: $pytest_args)}"
t_suite=$(now)
cd "$project"
PATH="$venv/bin:$PATH" \
LAB_SCENARIOS="$out/scenarios.json" \
LAB_GUEST_DIR="$guestdir" \
LAB_PROJECT_INSTALLED="$install_result" \
XEND_LIBXL_CFFI="$bindings_so" \
LAB_OUT="$out" \
    sh -c 'timeout "$1" "$2/bin/python" -m pytest -c tests/lab/dom0/pytest-lab.ini --rootdir . \
               -m lab -v -rfEs tests/lab/suite $4; echo $? > "$3/pytest.rc"' \
       runner "$suite_timeout" "$venv" "$out" "$pytest_args" 2>&1 | tee "$out/pytest.log"
suite_rc=$(cat "$out/pytest.rc" 2>/dev/null || echo 255)
suite_s=$(secs "$t_suite" "$(now)")
step "suite finished rc=$suite_rc (${suite_s}s)"

# Which processes crashed: "core.<comm>.<pid>" each, for status.json.
crashes=$(ls /var/tmp/cores 2>/dev/null | sed -n 's/^core\.//p' | tr '\n' ' ')
for core in /var/tmp/cores/core.*; do
    [ -e "$core" ] || continue
    mkdir -p "$out/cores"
    # The program is the first word of the command line the core records
    # (for a Python script, the interpreter: its execfn is the script).
    exe=$(file -b "$core" 2>/dev/null | sed -n "s/.*from '\([^' ]*\).*/\1/p")
    file -b -L "$exe" 2>/dev/null | grep -q ELF || exe=/usr/bin/python3.11
    step "core dump $core ($exe)"
    if command -v gdb > /dev/null; then
        timeout 300 gdb -batch -nx -ex "info threads" -ex "thread apply all bt 40" \
            "$exe" "$core" > "$out/cores/$(basename "$core").txt" 2>&1
        grep -m1 -A25 "^Thread 1 " "$out/cores/$(basename "$core").txt" || true
    fi
done

xl dmesg > "$out/xl-dmesg.txt" 2>&1
mkdir -p "$out/guest-consoles"
cp /var/log/xen/console/*.log "$out/guest-consoles/" 2>/dev/null
cp /var/log/xen/xl-*.log "$out/guest-consoles/" 2>/dev/null

python3 - "$out/status.json" <<PY
import json, sys
json.dump({
    "xen_version": "$xen_version",
    "dom0_kernel": "$(uname -r)",
    "guest_build": "pass" if $guest_rc == 0 else "fail",
    "install": "$install_result",
    "bindings_build": "$bindings_result",
    "pytest_rc": $suite_rc,
    "crashes": "$crashes".split(),
    "seconds": {"toolstack_wait": $(secs "$t0" "$t_install"), "install": $install_s, "suite": $suite_s},
}, open(sys.argv[1], "w"), indent=2)
PY
step "runner done"
