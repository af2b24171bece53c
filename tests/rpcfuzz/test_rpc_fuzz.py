"""The RPC fuzzer in the default suite: a few thousand seeded hostile
calls over every method of the RPC table, on both credit schedulers;
not one may be answered with an internal error or go unanswered.

RPC_FUZZ_COUNT (calls per scheduler, default 3000) and RPC_FUZZ_SEED
make longer or different runs; bench/rpc_fuzz.py is the standalone
version with a cause-by-cause report.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.rpcfuzz.fuzzer import fuzz
from xend.rpc.api import METHODS

COUNT = int(os.environ.get("RPC_FUZZ_COUNT", "3000"))
SEED = int(os.environ.get("RPC_FUZZ_SEED", "20261203"))


@pytest.fixture
def base(tmp_path: Path):
    # The simulator fsyncs its state on every change: on tmpfs that is
    # free, which keeps this test a few seconds long.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        with tempfile.TemporaryDirectory(dir=shm) as d:
            yield Path(d)
    else:
        yield tmp_path


@pytest.mark.parametrize("scheduler", ["credit", "credit2"])
def test_no_internal_errors(base: Path, scheduler: str) -> None:
    seed = SEED + (scheduler == "credit2")
    report = fuzz(base, seed, COUNT, scheduler)
    print(f"\nseed {seed}, scheduler {scheduler}: {report.summary()}")
    assert report.requests == COUNT
    assert report.crashes == 0, report.summary()
    assert report.internal_errors == 0, report.summary()
    # the calls reached past the checks: successes and every kind of error
    assert set(report.methods) == {m.name for m in METHODS}
    for code in ("ok", "-32700", "-32600", "-32602", "3", "4", "5"):
        assert report.codes[code] > 0, code
