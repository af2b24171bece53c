"""The simulator's Xenstore hooks: guests that read control/shutdown, the
VIRQ_DOM_EXC callback, RESUME, and a store rebuilt from the sim's state."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from xs_helpers import domain_config, libxl_config, tree

from xenstore.memory import MemoryStore
from xenstore.server import EmbeddedXenstored
from xend.hv.sim import SimHypervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def made(tmp_path: Path) -> Iterator[list[SimHypervisor]]:
    sims: list[SimHypervisor] = []
    yield sims
    for sim in sims:
        sim.close()


def make_sim(made: list[SimHypervisor], tmp_path: Path, store: Any,
             clock: Clock, **kwargs: Any) -> SimHypervisor:
    sim = SimHypervisor(state_dir=str(tmp_path / "state"), store=store,
                        clock=clock, guest_shutdown_delay=1.0, **kwargs)
    made.append(sim)
    return sim


def running(sim: SimHypervisor, name: str = "g1") -> int:
    domid = sim.create(libxl_config(domain_config(name)))
    sim.unpause(domid)
    return domid


@pytest.mark.parametrize("command,reason", [("poweroff", "poweroff"),
                                            ("halt", "poweroff"),
                                            ("reboot", "reboot")])
def test_guest_acts_on_a_request_written_by_anyone(
        made: list[SimHypervisor], tmp_path: Path, store: MemoryStore,
        clock: Clock, command: str, reason: str) -> None:
    shut: list[int] = []
    sim = make_sim(made, tmp_path, store, clock,
                   on_domain_shutdown=shut.append)
    domid = running(sim)
    path = f"/local/domain/{domid}/control/shutdown"
    guest = store.as_domain(domid)      # the guest's own view may write it
    guest.write(path, command)
    sim.run_due_events()
    assert store.read(path) == ""       # acknowledged, as Linux does
    assert not sim.domain_info(domid).shutdown
    clock.now += 1.0
    sim.run_due_events()
    info = sim.domain_info(domid)
    assert info.shutdown and info.shutdown_reason == reason
    assert shut == [domid]


def test_unknown_request_is_left_alone(made: list[SimHypervisor],
                                       tmp_path: Path, store: MemoryStore,
                                       clock: Clock) -> None:
    sim = make_sim(made, tmp_path, store, clock)
    domid = running(sim)
    path = f"/local/domain/{domid}/control/shutdown"
    store.write(path, "dance")
    sim.run_due_events()
    clock.now += 5
    sim.run_due_events()
    assert store.read(path) == "dance"
    assert not sim.domain_info(domid).shutdown


def test_paused_guest_reads_the_request_when_unpaused(
        made: list[SimHypervisor], tmp_path: Path, store: MemoryStore,
        clock: Clock) -> None:
    sim = make_sim(made, tmp_path, store, clock)
    domid = running(sim)
    sim.pause(domid)
    path = f"/local/domain/{domid}/control/shutdown"
    store.write(path, "poweroff")
    sim.run_due_events()
    assert store.read(path) == "poweroff"
    sim.unpause(domid)
    assert store.read(path) == ""
    clock.now += 1.0
    sim.run_due_events()
    assert sim.domain_info(domid).shutdown_reason == "poweroff"


def test_own_requests_still_work_once(made: list[SimHypervisor],
                                      tmp_path: Path, store: MemoryStore,
                                      clock: Clock) -> None:
    shut: list[int] = []
    sim = make_sim(made, tmp_path, store, clock,
                   on_domain_shutdown=shut.append)
    domid = running(sim)
    sim.shutdown(domid, reboot=True)
    sim.run_due_events()
    clock.now += 1.0
    sim.run_due_events()
    assert sim.domain_info(domid).shutdown_reason == "reboot"
    assert shut == [domid]


def test_crash_and_sysrq_call_the_hook(made: list[SimHypervisor],
                                       tmp_path: Path, store: MemoryStore,
                                       clock: Clock) -> None:
    shut: list[int] = []
    sim = make_sim(made, tmp_path, store, clock,
                   on_domain_shutdown=shut.append)
    one, two = running(sim, "g1"), running(sim, "g2")
    sim.inject_crash(one)
    sim.send_sysrq(two, "o")
    assert shut == [one, two]


def test_destroyed_guest_is_no_longer_watched(made: list[SimHypervisor],
                                              tmp_path: Path,
                                              store: MemoryStore,
                                              clock: Clock) -> None:
    sim = make_sim(made, tmp_path, store, clock)
    domid = running(sim)
    sim.destroy(domid)
    store.write(f"/local/domain/{domid}/control/shutdown", "poweroff")
    sim.run_due_events()                # nothing to act on, no error
    assert [d.domid for d in sim.list_domains()] == [0]


def test_fresh_store_is_rebuilt_and_domains_reintroduced(
        made: list[SimHypervisor], tmp_path: Path, clock: Clock) -> None:
    first = MemoryStore()
    sim = make_sim(made, tmp_path, first, clock)
    domid = running(sim)
    paused = sim.create(libxl_config(domain_config("g2")))
    sim.set_memory_target(domid, 200 * 1024)
    sim.set_memory_target(0, 900 * 1024)
    sim.send_sysrq(domid, "s")
    before = tree(first)
    sim.close()
    made.clear()

    second = MemoryStore()
    make_sim(made, tmp_path, second, clock)
    assert tree(second) == before
    for dom in (domid, paused):
        assert second.is_domain_introduced(dom)
    uuid = second.read(f"/local/domain/{domid}/vm")
    assert second.read(f"{uuid}/memory") == "200"


def test_rebuilt_guest_still_reads_its_requests(
        made: list[SimHypervisor], tmp_path: Path, clock: Clock) -> None:
    sim = make_sim(made, tmp_path, MemoryStore(), clock)
    domid = running(sim)
    sim.close()
    made.clear()
    store = MemoryStore()
    sim = make_sim(made, tmp_path, store, clock)
    store.write(f"/local/domain/{domid}/control/shutdown", "poweroff")
    sim.run_due_events()
    clock.now += 1.0
    sim.run_due_events()
    assert sim.domain_info(domid).shutdown_reason == "poweroff"


def test_release_domain_fires_on_shutdown_and_again_after_resume(
        made: list[SimHypervisor], tmp_path: Path, clock: Clock) -> None:
    import io
    import threading
    with EmbeddedXenstored(str(tmp_path / "xs.sock")) as server:
        sim = make_sim(made, tmp_path, server.store(), clock,
                       on_domain_shutdown=server.shutdown_domain)
        domid = running(sim)
        fired = threading.Semaphore(0)
        watcher = server.store()
        watcher.watch("@releaseDomain", "t", lambda e: fired.release())
        assert fired.acquire(timeout=5)     # the initial event
        sim.save(domid, io.BytesIO())       # the guest suspends
        assert fired.acquire(timeout=5)
        sim.resume(domid)                   # RESUME: it may fire again
        sim.inject_crash(domid)
        assert fired.acquire(timeout=5)
        watcher.close()
        sim.close()
        made.clear()
