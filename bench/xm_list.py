"""Benchmark: `xm list` latency with 10, 100 and 1,000 simulated domains, and
xend's RPC throughput with 1 and 16 concurrent clients.

Starts a private xend on the simulator (state in a temp dir), fills it with
domains over RPC, then times whole `xm list` processes.  Figures are printed
side by side with a baseline run on the same machine: the bare Python
interpreter start (`python -c pass`), which is the floor any Python xm pays,
and, for throughput, a single client.

    python bench/xm_list.py [--runs N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from simxend import start_xend

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xm.client import XendClient  # noqa: E402

DOMAIN_COUNTS = (10, 100, 1000)


def fill(socket_path: str, upto: int, have: int) -> None:
    # The simulator, like libxl, wants the PV kernel to be a file.
    kernel = Path(socket_path).with_name("vmlinuz-bench")
    kernel.write_bytes(b"stand-in kernel\n")
    with XendClient(socket_path) as client:
        for n in range(have, upto):
            client.call("xend.domain.create",
                        {"name": f"bench{n:04d}", "kernel": str(kernel),
                         "memory": 32}, False)


def time_command(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(socket_path: str, clients: int, seconds: float) -> float:
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        with XendClient(socket_path) as client:
            while time.monotonic() < stop:
                client.call("xend.domain", "Domain-0")
                counts[i] += 1
    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xm-bench-") as tmp:
        base = Path(tmp)
        env = start_xend(base, ROOT)
        sock = f"{base}/xend.sock"
        try:
            floor = time_command([sys.executable, "-c", "pass"], env,
                                 args.runs)
            print(f"baseline: python -c pass          {floor * 1000:8.1f} ms")
            have = 0
            first = None
            for count in DOMAIN_COUNTS:
                fill(sock, count, have)
                have = count
                t = time_command([sys.executable, "-m", "xm", "list"], env,
                                 args.runs)
                first = first or t
                print(f"xm list, {count:5d} domains        {t * 1000:8.1f} ms"
                      f"   x{t / floor:5.2f} baseline   x{t / first:5.2f} "
                      f"vs {DOMAIN_COUNTS[0]} domains")
            one = throughput(sock, 1, args.seconds)
            many = throughput(sock, 16, args.seconds)
            print(f"RPC xend.domain, 1 client         {one:8.0f} calls/s")
            print(f"RPC xend.domain, 16 clients       {many:8.0f} calls/s"
                  f"   x{many / one:5.2f} vs 1 client")
        finally:
            subprocess.run([sys.executable, "-m", "xend", "stop"], env=env)


if __name__ == "__main__":
    main()
