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


def test_state_file_is_json_under_state_dir(make_sim: MakeSim,
                                            tmp_path: Path) -> None:
    sim = make_sim()
    domid = sim.create(pv_config("on-disk"))
    path = tmp_path / "state" / "sim" / "hypervisor.json"
    data = json.loads(path.read_text())
    names = {d["name"] for d in data["domains"]}
    assert names == {"Domain-0", "on-disk"}
    assert data["next_domid"] == domid + 1
    leftovers = [p for p in path.parent.iterdir()
                 if p.name.startswith(".hypervisor.")]
    assert leftovers == []


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


def test_damaged_state_file(make_sim: MakeSim, tmp_path: Path) -> None:
    make_sim().close()
    path = tmp_path / "state" / "sim" / "hypervisor.json"
    path.write_text("{not json")
    with pytest.raises(StorageError):
        make_sim()
    # ... and the failed start released the lock again.
    path.unlink()
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
