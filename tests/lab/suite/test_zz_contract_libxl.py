"""The backend contract suite (tests/sim/test_contract*.py), run against the
libxl backend on this real host, so the simulator cannot drift from it.

Each file runs in its own pytest subprocess with XEND_CONTRACT_BACKEND=libxl
and the lab's test guest as the PV kernel (booting from its initramfs, so
guests answer shutdown requests once booted: XEND_CONTRACT_BOOT_WAIT); its
output goes to $LAB_OUT/NAME.log.
HVM tests are skipped (XEND_CONTRACT_HVM=0: the lab has no HVM guest).
The file is named to sort last: these guests come and go fast, and the xm
scenarios should not wait behind them.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import lab_guest

pytestmark = pytest.mark.lab

PROJECT = Path(__file__).resolve().parents[3]


def _run_contract(name: str, test_file: str, timeout: float) -> None:
    if os.environ.get("LAB_PROJECT_INSTALLED") == "fail":
        pytest.fail("the project did not install in dom0 (see install.log)")
    if not os.environ.get("XEND_LIBXL_CFFI"):
        pytest.fail("no libxl binding was built in dom0 (see bindings-build.log)")
    env = dict(os.environ)
    env.update({
        "XEND_CONTRACT_BACKEND": "libxl",
        "XEND_CONTRACT_KERNEL": str(lab_guest.GUEST_DIR / "kernel"),
        "XEND_CONTRACT_RAMDISK": str(lab_guest.GUEST_DIR / "initramfs.gz"),
        "XEND_CONTRACT_CMDLINE": "console=hvc0 loglevel=4",
        "XEND_CONTRACT_HVM": "0",
        "XEND_CONTRACT_GUEST_TIMEOUT": "60",
        "XEND_CONTRACT_BOOT_WAIT": "5",
    })
    env.pop("PYTEST_CURRENT_TEST", None)
    # -s and live logs: libxl's own messages (INFO and up) and an abort's
    # stack land in the log; lab_live_report prints each failure at once.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).parent), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           "-p", "lab_live_report", "-s", "-o", "log_cli=true",
           "--log-cli-level=INFO", "--durations=0", "-rfE", "-v", test_file]
    # The output streams into $LAB_OUT/NAME.log, to follow while it runs.
    out_dir = Path(os.environ.get("LAB_OUT") or tempfile.mkdtemp())
    log_path = out_dir / f"{name}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=log,
                                stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # SIGINT first: pytest tears its fixtures down (the hv fixture
            # destroys the guests it made).
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            rc = -1
            log.write(f"\n(killed after {timeout:.0f}s)\n")
    output = log_path.read_text(errors="replace")
    if rc != 0:
        failed = [ln for ln in output.splitlines() if re.match(r"^(FAILED|ERROR) ", ln)]
        summary = output.strip().splitlines()[-1] if output.strip() else "(no output)"
        pytest.fail(f"{test_file} rc={rc}: {summary}\n" + "\n".join(failed), pytrace=False)


@pytest.mark.scenario("contract-libxl")
def test_contract_libxl() -> None:
    _run_contract("contract-libxl", "tests/sim/test_contract.py", timeout=800)


@pytest.mark.scenario("contract-libxl-devices")
def test_contract_libxl_devices() -> None:
    _run_contract("contract-libxl-devices", "tests/sim/test_contract_devices.py", timeout=300)
