"""Fuzz campaign against xend's JSON-RPC surface (in-process, simulator).

Calls every registered RPC method with hostile parameters (see
tests/rpcfuzz/fuzzer.py) and prints the requests made, the replies by
error code, internal errors grouped by the source line that raised them,
and crashes (requests left without a reply).  Exits 1 if there was any
internal error or crash.

    python bench/rpc_fuzz.py [--count N] [--seed S] [--scheduler credit2]
                             [--no-absurd]

Absurd sizes (vcpus=10**8, maxmem=10**30, cpus "0-10**14") are sent too
(xend refuses them before building anything; run under `ulimit -v` to
catch a regression that would not); --no-absurd leaves them out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=22_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scheduler", default="credit",
                        choices=["credit", "credit2"])
    parser.add_argument("--no-absurd", action="store_true",
                        help="leave absurd sizes out")
    args = parser.parse_args()
    os.environ["RPC_FUZZ_ABSURD"] = "0" if args.no_absurd else "1"
    from tests.rpcfuzz import fuzzer        # reads RPC_FUZZ_ABSURD
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    start = time.monotonic()
    with tempfile.TemporaryDirectory(dir=shm, prefix="rpcfuzz-") as tmp:
        report = fuzzer.fuzz(Path(tmp), args.seed, args.count,
                             args.scheduler)
    took = time.monotonic() - start
    print(f"seed {args.seed}, scheduler {args.scheduler}, "
          f"absurd sizes {'off' if args.no_absurd else 'on'}: "
          f"{took:.1f} s, {report.requests / took:.0f} requests/s")
    print(report.summary())
    print(f"requests: {report.requests}")
    print(f"internal errors: {report.internal_errors}")
    print(f"crashes: {report.crashes}")
    return 1 if report.internal_errors or report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
