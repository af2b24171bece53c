"""Fixtures for the xenstore tests: embedded and real C daemons."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from xenstore.server import EmbeddedXenstored
from xs_harness import CXenstored, build_shim, missing_tools


@pytest.fixture
def sockdir() -> Iterator[Path]:
    # Unix socket paths are limited to ~107 bytes: keep them short.
    with tempfile.TemporaryDirectory(prefix="xs") as d:
        yield Path(d)


@pytest.fixture
def embedded(sockdir: Path) -> Iterator[EmbeddedXenstored]:
    server = EmbeddedXenstored(str(sockdir / "socket")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def shim_lib() -> Iterator[Path]:
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="xsshim") as d:
        yield build_shim(Path(d))


@pytest.fixture
def c_xenstored(shim_lib: Path) -> Iterator[CXenstored]:
    """A fresh real C xenstored per test (starts in ~20 ms)."""
    with tempfile.TemporaryDirectory(prefix="xsc") as d:
        daemon = CXenstored(Path(d), shim_lib)
        yield daemon
        daemon.stop()


@pytest.fixture
def tool_env(embedded: EmbeddedXenstored) -> dict[str, str]:
    """Environment pointing libxenstore tools at the embedded daemon."""
    return dict(os.environ, XENSTORED_PATH=embedded.socket_path)
