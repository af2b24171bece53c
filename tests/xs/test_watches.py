"""Watches to domain events, on the embedded xenstored with the simulator:
what @releaseDomain / @introduceDomain turn into."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from xs_helpers import domain_config, libxl_config

from xenstore.server import EmbeddedXenstored
from xend.domains.table import DomainEntry, DomainTable
from xend.hv.base import DomainEvent
from xend.hv.sim import SimHypervisor
from xend.xs.watches import DomainWatcher


class Events:
    def __init__(self) -> None:
        self.seen: list[DomainEvent] = []
        self.cond = threading.Condition()

    def __call__(self, event: DomainEvent) -> None:
        with self.cond:
            self.seen.append(event)
            self.cond.notify_all()

    def wait(self, pred: Callable[[list[DomainEvent]], bool],
             timeout: float = 5.0) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: pred(self.seen), timeout), \
                self.seen


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.server = EmbeddedXenstored(str(tmp_path / "xs.sock")).start()
        self.sim = SimHypervisor(
            state_dir=str(tmp_path / "state"), store=self.server.store(),
            on_domain_shutdown=self.server.shutdown_domain,
            guest_shutdown_delay=0.05)
        self.table = DomainTable(str(tmp_path / "domains"),
                                 str(tmp_path / "state"))
        self.events = Events()
        self.scans = 0
        self.store = self.server.store()
        self.watcher = DomainWatcher(self.store, self.sim, self.table,
                                     self.events, self.submit)

    def submit(self, work: Callable[[], None]) -> None:
        self.scans += 1
        threading.Thread(target=work).start()

    def start(self, name: str) -> DomainEntry:
        cfg = domain_config(name)
        domid = self.sim.create(libxl_config(cfg))
        self.sim.unpause(domid)
        entry = DomainEntry(config=cfg, domid=domid)
        with self.table.lock:
            self.table.entries[entry.uuid] = entry
        return entry

    def close(self) -> None:
        self.watcher.stop()
        self.store.close()
        self.sim.close()
        self.server.stop()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def kinds(events: list[DomainEvent]) -> list[tuple[str, int, Any]]:
    return [(e.kind, e.domid, e.reason) for e in events]


def test_shutdown_written_by_the_guest_is_delivered_once(
        world: World) -> None:
    entry = world.start("g1")
    domid = entry.domid
    assert domid is not None
    world.watcher.start()
    guest = world.server.domain_store(domid)
    guest.write(f"/local/domain/{domid}/control/shutdown", "poweroff")
    world.events.wait(lambda seen: bool(seen))
    assert kinds(world.events.seen) == [("shutdown", domid, "poweroff")]
    assert world.events.seen[0].uuid == entry.uuid
    # Another domain's shutdown fires @releaseDomain again: the first one
    # is not reported twice.
    other = world.start("g2")
    world.sim.inject_crash(other.domid)   # type: ignore[arg-type]
    world.events.wait(lambda seen: len(seen) >= 2)
    time.sleep(0.2)
    assert kinds(world.events.seen) == [("shutdown", domid, "poweroff"),
                                        ("shutdown", other.domid, "crash")]


def test_destroy_is_a_death(world: World) -> None:
    entry = world.start("g1")
    world.watcher.start()
    world.sim.destroy(entry.domid)   # type: ignore[arg-type]
    world.events.wait(lambda seen: bool(seen))
    assert kinds(world.events.seen) == [("death", entry.domid, None)]


def test_unknown_domains_are_not_reported(world: World) -> None:
    world.watcher.start()
    domid = world.sim.create(libxl_config(domain_config("stranger")))
    world.sim.unpause(domid)
    world.sim.inject_crash(domid)
    time.sleep(0.3)
    assert world.events.seen == []


def test_first_scan_reports_what_happened_before(world: World) -> None:
    entry = world.start("g1")
    world.sim.inject_crash(entry.domid)   # type: ignore[arg-type]
    world.watcher.start()      # the watches' initial events scan at once
    world.events.wait(lambda seen: bool(seen))
    assert kinds(world.events.seen) == [("shutdown", entry.domid, "crash")]


def test_a_burst_of_firings_is_one_queued_scan(tmp_path: Path) -> None:
    queued: list[Callable[[], None]] = []

    class NoHv:
        def list_domains(self) -> list[Any]:
            return []

    table = DomainTable(str(tmp_path / "d"), str(tmp_path / "s"))
    watcher = DomainWatcher(None, NoHv(), table,  # type: ignore[arg-type]
                            lambda e: None, queued.append)
    for _ in range(5):
        watcher._fired(None)   # type: ignore[arg-type]
    assert len(queued) == 1
    queued[0]()
    watcher._fired(None)   # type: ignore[arg-type]
    assert len(queued) == 2
