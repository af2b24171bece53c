"""xm dump-core in the domain manager (on the simulator): where the core
goes, pausing, -C/-R, refusals, and that no partial file is ever left."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.domains.test_manager import Daemon, cfg, domid_of
from tests.e2e.test_disk_full import fill
from xend.errors import (DomainNotFound, InvalidArgument, InvalidState,
                         StorageError, XendError)
from xend.hv.sim.coredump import elf_notes


@pytest.fixture
def daemon(tmp_path: Path):
    d = Daemon(tmp_path)
    yield d
    d.close()


def _leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.rglob(".tmp-*")]


def test_default_file_name_and_mode(daemon: Daemon):
    daemon.m.create(cfg("web"))
    domid = domid_of(daemon, "web")
    path = Path(daemon.m.dump_core("web"))
    assert path.parent == daemon.dump_path / "web"
    assert re.fullmatch(rf"\d{{4}}-\d{{4}}-\d{{4}}\.\d\d-web\.{domid}\.core",
                        path.name), path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert elf_notes(path.read_bytes())
    assert _leftovers(daemon.dump_path) == []


def test_paused_for_the_dump_unless_live(daemon: Daemon, monkeypatch):
    daemon.m.create(cfg("p"))
    seen: list[bool] = []
    dump = daemon.hv.core_dump

    def watching(domid: int, path: str) -> None:
        seen.append(daemon.hv.domain_info(domid).paused)
        dump(domid, path)

    monkeypatch.setattr(daemon.hv, "core_dump", watching)
    daemon.m.dump_core("p")
    daemon.m.dump_core("p", live=True)
    assert seen == [True, False]
    assert not daemon.hv.domain_info(domid_of(daemon, "p")).paused


def test_a_paused_domain_stays_paused(daemon: Daemon):
    daemon.m.create(cfg("held"))
    daemon.m.pause("held")
    daemon.m.dump_core("held")
    assert daemon.hv.domain_info(domid_of(daemon, "held")).paused


def test_a_pv_domain_that_never_ran_is_refused_and_stays_paused(
        daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("unborn"), paused=True)
    out = tmp_path / "cores"
    out.mkdir()
    with pytest.raises(InvalidState, match="^Failed to dump core: .*never run"):
        daemon.m.dump_core("unborn", str(out / "u.core"))
    assert daemon.hv.domain_info(domid_of(daemon, "unborn")).paused
    assert list(out.iterdir()) == []


def test_crash_destroys_and_reset_restarts(daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("c"))
    daemon.m.dump_core("c", str(tmp_path / "c.core"), crash=True)
    daemon.wait(lambda: domid_of(daemon, "c") is None)
    daemon.m.create(cfg("r"))
    old = domid_of(daemon, "r")
    daemon.m.dump_core("r", str(tmp_path / "r.core"), reset=True)
    new = domid_of(daemon, "r")
    assert new not in (None, old)
    assert not daemon.hv.domain_info(new).paused
    with pytest.raises(InvalidArgument):
        daemon.m.dump_core("r", crash=True, reset=True)


def test_a_given_file_is_replaced_atomically(daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("g"))
    target = tmp_path / "g.core"
    target.write_bytes(b"old core")
    assert daemon.m.dump_core("g", str(target)) == str(target)
    assert target.read_bytes()[:4] == b"\x7fELF"
    assert _leftovers(tmp_path) == []


def test_refusals(daemon: Daemon, tmp_path: Path):
    daemon.m.create(cfg("g"))
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "link").symlink_to(victim)
    with pytest.raises(InvalidArgument, match="symbolic link"):
        daemon.m.dump_core("g", str(tmp_path / "link"))
    assert victim.read_text() == "precious"
    with pytest.raises(InvalidArgument,
                       match="Cannot dump core in a directory"):
        daemon.m.dump_core("g", str(tmp_path))
    with pytest.raises(InvalidArgument, match="absolute"):
        daemon.m.dump_core("g", "relative.core")
    with pytest.raises(StorageError, match="No such file or directory"):
        daemon.m.dump_core("g", str(tmp_path / "missing" / "g.core"))
    with pytest.raises(XendError, match="privileged domain"):
        daemon.m.dump_core("Domain-0")
    with pytest.raises(DomainNotFound):
        daemon.m.dump_core("nope")
    daemon.m.new(cfg("off"))
    with pytest.raises(InvalidState, match="Domain 'off' is not started"):
        daemon.m.dump_core("off")
    assert not daemon.hv.domain_info(domid_of(daemon, "g")).paused
    assert _leftovers(tmp_path) == []


def test_failed_write_leaves_nothing_and_unpauses(daemon: Daemon,
                                                  tmp_path: Path,
                                                  monkeypatch):
    daemon.m.create(cfg("f"))

    def half_written(domid: int, path: str) -> None:
        Path(path).write_bytes(b"\x7fELF partial")
        raise StorageError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(daemon.hv, "core_dump", half_written)
    with pytest.raises(StorageError, match="^Failed to dump core: .*No space"):
        daemon.m.dump_core("f", str(tmp_path / "f.core"))
    assert list(tmp_path.glob("*.core")) == [] and _leftovers(tmp_path) == []
    assert not daemon.hv.domain_info(domid_of(daemon, "f")).paused


def test_full_disk_gives_a_clear_error_and_no_file(daemon: Daemon,
                                                   tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs",
                       str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs")
    try:
        fill(mnt)
        daemon.m.create(cfg("full"))
        with pytest.raises(StorageError) as err:
            daemon.m.dump_core("full", str(mnt / "full.core"))
        assert "space" in str(err.value) or "No space" in str(err.value)
        assert sorted(p.name for p in mnt.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def test_debug_keys_reach_the_ring(daemon: Daemon):
    daemon.m.send_debug_keys("h")
    assert "'h' pressed -> showing installed handlers" in daemon.hv.dmesg()
    with pytest.raises(InvalidArgument):
        daemon.m.send_debug_keys("")


def test_pause_flag_for_domstate(daemon: Daemon):
    daemon.m.create(cfg("a"))
    daemon.m.create(cfg("b"), paused=True)
    assert daemon.m.record("b")["paused_by_admin"] is False
    daemon.m.pause("a")
    assert daemon.m.record("a")["paused_by_admin"] is True
    daemon.m.unpause("a")
    assert daemon.m.record("a")["paused_by_admin"] is False
    daemon.m.pause("a")
    daemon.m.destroy("a")
    daemon.wait(lambda: not daemon.m.admin_paused)


def test_list_state_as_4_4(daemon: Daemon):
    daemon.m.create(cfg("run"))
    daemon.m.create(cfg("held"), paused=True)
    daemon.m.create(cfg("kept", on_poweroff="preserve"))
    daemon.m.shutdown("kept")
    daemon.wait(lambda: daemon.m.record("kept")["state"] == "---s--")
    daemon.m.new(cfg("off"))

    def names(state: str) -> list[str]:
        return daemon.m.names(state)

    assert names("PAUSED") == names("paused") == ["held"]
    assert "run" in names("Running") and "held" not in names("running")
    assert names("halted") == ["kept", "off"]      # 4.4: shutting down too
    assert names("shuttingdown") == [] and names("bogus") == []
    assert len(names("ALL")) == 5
