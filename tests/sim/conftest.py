"""Fixtures for the hypervisor tests: the backend under test and helpers.

``hv`` is the backend the contract suite (test_contract.py) runs against:
the simulator by default.  In the Xen lab, ``XEND_CONTRACT_BACKEND=libxl``
makes it the libxl backend (built by ``xend.hv.make_hypervisor``) and
``XEND_CONTRACT_KERNEL`` names a real guest kernel for the PV configs.
Sim-only tests use ``sim`` / ``make_sim`` and a :class:`FakeClock`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sim_helpers import BACKEND, SIM_DELAY, EventRecorder, FakeClock

from xend.hv.base import Hypervisor
from xend.hv.sim import SimHypervisor
from xend.hv.sim.core import SimCore
from xend.hv.sim.state import StateFile, disk_differences


def _make_backend(state_dir: Path) -> Hypervisor:
    if BACKEND == "sim":
        return SimHypervisor(state_dir=str(state_dir),
                             guest_shutdown_delay=SIM_DELAY)
    from xend.hv import make_hypervisor
    return make_hypervisor(BACKEND, state_dir=str(state_dir))


@pytest.fixture(autouse=True)
def state_on_disk_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """After every change of every simulator in these tests, the files on
    disk hold exactly the state in memory: a change that alters a domain
    without marking it (so its file is not rewritten) fails the test."""
    persist = SimCore._persist

    def checked(self: SimCore, freeing: bool = False) -> None:
        persist(self, freeing)
        fresh = StateFile(self._file.state_dir).load()
        assert fresh is not None
        assert disk_differences(self._state, fresh) == []

    monkeypatch.setattr(SimCore, "_persist", checked)


@pytest.fixture
def hv(tmp_path: Path) -> Iterator[Hypervisor]:
    backend = _make_backend(tmp_path / "state")
    created_before = {d.domid for d in backend.list_domains()}
    try:
        yield backend
    finally:
        # Leave the host as we found it (matters on a real Xen host).
        for info in backend.list_domains():
            if info.domid not in created_before:
                try:
                    backend.destroy(info.domid)
                except Exception:
                    pass
        backend.close()


@pytest.fixture
def events(hv: Hypervisor) -> EventRecorder:
    recorder = EventRecorder()
    hv.watch_events(recorder)
    return recorder


@pytest.fixture
def make_sim(tmp_path: Path) -> Iterator[Callable[..., SimHypervisor]]:
    """Build simulators on one state dir; all are closed at the end."""
    made: list[SimHypervisor] = []

    def make(**kwargs: Any) -> SimHypervisor:
        kwargs.setdefault("state_dir", str(tmp_path / "state"))
        kwargs.setdefault("guest_shutdown_delay", SIM_DELAY)
        sim = SimHypervisor(**kwargs)
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
