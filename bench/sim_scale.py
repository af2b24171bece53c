"""How the simulator's costs grow with the domain count, side by side.

Two private xends on the simulator run at once: one holds ``--small``
domains (default 10), the other ``--large`` (default 1,000).  Creates and
``xm list`` processes then alternate between them (small, large, small,
large ...), so machine noise hits both alike, and the figures are medians
with the large/small ratio.  A create is measured as one
``xend.domain.create`` RPC (the domain is destroyed again after each, so
the count stays put).

``--tree DIR`` runs the code of another checkout (e.g. an older commit
unpacked with ``git archive``) to compare before and after.

    python bench/sim_scale.py [--small N] [--large N] [--runs N] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simxend import compile_tree, start_xend

ROOT = Path(__file__).resolve().parents[1]


# A PV guest boots from a kernel file that exists (the simulator checks, as
# libxl does); main() makes one in its temporary directory.
KERNEL = "/boot/vmlinuz"


def domain(name: str) -> dict[str, Any]:
    return {"name": name, "kernel": KERNEL, "memory": 32}


def fill(client: Any, count: int, label: str) -> None:
    start = time.monotonic()
    for n in range(count):
        client.call("xend.domain.create", domain(f"fill{n:05d}"), False)
        if n and n % 250 == 0:
            print(f"  ({label}: {n} domains, {time.monotonic() - start:.0f}"
                  " s)", file=sys.stderr, flush=True)


def timed_create(client: Any, n: int) -> float:
    start = time.perf_counter()
    rec = client.call("xend.domain.create", domain(f"probe{n:05d}"), False)
    took = time.perf_counter() - start
    client.call("xend.domain.destroy", rec.get("domid", f"probe{n:05d}"))
    return took


def timed_list(env: dict[str, str], tree: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "xm", "list"], env=env, cwd=tree,
                   stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def row(what: str, small: list[float], large: list[float],
        sizes: tuple[int, int]) -> None:
    a, b = statistics.median(small), statistics.median(large)
    print(f"{what:<10} {sizes[0]:>6} doms {a * 1000:8.1f} ms   "
          f"{sizes[1]:>6} doms {b * 1000:8.1f} ms   x{b / a:5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--tree", type=Path, default=ROOT)
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    compile_tree(tree)
    from xm.client import XendClient
    global KERNEL
    with tempfile.TemporaryDirectory(prefix="sim-scale-") as tmp:
        KERNEL = str(Path(tmp) / "vmlinuz-bench")
        Path(KERNEL).write_bytes(b"not a real kernel\n")
        envs = [start_xend(Path(tmp) / "small", tree, 1048576),
                start_xend(Path(tmp) / "large", tree, 1048576)]
        try:
            socks = [e["XM_SERVER"][len("unix://"):] for e in envs]
            clients = [XendClient(s) for s in socks]
            fill(clients[0], args.small, "small")
            fill(clients[1], args.large, "large")
            creates: list[list[float]] = [[], []]
            lists: list[list[float]] = [[], []]
            for n in range(args.runs):
                for i in (0, 1):
                    creates[i].append(timed_create(clients[i], n))
                for i in (0, 1):
                    lists[i].append(timed_list(envs[i], tree))
            for c in clients:
                c.close()
            print(f"code: {tree}; medians of {args.runs}, interleaved")
            sizes = (args.small, args.large)
            row("create", creates[0], creates[1], sizes)
            row("xm list", lists[0], lists[1], sizes)
        finally:
            for env in envs:
                subprocess.run([sys.executable, "-m", "xend", "stop"],
                               env=env, cwd=tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
