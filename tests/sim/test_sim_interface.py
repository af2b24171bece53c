"""Simulator-only: it implements the Hypervisor interface exactly."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from xend.hv import make_hypervisor
from xend.hv.base import Hypervisor
from xend.hv.sim import SimHypervisor

METHODS = sorted(name for name, value in vars(Hypervisor).items()
                 if callable(value) and not name.startswith("_"))


def test_registry_builds_the_simulator(tmp_path: Path) -> None:
    hv = make_hypervisor("sim", state_dir=str(tmp_path))
    try:
        assert isinstance(hv, SimHypervisor)
        assert isinstance(hv, Hypervisor)
        assert hv.kind == "sim"
    finally:
        hv.close()


@pytest.mark.parametrize("name", METHODS)
def test_signatures_match_the_protocol(name: str) -> None:
    want = inspect.signature(getattr(Hypervisor, name))
    got = inspect.signature(getattr(SimHypervisor, name))
    assert list(got.parameters) == list(want.parameters)
    for param in want.parameters.values():
        assert got.parameters[param.name].default == param.default, name


def test_constructor_signature() -> None:
    params = inspect.signature(SimHypervisor).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY
               for p in params.values())
    defaults = {name: p.default for name, p in params.items()}
    assert defaults["host_memory_mib"] == 8192
    assert defaults["host_cpus"] == 4
    assert defaults["scheduler"] == "credit"
    assert defaults["dom0_memory_mib"] == 1024
    assert defaults["store"] is None
    assert defaults["guest_shutdown_delay"] == 0.5
    assert defaults["state_dir"] is inspect.Parameter.empty
