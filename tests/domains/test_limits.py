"""The domain services refuse absurd sizes and counts before storing or
building anything; mem-set changes the target only; reset leaves no ghost.

Values that would take all memory where the checks are missing are tried
only in a child with a capped address space (:mod:`tests.memlimit`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.domains.test_manager import Daemon, cfg
from tests.memlimit import run_limited
from xend.errors import (ConfigError, DomainNotFound, InvalidArgument,
                         NotEnoughMemory, XendError)


@pytest.fixture
def daemon(tmp_path: Path):
    d = Daemon(tmp_path)       # the simulator: 4096 MiB, 4 CPUs
    yield d
    d.close()


def managed_files(d: Daemon) -> list[str]:
    return sorted(p.name for p in (d.base / "domains").iterdir())


def test_create_and_new_refuse_absurd_vcpus(daemon: Daemon) -> None:
    # 513: cheap even where the check is missing; 10**8 is tried under a
    # memory cap below.
    for op in (daemon.m.create, daemon.m.new):
        with pytest.raises(ConfigError, match="vcpus: 513"):
            op(cfg("big", vcpus=513))
    assert daemon.table.entries == {}
    assert managed_files(daemon) == []
    daemon.m.create(cfg("big", vcpus=2))    # the name was never taken


def test_absurd_maxmem_and_vcpus_are_refused_and_not_stored(
        daemon: Daemon) -> None:
    daemon.m.new(cfg("halted"))
    daemon.m.create(cfg("running"))
    before = {n: daemon.m.record(n) for n in ("halted", "running")}
    for name in ("halted", "running"):
        with pytest.raises(InvalidArgument, match="more than Xen can give"):
            daemon.m.set_max_memory(name, 10**30)
        with pytest.raises(InvalidArgument, match="more than Xen can give"):
            daemon.m.set_memory_target(name, 10**30)
    with pytest.raises(InvalidArgument, match="at most 512"):
        daemon.m.set_vcpus("halted", 10**30)
    with pytest.raises(InvalidArgument):
        daemon.m.set_vcpus("running", 10**30)
    for name in ("halted", "running"):
        rec = daemon.m.record(name)
        print(name, "after the refusals:", rec["maxmem"], "MiB,",
              rec["vcpus"], "vcpus")
        assert (rec["maxmem"], rec["vcpus"]) == \
            (before[name]["maxmem"], before[name]["vcpus"])
    daemon.m.start("halted")                # still startable


def test_mem_set_keeps_the_maximum(daemon: Daemon) -> None:
    """memory=512, no maxmem: mem-set 256 must not lower the ceiling."""
    daemon.m.create(cfg("run", memory=512))
    daemon.m.new(cfg("halt", memory=512))
    for name in ("run", "halt"):
        daemon.m.set_memory_target(name, 256)
        assert daemon.m.record(name)["memory"] == 256
        daemon.m.set_memory_target(name, 512)
        assert daemon.m.record(name)["memory"] == 512
        with pytest.raises(InvalidArgument):
            daemon.m.set_memory_target(name, 513)
    daemon.m.set_memory_target("run", 256)
    daemon.m.reset("run")                   # rebuilt from the config
    daemon.m.set_memory_target("run", 512)
    assert daemon.m.record("run")["memory"] == 512


def test_pin_clips_the_range_to_the_host(daemon: Daemon) -> None:
    daemon.m.create(cfg("p", vcpus=2, cpus="0-63"))
    assert [v["affinity"] for v in daemon.m.vcpu_info("p")] == \
        [[0, 1, 2, 3]] * 2
    daemon.m.pin_vcpu("p", 0, "2-100000")
    assert daemon.m.vcpu_info("p")[0]["affinity"] == [2, 3]
    with pytest.raises(XendError, match="none of its CPUs exists"):
        daemon.m.pin_vcpu("p", 0, "4-100000")
    with pytest.raises(ConfigError, match="none of its CPUs exists"):
        daemon.m.create(cfg("q", cpus="8-63"))


@pytest.mark.parametrize("managed", [False, True])
def test_failed_reset_leaves_no_ghost(daemon: Daemon, monkeypatch,
                                      managed: bool) -> None:
    (daemon.m.new if managed else daemon.m.create)(cfg("r", memory=256))
    if managed:
        daemon.m.start("r")
    old = daemon.m.record("r")["domid"]

    def no_memory(config):
        raise NotEnoughMemory("not enough free memory (test)")
    monkeypatch.setattr(daemon.hv, "create", no_memory)
    with pytest.raises(XendError, match="destroyed by the reset but could "
                       "not be started again: not enough free memory"):
        daemon.m.reset("r")
    monkeypatch.undo()
    print("after the failed reset: domids", [i.domid for i in
                                             daemon.hv.list_domains()],
          "entries", [e.name for e in daemon.table.entries.values()])
    assert old not in [i.domid for i in daemon.hv.list_domains()]
    assert list((daemon.base / "state" / "running").iterdir()) == []
    if managed:     # halted, and startable again
        assert daemon.m.record("r")["domid"] is None
        daemon.m.start("r")
    else:           # gone: the name is free again
        with pytest.raises(DomainNotFound):
            daemon.m.record("r")
        daemon.m.create(cfg("r", memory=256))
    assert daemon.m.record("r")["domid"] is not None


def test_reset_refuses_an_unbuildable_config_before_destroying(
        daemon: Daemon) -> None:
    daemon.m.create(cfg("u"))
    entry = daemon.table.lookup("u")
    # A config that no longer validates (as a huge maxmem did before it
    # was refused at maxmem_set).
    object.__setattr__(entry.config, "maxmem", 10**30)
    domid = entry.domid
    with pytest.raises(ConfigError, match="maxmem"):
        daemon.m.reset("u")
    assert daemon.hv.domain_info(domid).domid == domid     # untouched


def test_absurd_requests_refused_without_ballooning(tmp_path: Path) -> None:
    """Through the domain services on the simulator under a capped address
    space: each absurd request is refused (or clipped) at once."""
    out = run_limited(f'''
        from pathlib import Path
        from tests.domains.test_manager import Daemon, cfg
        d = Daemon(Path({str(tmp_path)!r}))
        tried("create vcpus=10**8", lambda: d.m.create(cfg("a", vcpus=10**8)))
        tried("new vcpus=10**8", lambda: d.m.new(cfg("b", vcpus=10**8)))
        tried("create cpus='0-100000000'",
              lambda: d.m.create(cfg("c", cpus="0-100000000")) and "ok")
        tried("vcpu-pin 0-99999999999",
              lambda: d.m.pin_vcpu("c", 0, "0-99999999999"))
        d.m.new(cfg("h"))
        tried("maxmem_set 10**30", lambda: d.m.set_max_memory("h", 10**30))
        tried("setVCpuCount 10**30", lambda: d.m.set_vcpus("h", 10**30))
        tried("record h", lambda: d.m.record("h")["maxmem"])
        tried("start h", lambda: d.m.start("h"))
        d.close()
    ''')
    assert "MemoryError" not in out
    assert "create vcpus=10**8: refused: ConfigError" in out
    assert "new vcpus=10**8: refused: ConfigError" in out
    assert "create cpus='0-100000000': accepted: 'ok'" in out
    assert "vcpu-pin 0-99999999999: accepted: None" in out
    assert "maxmem_set 10**30: refused: InvalidArgument" in out
    assert "setVCpuCount 10**30: refused: InvalidArgument" in out
    assert "record h: accepted: 64" in out
    assert "start h: accepted: None" in out
