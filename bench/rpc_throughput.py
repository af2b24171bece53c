"""xend's RPC throughput and latency: 1 vs 16 clients, 0 vs 100 domains.

Two private xends on the simulator run at once, one with no guests and one
with ``--domains`` (default 100).  Rounds alternate between them and
between 1 and 16 concurrent clients (each a process with its own
connection calling ``--method``, default ``xend.domain Domain-0``), so
machine noise hits all four alike.  Prints calls/s, p50 and p99 latency per
case, with ratios against the 1-client / no-guest case, and the cpu time
xend used per call (from /proc: steadier than wall-clock rates on a busy
machine).  ``--tree DIR``
runs another checkout's code (before/after comparisons).

    python bench/rpc_throughput.py [--domains N] [--seconds S] [--rounds N]
"""

from __future__ import annotations

import argparse
import array
import multiprocessing
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
CLIENTS = (1, 16)


def _worker(client_cls: Any, sock: str, call: tuple[Any, ...],
            ready: Any, go: Any, stop_at: Any, out: Any) -> None:
    with client_cls(sock) as client:
        client.call(*call)                  # connected and warm
        ready.release()
        go.wait()
        stop = stop_at.value
        mine = array.array("d")
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                break
            client.call(*call)
            mine.append(time.perf_counter() - t0)
    out.send_bytes(mine.tobytes())


def load(client_cls: Any, sock: str, clients: int, seconds: float,
         call: tuple[Any, ...]) -> tuple[int, list[float]]:
    """Calls made and every call's latency, from ``clients`` client
    processes at once (threads of one process would measure its GIL)."""
    ctx = multiprocessing.get_context("fork")
    ready, go = ctx.Semaphore(0), ctx.Event()
    stop_at = ctx.Value("d", 0.0)
    pipes = [ctx.Pipe(duplex=False) for _ in range(clients)]
    procs = [ctx.Process(target=_worker, args=(client_cls, sock, call, ready,
                                               go, stop_at, w))
             for _, w in pipes]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()
    stop_at.value = time.perf_counter() + seconds   # CLOCK_MONOTONIC: shared
    go.set()
    every: list[float] = []
    for r, _ in pipes:
        lat = array.array("d")
        lat.frombytes(r.recv_bytes())
        every.extend(lat)
    for proc in procs:
        proc.join()
    return len(every), every


def cpu_seconds(pid: int) -> float:
    """User + system cpu time the process used so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--method", default="xend.domain")
    parser.add_argument("--arg", default="Domain-0")
    parser.add_argument("--tree", type=Path, default=ROOT)
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    compile_tree(tree)
    from xm.client import XendClient
    call = (args.method, args.arg) if args.arg else (args.method,)
    with tempfile.TemporaryDirectory(prefix="rpc-bench-") as tmp:
        envs = [start_xend(Path(tmp) / "none", tree),
                start_xend(Path(tmp) / "many", tree)]
        socks = [e["XM_SERVER"][len("unix://"):] for e in envs]
        kernel = Path(tmp) / "vmlinuz-bench"      # the simulator checks it exists
        kernel.write_bytes(b"not a real kernel\n")
        try:
            with XendClient(socks[1]) as c:
                for n in range(args.domains):
                    c.call("xend.domain.create",
                           {"name": f"guest{n:04d}", "kernel": str(kernel),
                            "memory": 32}, False)
            pids = [int((Path(tmp) / name / "xend.pid").read_text())
                     for name in ("none", "many")]
            cases = [(d, k) for d in (0, 1) for k in CLIENTS]
            calls = {case: 0 for case in cases}
            cpu = {case: 0.0 for case in cases}
            lats: dict[tuple[int, int], list[float]] = {c: [] for c in cases}
            for _ in range(args.rounds):
                for case in cases:
                    before = cpu_seconds(pids[case[0]])
                    n, lat = load(XendClient, socks[case[0]], case[1],
                                  args.seconds, call)
                    cpu[case] += cpu_seconds(pids[case[0]]) - before
                    calls[case] += n
                    lats[case] += lat
            total = args.seconds * args.rounds
            base = calls[(0, 1)] / total
            print(f"code: {tree}; {' '.join(call)}; {args.rounds} rounds of "
                  f"{args.seconds:g} s per case, interleaved")
            print(f"{'domains':>7} {'clients':>7} {'calls/s':>9} {'ratio':>6}"
                  f" {'p50 ms':>7} {'p99 ms':>7} {'xend cpu us/call':>17}")
            for d, k in cases:
                rate = calls[(d, k)] / total
                lat = sorted(lats[(d, k)])
                p50 = statistics.median(lat) * 1000
                p99 = lat[int(len(lat) * 0.99)] * 1000
                per_call = cpu[(d, k)] / max(1, calls[(d, k)]) * 1e6
                print(f"{(0, args.domains)[d]:>7} {k:>7} {rate:9.0f} "
                      f"{rate / base:6.2f} {p50:7.2f} {p99:7.2f} "
                      f"{per_call:17.0f}")
        finally:
            for env in envs:
                subprocess.run([sys.executable, "-m", "xend", "stop"],
                               env=env, cwd=tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
