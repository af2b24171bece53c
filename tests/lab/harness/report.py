"""Assembles the lab report (JSON at $LAB_REPORT) from what dom0 left in the
results share, and decides whether the run passed.

Shape: {"xen_version": "4.17.x", "scenarios": [{"name", "result", "seconds"}],
        "lab": {"ok", "errors", "install", "timings", "logs", ...}}
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PASSING = {"pass", "skip"}


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _xen_version_from(xl_info: Path) -> str | None:
    # runner.sh saves `xl info` early, so a run cut short still says which Xen.
    try:
        fields = dict(line.split(":", 1) for line in xl_info.read_text().splitlines() if ":" in line)
    except OSError:
        return None
    parts = [fields.get(k, "").strip() for k in ("xen_major", "xen_minor", "xen_extra")]
    return f"{parts[0]}.{parts[1]}{parts[2]}" if parts[0] else None


def build(outdir: Path, errors: list[str], lab_info: dict[str, Any]) -> dict[str, Any]:
    status = _load(outdir / "status.json") or {}
    scenarios = _load(outdir / "scenarios.json") or []
    errors = list(errors)
    if not status:
        errors.append("dom0 runner left no status.json (it did not finish; see runner.log / serial.log)")
    install = status.get("install")
    if install == "fail":
        errors.append("project install failed in dom0 (pip install -e); see install.log")
    if status.get("bindings_build") == "fail":
        errors.append("python -m bindings.build failed in dom0; see bindings-build.log")
    if status.get("guest_build") == "fail":
        errors.append("building the PV test guest failed; see runner.log")
    rc = status.get("pytest_rc")
    if rc not in (None, 0, 1):      # 1 = some test failed, reported per scenario
        errors.append(f"lab suite did not complete normally (pytest rc={rc}; 124 = timeout)")
    crashes = status.get("crashes") or []
    if crashes:
        # Any process, ours or not (systemd, udevd...): a crash of a
        # process we did not write says the emulated host corrupted memory.
        errors.append(f"processes crashed in dom0 during the suite: {', '.join(crashes)} "
                      "(comm.pid; gdb backtraces in lab-logs/cores/)")
    if status and not scenarios:
        errors.append("lab suite recorded no scenario")
    xen_version = status.get("xen_version") or _xen_version_from(outdir / "xl-info.txt")
    failed = [s["name"] for s in scenarios if s.get("result") not in PASSING]
    ok = not errors and not failed
    timings = dict(lab_info.pop("timings", {}))
    timings.update({f"dom0_{k}_s": v for k, v in status.get("seconds", {}).items()})
    return {
        "xen_version": xen_version,
        "scenarios": scenarios,
        "lab": {
            "ok": ok,
            "errors": errors,
            "failed_scenarios": failed,
            "install": install,
            "bindings_build": status.get("bindings_build"),
            "dom0_kernel": status.get("dom0_kernel"),
            "crashes": crashes,
            "timings": timings,
            **lab_info,
        },
    }


def write(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(path)
