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
import subprocess
import sys
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
        "XEND_CONTRACT_KERNEL": str(lab_guest.GUEST_DIR / "vmlinuz"),
        "XEND_CONTRACT_RAMDISK": str(lab_guest.GUEST_DIR / "initramfs.gz"),
        "XEND_CONTRACT_CMDLINE": "console=hvc0 loglevel=4",
        "XEND_CONTRACT_HVM": "0",
        "XEND_CONTRACT_GUEST_TIMEOUT": "60",
        "XEND_CONTRACT_BOOT_WAIT": "5",
    })
    env.pop("PYTEST_CURRENT_TEST", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE", "-v", test_file]
    try:
        proc = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        output, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        output, rc = out + f"\n(killed after {timeout:.0f}s)\n", -1
    if os.environ.get("LAB_OUT"):
        (Path(os.environ["LAB_OUT"]) / f"{name}.log").write_text(output)
    if rc != 0:
        failed = [ln for ln in output.splitlines() if re.match(r"^(FAILED|ERROR) ", ln)]
        summary = output.strip().splitlines()[-1] if output.strip() else "(no output)"
        pytest.fail(f"{test_file} rc={rc}: {summary}\n" + "\n".join(failed), pytrace=False)


@pytest.mark.scenario("contract-libxl")
def test_contract_libxl() -> None:
    _run_contract("contract-libxl", "tests/sim/test_contract.py", timeout=420)


@pytest.mark.scenario("contract-libxl-devices")
def test_contract_libxl_devices() -> None:
    _run_contract("contract-libxl-devices", "tests/sim/test_contract_devices.py", timeout=180)
