"""Figures for bench/lab_compare.py: xm (through xend) against Xen's own xl on
the same host in the same run -- list, create (to a booted guest) and
save/restore of the same test guest.  Timings go to $LAB_OUT/bench.json
(see lab_bench.py); the scenario passes when every command worked.  Named
to run after the xm scenarios."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import lab_bench
import lab_guest
import lab_xl as xl
from lab_xend import XendProcess
from lab_xm import running

pytestmark = pytest.mark.lab

ROUNDS = 5


def timed(what: str, action: Callable[[], object]) -> float:
    t = time.monotonic()
    action()
    seconds = time.monotonic() - t
    lab_bench.record(what, seconds)
    return seconds


@pytest.fixture
def bench_guest() -> Iterator[lab_guest.LabGuest]:
    g = lab_guest.LabGuest("lab-bench", memory_mb=128, maxmem_mb=128, vcpus=1)
    lab_guest.force_destroy(g.name)
    g.write_config()
    yield g
    lab_guest.force_destroy(g.name)
    g.remove_files()
    (lab_guest.WORK_DIR / "lab-bench.save").unlink(missing_ok=True)


@pytest.mark.scenario("bench-xm-vs-xl")
def test_bench_xm_vs_xl(xend: XendProcess, bench_guest: lab_guest.LabGuest) -> None:
    g = bench_guest
    state = lab_guest.WORK_DIR / "lab-bench.save"
    for _ in range(ROUNDS):
        # The floor: the venv's interpreter starting and doing nothing (xm's
        # own interpreter, under the same emulation).
        timed("python3 -c pass", lambda: xend.run(["python3", "-c", "pass"], timeout=60))
        timed("xm list", lambda: xend.xm("list"))
        timed("xl list", lambda: xl.run("list"))
    # Where xm list's time goes in dom0: the import profile of one run.
    profile = xend.run(["python3", "-X", "importtime", "-m", "xm", "list"], timeout=60)
    out = os.environ.get("LAB_OUT")
    if out:
        Path(out, "xm-list-importtime.txt").write_text(profile.stderr)
    tools: list[tuple[str, Callable[..., object]]] = [
        ("xm", lambda *a: xend.xm(*a, timeout=240)),
        ("xl", lambda *a: xl.run(*a, timeout=240))]
    for tool, run in tools:
        g.mark_console()
        timed(f"{tool} create", lambda: run("create", str(g.config_path)))
        g.wait_for_marker(r"^READY", timeout=180)
        timed(f"{tool} save", lambda: run("save", g.name, str(state)))
        xl.wait_gone(g.name, timeout=30)
        timed(f"{tool} restore", lambda: run("restore", str(state)))
        state.unlink()
        assert not running(g.name).paused
        run("destroy", g.name)
        xl.wait_gone(g.name, timeout=30)
