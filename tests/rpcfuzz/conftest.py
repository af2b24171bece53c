"""Fixtures: an in-process xend on the simulator and a client for it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.bootfiles import KERNEL
from tests.rpcfuzz.harness import FuzzDaemon
from xm.client import XendClient


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[FuzzDaemon]:
    d = FuzzDaemon(tmp_path)
    yield d
    d.close()


@pytest.fixture
def client(daemon: FuzzDaemon) -> Iterator[XendClient]:
    with XendClient(daemon.socket_path) as c:
        yield c


@pytest.fixture
def running(daemon: FuzzDaemon) -> str:
    daemon.manager.create({"name": "web1", "kernel": KERNEL,
                           "memory": 64, "maxmem": 128, "vcpus": 2,
                           "maxvcpus": 4})
    return "web1"
