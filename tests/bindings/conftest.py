"""Fixtures for the binding tests: one build of the extension per session.

The extension is compiled into a temporary directory (never into the work
tree) and handed to code under test by path (``XEND_LIBXL_CFFI``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import xlmock  # noqa: E402


@pytest.fixture(scope="session")
def built_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bindings._libxl_cffi compiled against the installed libxl.h."""
    reason = xlmock.mock_available()
    if reason:
        pytest.skip(reason)
    from bindings.build import build
    return build(output_dir=tmp_path_factory.mktemp("libxl-cffi"))


@pytest.fixture(scope="session")
def mock_env(built_module: Path) -> dict[str, str]:
    """Environment for subprocesses: the mock preloaded, the module set."""
    return {"XEND_LIBXL_CFFI": str(built_module)}


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return Path(__file__).resolve().parent / "data"
