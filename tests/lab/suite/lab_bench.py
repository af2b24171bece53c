"""Timings for bench/lab_compare.py: scenarios record how long an xm command
and the matching xl command took on the same host, in $LAB_OUT/bench.json
(one list of {"what", "seconds"}; copied to lab-logs/ by the harness)."""
from __future__ import annotations

import json
import os
from pathlib import Path


def record(what: str, seconds: float) -> None:
    out = os.environ.get("LAB_OUT")
    if not out:
        return
    path = Path(out) / "bench.json"
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = []
    entries.append({"what": what, "seconds": round(seconds, 3)})
    path.write_text(json.dumps(entries, indent=1) + "\n")
