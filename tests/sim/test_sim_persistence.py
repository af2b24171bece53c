"""Simulator-only: the state file, the lock, and life across restarts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import MakeSim, EventRecorder, FakeClock, pv_config

from xend.errors import HypervisorError, InvalidArgument, StorageError
from xend.hv.sim import SimHypervisor
from xend.hv.sim import state as state_module


def test_domains_survive_a_restart(make_sim: MakeSim, clock: FakeClock,
                                   tmp_path: Path) -> None:
    first = make_sim(clock=clock)
    config = pv_config("keeper", vcpus=2)
    domid = first.create(config)
    first.unpause(domid)
    first.set_memory_target(domid, 128 * 1024)
    clock.advance(50)
    cpu_before = first.domain_info(domid).cpu_time_ns
    dmesg = first.dmesg()
    first.close()
    clock.advance(50)       # xend is down; the guest keeps running

    second = make_sim(clock=clock)
    info = second.domain_info(domid)
    assert (info.name, info.uuid) == ("keeper", config["c_info"]["uuid"])
    assert info.target_memkb == 128 * 1024
    assert info.cpu_time_ns == 2 * cpu_before
    assert second.dmesg() == dmesg
    assert second.domain_config(domid)["c_info"]["name"] == "keeper"
    assert second.create(pv_config()) == domid + 1


def test_state_files_are_json_under_state_dir(make_sim: MakeSim,
                                              tmp_path: Path) -> None:
    sim = make_sim()
    domid = sim.create(pv_config("on-disk"))
    base = tmp_path / "state" / "sim"
    host = json.loads((base / "host.json").read_text())
    assert host["next_domid"] == domid + 1
    files = sorted(p.name for p in (base / "domains").iterdir())
    assert files == ["0.json", f"{domid}.json"]
    names = {json.loads((base / "domains" / f).read_text())["name"]
             for f in files}
    assert names == {"Domain-0", "on-disk"}
    leftovers = [p for p in base.rglob(".tmp-*")]
    assert leftovers == []
    sim.destroy(domid)
    assert sorted(p.name for p in (base / "domains").iterdir()) == ["0.json"]


def test_a_change_writes_only_the_files_it_changed(
        make_sim: MakeSim, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 30 domains, creating, pausing or destroying one rewrites that
    domain's file (and the host file when next_domid changes), never the
    other 30: the cost of a change does not grow with the domain count."""
    sim = make_sim()
    domids = [sim.create(pv_config(f"d{n}", mem_mib=32))
              for n in range(30)]
    written: list[str] = []
    real = state_module._replace

    def spy(path: str, text: str) -> None:
        written.append(os.path.relpath(path, sim._file.dir))
        real(path, text)

    monkeypatch.setattr(state_module, "_replace", spy)
    new = sim.create(pv_config("one-more", mem_mib=32))
    print("create wrote", written)
    assert sorted(written) == [f"domains/{new}.json", "host.json"]
    written.clear()
    sim.unpause(domids[3])
    sim.pause(domids[3])
    print("unpause+pause wrote", written)
    assert written == [f"domains/{domids[3]}.json"] * 2
    written.clear()
    sim.domain_info(domids[4])          # a query writes nothing
    sim.list_domains()
    sim.destroy(domids[5])
    print("destroy wrote", written)
    assert written == []
    assert not os.path.exists(
        os.path.join(sim._file.domains_dir, f"{domids[5]}.json"))


def test_old_single_file_state_is_moved(make_sim: MakeSim,
                                        tmp_path: Path) -> None:
    """A state directory written by an earlier version (one
    hypervisor.json) is read and moved to the per-domain layout."""
    sim = make_sim()
    domid = sim.create(pv_config("old-one", vcpus=2))
    sim.close()
    base = tmp_path / "state" / "sim"
    host = json.loads((base / "host.json").read_text())
    domains = [json.loads(p.read_text())
               for p in sorted((base / "domains").iterdir())]
    legacy = dict(host, version=1, domains=domains)
    (base / "hypervisor.json").write_text(json.dumps(legacy))
    (base / "host.json").unlink()
    for p in (base / "domains").iterdir():
        p.unlink()
    second = make_sim()
    assert second.domain_info(domid).name == "old-one"
    assert second.create(pv_config()) == domid + 1
    assert not (base / "hypervisor.json").exists()
    assert (base / "domains" / f"{domid}.json").exists()


def test_leftover_temp_files_are_removed(make_sim: MakeSim,
                                         tmp_path: Path) -> None:
    """A crash between writing a temp file and renaming it leaves the old
    file whole; the temp file is removed at the next start."""
    sim = make_sim()
    domid = sim.create(pv_config("kept"))
    sim.close()
    domains = tmp_path / "state" / "sim" / "domains"
    (domains / ".tmp-crashed").write_text('{"half')
    second = make_sim()
    assert second.domain_info(domid).name == "kept"
    assert not (domains / ".tmp-crashed").exists()


def test_second_instance_is_refused(make_sim: MakeSim) -> None:
    make_sim()
    with pytest.raises(HypervisorError, match="in use by another process"):
        make_sim()


def test_lock_is_released_on_close(make_sim: MakeSim) -> None:
    first = make_sim()
    first.close()
    first.close()       # idempotent
    make_sim()


def test_other_process_is_refused(make_sim: MakeSim, tmp_path: Path) -> None:
    make_sim()
    code = ("import sys\n"
            "from xend.hv.sim import SimHypervisor\n"
            "from xend.errors import HypervisorError\n"
            "try:\n"
            f"    SimHypervisor(state_dir={str(tmp_path / 'state')!r})\n"
            "except HypervisorError as e:\n"
            "    print(e); sys.exit(7)\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[2]))
    proc = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 7, proc.stderr
    assert "in use by another process" in proc.stdout


def test_closed_simulator_refuses_changes(make_sim: MakeSim) -> None:
    sim = make_sim()
    sim.close()
    with pytest.raises(HypervisorError, match="closed"):
        sim.create(pv_config())


def test_pending_shutdown_applied_on_load(make_sim: MakeSim,
                                          clock: FakeClock) -> None:
    first = make_sim(clock=clock, guest_shutdown_delay=5)
    domid = first.create(pv_config())
    first.unpause(domid)
    first.shutdown(domid, reboot=True)
    first.close()
    clock.advance(10)
    second = make_sim(clock=clock, guest_shutdown_delay=5)
    assert second.domain_info(domid).shutdown_reason == "reboot"
    rec = EventRecorder()
    second.watch_events(rec)
    second.flush_events()
    assert rec.of(domid) == [("shutdown", "reboot")]


def test_pending_shutdown_not_yet_due_survives(make_sim: MakeSim,
                                               clock: FakeClock) -> None:
    first = make_sim(clock=clock, guest_shutdown_delay=5)
    domid = first.create(pv_config())
    first.unpause(domid)
    first.shutdown(domid)
    clock.advance(2)
    first.close()
    second = make_sim(clock=clock, guest_shutdown_delay=5)
    assert not second.domain_info(domid).shutdown
    clock.advance(3)
    second.run_due_events()
    assert second.domain_info(domid).shutdown_reason == "poweroff"


@pytest.mark.parametrize("which", ["host.json", "domains/0.json"])
def test_damaged_state_file(make_sim: MakeSim, tmp_path: Path,
                            which: str) -> None:
    make_sim().close()
    path = tmp_path / "state" / "sim" / which
    path.write_text("{not json")
    with pytest.raises(StorageError, match=which):
        make_sim()
    # ... and the failed start released the lock again.
    path.unlink()
    make_sim()


def test_domain_file_of_another_domain_is_refused(make_sim: MakeSim,
                                                  tmp_path: Path) -> None:
    make_sim().close()
    domains = tmp_path / "state" / "sim" / "domains"
    (domains / "0.json").rename(domains / "7.json")
    with pytest.raises(StorageError, match="holds domain 0"):
        make_sim()


@pytest.mark.parametrize("kwargs", [
    {"host_cpus": 0}, {"scheduler": "bvt"},
    {"host_memory_mib": 1024, "dom0_memory_mib": 1024},
    {"dom0_memory_mib": 64}, {"guest_shutdown_delay": -1},
])
def test_constructor_checks(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        SimHypervisor(state_dir=str(tmp_path), **kwargs)


def test_constructor_is_keyword_only(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        SimHypervisor(str(tmp_path))  # type: ignore[misc]


def test_restart_on_a_smaller_host_keeps_pins_valid(make_sim: MakeSim) -> None:
    first = make_sim(host_cpus=8)
    config = pv_config(vcpus=2)
    config["b_info"]["vcpu_hard_affinity"] = [[6, 7], [1, 6]]
    domid = first.create(config)
    first.close()
    second = make_sim(host_cpus=4)
    assert [v.affinity for v in second.list_vcpus(domid)] == \
        [(0, 1, 2, 3), (1,)]
