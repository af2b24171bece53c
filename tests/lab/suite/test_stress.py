"""Is the emulated host sound?  `vector-state` (marked `lab`, 30 s) is the
normal run's sentinel: fpcheck in dom0 on both vCPUs, which saw about a
fifth of its rounds corrupted before Xen switched FPU state eagerly (see
tests/lab/README.md).  The stress scenarios are not part of the normal lab
run (marked `stress`, not `lab`); run them with

    LAB_PYTEST_ARGS='-m stress --stress-seconds=300' make lab

`stress-vector-state` runs tests/lab/tools/fpcheck (which checks that a
process's vector registers survive being preempted) in dom0 and in two
busy guests at once, so Xen switches vCPUs on every physical CPU all the
time; any mismatch is a fault below user space.  `stress-xend-lifecycle`
is the workload that crashed dom0 processes before: create, save,
restore and destroy through xend on libxl in a loop.  Both write their
figures to $LAB_OUT/stress.json; core dumps are collected by runner.sh
(the report's lab.crashes).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

import lab_guest
import lab_xl as xl
from lab_xend import XendProcess

TOOLS = Path(__file__).resolve().parent.parent / "tools"
FPCHECK = lab_guest.WORK_DIR / "fpcheck"
SUMMARY = re.compile(r"fpcheck (\w+): (?:rounds=(\d+) mismatches=(\d+)|not supported)")


def _record(key: str, value: Any) -> None:
    out = os.environ.get("LAB_OUT")
    if not out:
        return
    path = Path(out) / "stress.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[key] = value
    path.write_text(json.dumps(data, indent=2) + "\n")


def _parse(lines: list[str], where: str) -> list[dict[str, Any]]:
    found = []
    for ln in lines:
        m = SUMMARY.search(ln)
        if m:
            found.append({"where": where, "mode": m.group(1),
                          "rounds": int(m.group(2) or 0), "mismatches": int(m.group(3) or 0),
                          "supported": m.group(2) is not None, "line": ln.strip()})
    return found


def _build_fpcheck() -> None:
    lab_guest.WORK_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", "-O2", "-static", "-o", str(FPCHECK), str(TOOLS / "fpcheck.c")],
                   check=True, timeout=300)


def _start_dom0_checkers(seconds: int) -> list[tuple[str, subprocess.Popen[str]]]:
    """Two checkers of each kind in dom0 (both dom0 vCPUs, when it has two)."""
    return [(mode, subprocess.Popen([str(FPCHECK), mode, str(seconds)], stdout=subprocess.PIPE, text=True))
            for mode in ("avx", "avx", "sse", "sse")]


def _dom0_results(procs: list[tuple[str, subprocess.Popen[str]]], seconds: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for _mode, p in procs:
        out, _ = p.communicate(timeout=seconds * 3 + 300)
        results += _parse(out.splitlines(), "dom0")
        if p.returncode == 1:
            print(out)
    return results


SENTINEL_SECONDS = 30


@pytest.mark.lab
@pytest.mark.scenario("vector-state")
def test_vector_state_in_dom0() -> None:
    _build_fpcheck()
    results = _dom0_results(_start_dom0_checkers(SENTINEL_SECONDS), SENTINEL_SECONDS)
    _record("vector_state_sentinel", results)
    for r in results:
        print(f"{r['where']:6} {r['line']}")
    assert len(results) == 4, results
    assert all(r["rounds"] > 0 for r in results if r["supported"]), results
    bad = [r for r in results if r["mismatches"]]
    assert not bad, f"vector registers corrupted in dom0: {bad}"


@pytest.mark.stress
@pytest.mark.scenario("stress-vector-state")
def test_vector_state_survives_vcpu_switches(stress_seconds: int) -> None:
    _build_fpcheck()
    flags = Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0]
    _record("dom0_cpu_flags", flags.strip(": ").split())
    guests = [lab_guest.LabGuest(f"lab-stress-fp{i}", memory_mb=128, maxmem_mb=128, vcpus=2, vifs=0,
                                 extra=f"console=hvc0 loglevel=4 lab.fpcheck={stress_seconds}")
              for i in range(2)]
    results: list[dict[str, Any]] = []
    try:
        for g in guests:
            lab_guest.force_destroy(g.name)
            g.write_config()
            g.mark_console()
            xl.run("create", str(g.config_path), timeout=300)
        for g in guests:
            g.wait_for_marker(r"^READY", timeout=300)
        results += _dom0_results(_start_dom0_checkers(stress_seconds), stress_seconds)
        for g in guests:
            lab_xl_wait = time.monotonic() + stress_seconds * 3 + 300
            while len([m for m in g.markers() if m.startswith("FPCHECK")]) < 4:
                assert time.monotonic() < lab_xl_wait, f"{g.name}: checkers never finished"
                time.sleep(2)
            results += _parse([m for m in g.markers() if m.startswith("FPCHECK")], g.name)
    finally:
        for g in guests:
            lab_guest.force_destroy(g.name)
            g.remove_files()
        _record("vector_state", results)
    for r in results:
        print(f"{r['where']:16} {r['line']}")
    bad = [r for r in results if r["mismatches"]]
    assert len(results) == 12, results
    assert not bad, f"vector registers corrupted: {bad}"


@pytest.mark.stress
@pytest.mark.scenario("stress-xend-lifecycle")
def test_xend_lifecycle_loop(xend: XendProcess, stress_seconds: int) -> None:
    g = lab_guest.LabGuest("lab-stress-life", memory_mb=128, maxmem_mb=128, vcpus=2)
    lab_guest.force_destroy(g.name)
    g.write_config()
    image = lab_guest.WORK_DIR / f"{g.name}.save"
    cycles, steps = 0, {"create": 0, "save": 0, "restore": 0, "destroy": 0}
    deadline = time.monotonic() + stress_seconds
    try:
        while time.monotonic() < deadline:
            g.mark_console()
            xend.xm("create", str(g.config_path), timeout=300)
            steps["create"] += 1
            g.wait_for_marker(r"^READY", timeout=300)
            xend.xm("save", g.name, str(image), timeout=300)
            steps["save"] += 1
            xl.wait_gone(g.name)
            xend.xm("restore", str(image), timeout=300)
            steps["restore"] += 1
            image.unlink()
            xend.xm("destroy", g.name, timeout=300)
            steps["destroy"] += 1
            xl.wait_gone(g.name)
            cycles += 1
    finally:
        _record("xend_lifecycle", {"cycles": cycles, "steps": steps})
        lab_guest.force_destroy(g.name)
        image.unlink(missing_ok=True)
        g.remove_files()
    print(f"stress-xend-lifecycle: {cycles} cycles, {steps}")
    assert cycles > 0
