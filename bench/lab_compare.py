"""xm (through xend, libxl backend) against Xen's own xl, from one lab run.

The lab scenario ``bench-xm-vs-xl`` (tests/lab/suite/test_xm_zbench.py)
times ``xm list``/``xl list`` (and ``python3 -c pass``, the floor), ``create`` to a booted guest and
``save``/``restore`` of the same PV test guest on the same host, and
``xenstore-keys`` times ``create -p`` of both, and ``bench-migrate-xm-vs-xl``
(tests/lab/suite/test_xm_migrate.py) ``xm migrate -l`` against ``xl
migrate`` to localhost with the downtime each caused (the longest gap in
the guest's heartbeat); the figures land in
``lab-logs/bench.json`` beside the lab report.  This prints them with the
xm/xl ratio (median of each)::

    make lab && python bench/lab_compare.py [lab-report.json]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

PAIRS = ("list", "create", "create -p", "save", "restore", "migrate",
         "migrate downtime")


def main(argv: list[str]) -> int:
    report = Path(argv[1] if len(argv) > 1 else "lab-report.json")
    bench = report.parent / "lab-logs" / "bench.json"
    try:
        entries = json.loads(bench.read_text())
    except (OSError, ValueError) as exc:
        print(f"no lab timings in {bench}: {exc}", file=sys.stderr)
        return 1
    times: dict[str, list[float]] = {}
    for entry in entries:
        times.setdefault(entry["what"], []).append(float(entry["seconds"]))
    try:
        xen = json.loads(report.read_text()).get("xen_version", "?")
    except (OSError, ValueError):
        xen = "?"
    print(f"Xen {xen} lab (QEMU/TCG): median seconds, xm (xend + libxl) vs xl")
    print(f"{'command':<17} {'xm':>8} {'xl':>8} {'xm/xl':>7} {'n':>4}")
    for what in PAIRS:
        xm, xl = times.get(f"xm {what}"), times.get(f"xl {what}")
        if not xm or not xl:
            continue
        a, b = statistics.median(xm), statistics.median(xl)
        ratio = f"{a / b:7.2f}" if b > 0 else f"{'-':>7}"
        print(f"{what:<17} {a:8.3f} {b:8.3f} {ratio} {min(len(xm), len(xl)):4d}")
    floor = times.get("python3 -c pass")
    if floor and times.get("xm list"):
        f = statistics.median(floor)
        print(f"floor: python3 -c pass {f:.3f} s; xm list is {statistics.median(times['xm list']) / f:.2f}x it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
