"""Hook for the xm/xend scenarios: how to start and stop xend in dom0.

The project is installed (pip install -e) into /opt/xend-lab/venv, whose bin/
is first on PATH, so `xend` and `xm` are the project's console scripts.  How
xend is started with its libxl backend is the xend engineers' decision: fill
in XEND_START (and XEND_STOP if `xend stop` is not right).  Until then the
`xend` fixture skips, so xm scenarios report "skip", not a false pass/fail.

Scenarios use it like:

    @pytest.mark.lab
    @pytest.mark.scenario("mem-set")
    def test_mem_set(xend: XendProcess) -> None:
        g = LabGuest("lab-xm-mem"); g.write_config(); g.mark_console()
        xend.xm("create", str(g.config_path))
        g.wait_for_marker("^READY")
        xend.xm("mem-set", g.name, "96")
        ...
"""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

# Set these when xend's libxl backend is ready (or export LAB_XEND_START /
# LAB_XEND_STOP in dom0 to experiment without editing this file).
XEND_START: str | None = os.environ.get("LAB_XEND_START")   # e.g. "xend start --backend libxl"
XEND_STOP: str = os.environ.get("LAB_XEND_STOP", "xend stop")
READY_PROBE = "xm list"          # succeeds once xend answers
READY_TIMEOUT_S = 60


@dataclass
class XendProcess:
    start_cmd: str

    def xm(self, *args: str, timeout: float = 180, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(["xm", *args], capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"xm {' '.join(args)} -> rc={proc.returncode}\n{proc.stderr}{proc.stdout}")
        return proc

    def start(self) -> None:
        subprocess.run(shlex.split(self.start_cmd), check=True, timeout=60)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while subprocess.run(shlex.split(READY_PROBE), capture_output=True, timeout=30).returncode != 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"xend not answering `{READY_PROBE}` after {READY_TIMEOUT_S}s")
            time.sleep(0.5)

    def stop(self) -> None:
        subprocess.run(shlex.split(XEND_STOP), capture_output=True, timeout=60)


@pytest.fixture
def xend() -> Iterator[XendProcess]:
    if os.environ.get("LAB_PROJECT_INSTALLED") == "fail":
        pytest.fail("the project did not install in dom0 (see install.log)")
    if not XEND_START:
        pytest.skip("xend libxl backend start command not wired yet (tests/lab/suite/lab_xend.py)")
    proc = XendProcess(XEND_START)
    proc.start()
    yield proc
    proc.stop()
