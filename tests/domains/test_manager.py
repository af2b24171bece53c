"""The domain services in-process, on the simulator: restart policies,
re-attaching after a restart, rollback, managed domains on disk."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest

from xend.domains.manager import DomainManager
from xend.domains.table import DomainTable
from xend.errors import (DomainExists, DomainNotFound, HypervisorError,
                         InvalidArgument, InvalidState, XendError)
from xend.hv.base import DomainEvent
from xend.hv.sim import SimHypervisor
from tests.bootfiles import KERNEL


class Daemon:
    """A manager wired like xend does, events delivered synchronously."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.hv = SimHypervisor(state_dir=str(base / "state"),
                                host_memory_mib=4096,
                                guest_shutdown_delay=0.01)
        self.table = DomainTable(str(base / "domains"), str(base / "state"))
        self.dump_path = base / "dump"
        self.m = DomainManager(self.hv, self.table,
                               dump_path=str(self.dump_path))
        self.pending = self.m.attach()
        self.events: list[DomainEvent] = []
        self.hv.watch_events(self._on_event)

    def _on_event(self, event: DomainEvent) -> None:
        self.events.append(event)
        self.m.handle_event(event)

    def close(self) -> None:
        self.hv.close()

    def wait(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.01)
        raise AssertionError("condition not reached")


def cfg(name: str, **extra: object) -> dict:
    return {"name": name, "kernel": KERNEL, "memory": 64, **extra}


@pytest.fixture
def daemon(tmp_path: Path):
    d = Daemon(tmp_path)
    yield d
    d.close()


def domid_of(d: Daemon, name: str):
    """The domain's id, or None while it does not exist (mid-restart)."""
    try:
        return d.m.record(name)["domid"]
    except DomainNotFound:
        return None


@pytest.mark.parametrize("action, survives, renamed", [
    ("destroy", False, False),
    ("restart", True, False),
    ("rename-restart", True, True),
    ("preserve", True, False),
])
def test_on_poweroff_actions(daemon: Daemon, action, survives, renamed):
    daemon.m.create(cfg("p", on_poweroff=action))
    old = domid_of(daemon, "p")
    daemon.m.shutdown("p")
    if action == "preserve":
        daemon.wait(lambda: daemon.m.record("p")["state"] == "---s--")
        assert domid_of(daemon, "p") == old
        return
    if survives:
        daemon.wait(lambda: domid_of(daemon, "p") not in (None, old))
        assert daemon.m.restart_count("p") == 1
    else:
        daemon.wait(lambda: not _exists(daemon, "p"))
    names = [i.name for i in daemon.hv.list_domains()]
    assert any(n.startswith("Domain-") and n != "Domain-0"
               for n in names) == renamed


def test_preserve_acts_on_a_repeated_shutdown_event_once(daemon: Daemon, caplog):
    """The backend and Xenstore both report a shutdown: a preserved domain
    is kept (and logged) once, and a later death still forgets it."""
    daemon.m.create(cfg("k", on_poweroff="preserve"))
    old = domid_of(daemon, "k")
    uuid = daemon.m.record("k")["uuid"]
    with caplog.at_level("INFO", logger="xend"):
        daemon.m.shutdown("k")
        daemon.wait(lambda: daemon.m.record("k")["state"] == "---s--")
        daemon.m.handle_event(DomainEvent("shutdown", old, uuid, "poweroff"))
        daemon.m.handle_event(DomainEvent("shutdown", old, uuid, "poweroff"))
    assert sum("shut down (poweroff): preserve" in r.getMessage()
               for r in caplog.records) == 1
    assert domid_of(daemon, "k") == old
    daemon.m.destroy("k")
    daemon.wait(lambda: not _exists(daemon, "k"))
    assert old not in daemon.m.kept


def _exists(d: Daemon, name: str) -> bool:
    try:
        d.m.record(name)
        return True
    except DomainNotFound:
        return False


@pytest.mark.parametrize("action, survives", [
    ("destroy", False), ("coredump-destroy", False),
    ("restart", True), ("coredump-restart", True)])
def test_crash_uses_on_crash(daemon: Daemon, action, survives):
    daemon.m.create(cfg("c", on_crash=action, on_poweroff="preserve"))
    old = domid_of(daemon, "c")
    daemon.hv.inject_crash(old)
    if survives:
        daemon.wait(lambda: domid_of(daemon, "c") not in (None, old))
    else:
        daemon.wait(lambda: not _exists(daemon, "c"))
    # coredump-*: the core of the crashed domain, under its name.
    cores = sorted((daemon.dump_path / "c").glob(f"*-c.{old}.core")) \
        if action.startswith("coredump-") else []
    assert len(cores) == (1 if action.startswith("coredump-") else 0)


def test_halt_ignores_on_poweroff(daemon: Daemon):
    daemon.m.create(cfg("h", on_poweroff="restart"))
    daemon.m.shutdown("h", "halt")
    daemon.wait(lambda: not _exists(daemon, "h"))


def test_restarting_too_fast_is_stopped(daemon: Daemon):
    daemon.m.create(cfg("loop", on_crash="restart"))
    for _ in range(10):
        if not _exists(daemon, "loop"):
            break
        domid = domid_of(daemon, "loop")
        if domid is None:
            time.sleep(0.01)
            continue
        daemon.hv.inject_crash(domid)
        daemon.wait(lambda: domid_of(daemon, "loop") != domid)
        time.sleep(0.05)
    assert not _exists(daemon, "loop")


def test_duplicate_event_restarts_once(daemon: Daemon):
    daemon.m.create(cfg("d", on_poweroff="restart"))
    old = domid_of(daemon, "d")
    daemon.m.shutdown("d")
    daemon.wait(lambda: domid_of(daemon, "d") not in (None, old))
    new = domid_of(daemon, "d")
    uuid = daemon.m.record("d")["uuid"]
    daemon.m.handle_event(DomainEvent("shutdown", old, uuid, "poweroff"))
    assert domid_of(daemon, "d") == new
    assert daemon.m.restart_count("d") == 1


def test_destroy_is_not_a_shutdown(daemon: Daemon):
    daemon.m.create(cfg("x", on_poweroff="restart"))
    daemon.m.destroy("x")
    time.sleep(0.1)
    assert not _exists(daemon, "x")


def test_create_rolls_back_when_start_fails(daemon: Daemon, monkeypatch):
    def broken(domid):
        raise HypervisorError("unpause failed")
    monkeypatch.setattr(daemon.hv, "unpause", broken)
    with pytest.raises(HypervisorError):
        daemon.m.create(cfg("rb"))
    assert [i.name for i in daemon.hv.list_domains()] == ["Domain-0"]
    assert not _exists(daemon, "rb")
    assert list((daemon.base / "state" / "running").iterdir()) == []


def test_save_failure_resumes_the_domain(daemon: Daemon, monkeypatch):
    daemon.m.create(cfg("sv"))

    def broken(domid, stream, live=False):
        raise HypervisorError("disk full")
    monkeypatch.setattr(daemon.hv, "save", broken)
    with pytest.raises(HypervisorError):
        daemon.m.save("sv", io.BytesIO())
    assert daemon.m.record("sv")["state"] == "-b----"


def test_restore_refuses_a_running_name(daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("r"))
    with open(tmp_path / "r.chk", "w+b") as f:
        daemon.m.save("r", f, checkpoint=True)
        f.seek(0)
        with pytest.raises(DomainExists):
            daemon.m.restore(f)
    assert daemon.m.record("r")["state"] == "-b----"


def test_attach_after_restart(tmp_path: Path):
    first = Daemon(tmp_path)
    first.m.create(cfg("run1"))
    first.m.new(cfg("man1"))
    first.m.new(cfg("man2"))
    first.m.start("man2")
    ids = {n: domid_of(first, n) for n in ("run1", "man2")}
    first.close()
    second = Daemon(tmp_path)
    try:
        assert {n: domid_of(second, n) for n in ("run1", "man2")} == ids
        assert second.m.record("man1")["domid"] is None
        assert second.m.record("man2")["managed"] is True
        assert second.m.record("run1")["managed"] is False
    finally:
        second.close()


def test_attach_skips_broken_managed_config(tmp_path: Path, caplog):
    d = Daemon(tmp_path)
    uuid = d.m.new(cfg("good"))
    d.close()
    bad = tmp_path / "domains" / "0000-bad"
    bad.mkdir()
    (bad / "config.json").write_text("{broken")
    moved = tmp_path / "domains" / "11111111-1111-1111-1111-111111111111"
    moved.mkdir()
    (moved / "config.json").write_text(json.dumps(
        {"version": 1, "config": {"version": 1, **cfg("moved"),
                                  "uuid": uuid}}))
    d = Daemon(tmp_path)
    try:
        assert d.m.names() == ["Domain-0", "good"]
        assert "skipping managed domain" in caplog.text
    finally:
        d.close()


def test_managed_config_changes_persist(tmp_path: Path):
    d = Daemon(tmp_path)
    d.m.new(cfg("m", maxmem=256))
    d.m.set_memory_target("m", 200)
    d.m.set_vcpus("m", 2)
    d.m.sched_set("m", "credit", 512, 10)
    with pytest.raises(InvalidArgument):
        d.m.set_memory_target("m", 300)
    d.close()
    d = Daemon(tmp_path)
    try:
        rec = d.m.record("m")
        assert (rec["memory"], rec["vcpus"]) == (200, 2)
        assert d.m.sched_get("m", "credit") == {"weight": 512, "cap": 10}
    finally:
        d.close()


def test_state_errors(daemon: Daemon):
    daemon.m.new(cfg("halted"))
    for call in (lambda: daemon.m.pause("halted"),
                 lambda: daemon.m.destroy("halted"),
                 lambda: daemon.m.resume("halted")):
        with pytest.raises(InvalidState):
            call()
    with pytest.raises(XendError, match="privileged domain"):
        daemon.m.destroy("Domain-0")
    with pytest.raises(XendError, match="not a managed domain"):
        daemon.m.create(cfg("plain"))
        daemon.m.delete("plain")
