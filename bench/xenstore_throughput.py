"""Throughput of the embedded xenstored next to Xen's C xenstored 4.17.

Both daemons serve on Unix sockets on this machine (the C one under the
LD_PRELOAD shim of tests/xenstore/xs_harness.py); one synchronous wire
client measures ops/s for READ, WRITE and a read-modify-write
transaction (START, READ, WRITE, END).  Prints a table with ratios
(embedded / C).  Bounded: each measurement runs for ``--seconds``
(default 1.5 s), the whole run stays well under 60 s.

Usage: python bench/xenstore_throughput.py [--seconds S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "xenstore")]

from xenstore.server import EmbeddedXenstored  # noqa: E402
from xenstore.wire import Op, join  # noqa: E402
from xs_harness import (CXenstored, RawClient, build_shim,  # noqa: E402
                        missing_tools)


def rate(fn: Callable[[], None], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(20):
            fn()
        count += 20
    return count / (time.perf_counter() - start)


def measure(socket_path: str, seconds: float) -> dict[str, float]:
    client = RawClient(socket_path)
    client.request(Op.WRITE, b"/bench/key\0value")

    def read() -> None:
        client.request(Op.READ, join(b"/bench/key"))

    def write() -> None:
        client.request(Op.WRITE, b"/bench/key\0value")

    def transaction() -> None:
        _, reply = client.request(Op.TRANSACTION_START, b"\0")
        tx = int(reply.rstrip(b"\0"))
        client.request(Op.READ, join(b"/bench/key"), tx)
        client.request(Op.WRITE, b"/bench/key\0v2", tx)
        client.request(Op.TRANSACTION_END, join(b"T"), tx)

    results = {"read": rate(read, seconds), "write": rate(write, seconds),
               "transaction": rate(transaction, seconds)}
    client.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args()
    seconds = min(max(args.seconds, 0.1), 8.0)     # keep the run < 60 s
    with tempfile.TemporaryDirectory(prefix="xsb") as d:
        server = EmbeddedXenstored(f"{d}/emb").start()
        try:
            ours = measure(server.socket_path, seconds)
        finally:
            server.stop()
        reason = missing_tools()
        theirs: dict[str, float] | None = None
        if reason is None:
            daemon = CXenstored(Path(d) / "c", build_shim(Path(d)))
            try:
                theirs = measure(daemon.socket_path, seconds)
            finally:
                daemon.stop()
    print(f"{'operation':<12} {'embedded ops/s':>15} {'C xenstored ops/s':>18}"
          f" {'ratio':>7}")
    for name, value in ours.items():
        if theirs is None:
            print(f"{name:<12} {value:15.0f} {'n/a':>18} {'n/a':>7}")
        else:
            print(f"{name:<12} {value:15.0f} {theirs[name]:18.0f} "
                  f"{value / theirs[name]:7.2f}")
    if theirs is None:
        print(f"(C xenstored not measured: {reason})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
