"""Contract: Ganeti 3.0's own Xen code (hv_xen, xen_cmd=xm) on our real xm.

Ganeti's node daemon drives a Xen node only through ``xm``: it parses
``xm list`` (every instance query), ``xm info`` (node memory and CPUs),
writes a config file and runs ``xm create [-p] FILE``, then ``xm mem-set``,
``xm reboot``, ``xm shutdown -w``, ``xm destroy``, ``xm migrate -p PORT -l``
and, for the console, its xen-console-wrapper (``xm list NAME``, ``xm
unpause``, ``xm console``).  These tests run Debian 12's Ganeti 3.0.2 code,
unchanged (tests/e2e/ganeti_code.py), against xend on the simulator and
check that what Ganeti concludes is what our domains and host are.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.bootfiles import KERNEL
from tests.e2e.conftest import XendEnv, basic_config
from tests.e2e.ganeti_code import (Ganeti, block_devices, hvparams,
                                   hypervisor, instance, load)
from tests.e2e.test_migrate import relocating

LONG = "a-very-long-instance-name-beyond-forty-columns.example.com"


@pytest.fixture
def g() -> Ganeti:
    ganeti = load()
    assert ganeti.constants.RELEASE_VERSION.startswith("3.0")
    return ganeti


def xm_info(env: XendEnv) -> dict[str, str]:
    return {k.strip(): v.strip() for k, v in
            (line.split(":", 1) for line in env.ok("info").splitlines())}


def state_of(env: XendEnv, name: str) -> str:
    return env.ok("list", name).splitlines()[1].split()[4]


def test_ganeti_reads_xm_list(g: Ganeti, xend_env: XendEnv) -> None:
    env = xend_env
    env.write_config("alpha", basic_config("alpha", 256, vcpus=2))
    env.ok("create", "alpha")
    env.write_config("long", basic_config(LONG, 128))
    env.ok("create", "-p", "long")
    env.write_config("kept", basic_config("kept", 64,
                                          on_poweroff="preserve"))
    env.ok("create", "kept")
    env.ok("shutdown", "-w", "kept")
    assert state_of(env, LONG) == "--p---"
    assert state_of(env, "kept") == "---s--"
    ids = {n: int(env.ok("domid", n)) for n in ("alpha", LONG, "kept")}
    hv, run = hypervisor(g, env)
    hvp = hvparams(g, KERNEL)
    state = g.hv_base.HvInstanceState

    found = {i[0]: tuple(i[1:5]) for i in hv.GetAllInstancesInfo(hvp)}
    assert found == {"alpha": (ids["alpha"], 256, 2, state.RUNNING),
                     LONG: (ids[LONG], 128, 1, state.RUNNING),
                     "kept": (ids["kept"], 64, 1, state.SHUTDOWN)}
    # Running, for Ganeti, includes paused; a preserved shut-down one is not.
    assert sorted(hv.ListInstances(hvp)) == sorted(["alpha", LONG])
    dom0 = hv.GetInstanceInfo("Domain-0", hvp)
    assert dom0[:5] == ["Domain-0", 0, 1024, 4, state.RUNNING]
    assert isinstance(dom0[5], float) and dom0[5] >= 0
    assert hv.GetInstanceInfo("nosuch", hvp) is None
    assert all(cmd == ["list"] for cmd in run.xm_commands())


def test_ganeti_refuses_a_list_with_a_halted_managed_domain(
        g: Ganeti, xend_env: XendEnv) -> None:
    """As with 4.4's xm, a managed (``xm new``) domain that is not running
    lists with no ID and no State; Ganeti's parser then refuses the whole
    listing.  So a Ganeti node holds no halted managed domains; a started
    one lists like any other."""
    env = xend_env
    env.write_config("m", basic_config("managed1", 64))
    env.ok("new", "m")
    rows = [line.split() for line in env.ok("list").splitlines()]
    assert ["managed1", "64", "1", "0.0"] in rows
    hv, _ = hypervisor(g, env)
    hvp = hvparams(g, KERNEL)
    with pytest.raises(g.errors.HypervisorError,
                       match="Can't parse instance list"):
        hv.GetAllInstancesInfo(hvp)
    env.ok("start", "managed1")
    assert hv.ListInstances(hvp) == ["managed1"]


def test_ganeti_reads_xm_info(g: Ganeti, xend_env: XendEnv) -> None:
    env = xend_env
    env.write_config("alpha", basic_config("alpha", 256, vcpus=2))
    env.ok("create", "alpha")
    hv, run = hypervisor(g, env)
    hvp = hvparams(g, KERNEL)
    free = int(xm_info(env)["free_memory"])

    assert hv.GetNodeInfo(hvp) == {
        "memory_total": 4096, "memory_free": free,
        "cpu_total": 4, "cpu_nodes": 1, "cpu_sockets": 1,
        "hv_version": (4, 17),
        "memory_dom0": 1024, "cpu_dom0": 4,
        "memory_hv": 4096 - free - (1024 + 256)}
    assert 4096 - free - (1024 + 256) >= 0
    assert hv.Verify(hvp) is None
    assert ["which", "xm"] in run.commands
    assert run.xm_commands() == [["info"], ["list"], ["info"]]


def test_ganeti_sees_xend_down(g: Ganeti, xend_env: XendEnv) -> None:
    """xm's non-zero exit without xend is what Ganeti reports."""
    xend_env.stop()
    hv, _ = hypervisor(g, xend_env)
    hvp = hvparams(g, KERNEL)
    assert hv.GetNodeInfo(hvp) is None
    assert hv.Verify(hvp).startswith("Retrieving information from xen failed")
    with pytest.raises(g.errors.HypervisorError,
                       match="listing instances failed"):
        hv.ListInstances(hvp)


def test_ganeti_instance_lifecycle(g: Ganeti, xend_env: XendEnv) -> None:
    """Ganeti writes the config with its own code, xm create runs it; then
    mem-set, reboot and a soft stop, as gnt-instance would."""
    env = xend_env
    name = "inst1.example.com"
    hv, run = hypervisor(g, env)
    inst = instance(g, name, KERNEL, memory=256, vcpus=2)
    disks = block_devices(g, env.base, name)
    running = g.hv_base.HvInstanceState.RUNNING

    hv.StartInstance(inst, disks, False)
    cfg = env.base / "ganeti-xen" / name
    assert cfg.read_text().startswith("# Automatically generated by Ganeti")
    assert ["create", str(cfg)] in run.xm_commands()
    info = hv.GetInstanceInfo(name, inst.hvparams)
    assert info[0] == name and info[2:5] == [256, 2, running]
    # (4.4's pretty-printer breaks a long value's line before its ")")
    sxp = " ".join(env.ok("list", "-l", name).split()).replace(" )", ")")
    for item in (f"(uname phy:{disks[0][1]})", "(dev sda)", "(mode w)",
                 f"(mac {inst.nics[0].mac})", "(bridge xen-br0)",
                 "(on_poweroff preserve)", "(args 'root=/dev/xvda1 ro')"):
        assert item in sxp, item

    hv.BalloonInstanceMemory(inst, 200)
    assert ["mem-set", name, "200"] in run.xm_commands()
    assert hv.GetInstanceInfo(name, inst.hvparams)[2] == 200
    assert "\nmemory = 200\n" in cfg.read_text()

    hv.RebootInstance(inst)
    after = hv.GetInstanceInfo(name, inst.hvparams)
    assert after[1] != info[1] and after[4] == running

    hv.StopInstance(inst, force=False, timeout=30)
    cmds = run.xm_commands()
    assert ["shutdown", "-w", name] in cmds and ["destroy", name] in cmds
    assert hv.GetInstanceInfo(name, inst.hvparams) is None
    assert not cfg.exists()
    assert name not in env.ok("list")


def test_ganeti_force_stop_and_failed_start(g: Ganeti, xend_env: XendEnv,
                                            monkeypatch) -> None:
    env = xend_env
    hv, run = hypervisor(g, env)
    inst = instance(g, "inst2", KERNEL)
    hv.StartInstance(inst, [], False)
    hv.StopInstance(inst, force=True)
    assert ["destroy", "inst2"] in run.xm_commands()
    assert not any(c[0] == "shutdown" for c in run.xm_commands())
    assert hv.GetInstanceInfo("inst2", inst.hvparams) is None

    logdir = env.base / "ganeti-log"
    logdir.mkdir()
    monkeypatch.setattr(g.hv_xen.pathutils, "LOG_XEN_DIR", str(logdir))
    bad = instance(g, "inst3", str(env.base / "no-such-kernel"))
    with pytest.raises(g.errors.HypervisorError,
                       match="Failed to start instance inst3") as err:
        hv.StartInstance(bad, [], False)
    assert "Error: " in str(err.value)          # our xm's one-line message
    assert [p.name.split("-")[0] for p in logdir.iterdir()] == ["inst3"]
    assert "inst3" not in env.ok("list")


def test_ganeti_powercycle_fallback(g: Ganeti, xend_env: XendEnv) -> None:
    """When its Linux reboot of the node fails, Ganeti runs ``xm debug R``
    (PowercycleNode, not called here: it would reboot this machine), which
    4.4's prefix lookup makes ``xm debug-keys R``: Xen's reboot key."""
    _, run = hypervisor(g, xend_env)
    result = run(["xm", "debug", "R"])
    assert not result.failed, result.output
    assert "'R' pressed -> rebooting machine" in xend_env.ok("dmesg")


def console_command(g: Ganeti, hv: Any, inst: Any) -> list[str]:
    node = g.objects.Node(name="node1", uuid="node1-uuid", ndparams={})
    group = g.objects.NodeGroup(name="default", ndparams={})
    cons = hv.GetInstanceConsole(inst, node, group, inst.hvparams, {})
    assert cons.Validate() is None
    command: list[str] = cons.command
    assert Path(command[0]).name == "xen-console-wrapper"
    return command


def test_ganeti_console_wrapper_unpauses(g: Ganeti,
                                         xend_env: XendEnv) -> None:
    """A paused start, then Ganeti's console command: its wrapper reads the
    state column of ``xm list NAME``, unpauses, and attaches xm console."""
    env = xend_env
    hv, run = hypervisor(g, env)
    inst = instance(g, "paused1", KERNEL)
    hv.StartInstance(inst, [], True)
    cfg = str(env.base / "ganeti-xen" / "paused1")
    assert ["create", "-p", cfg] in run.xm_commands()
    assert state_of(env, "paused1") == "--p---"

    command = console_command(g, hv, inst)
    assert command[1:] == ["xm", "paused1"]
    proc = subprocess.run(["bash", str(g.console_wrapper), *command[1:]],
                          env=run.env, cwd=run.cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert "Instance paused1 is paused, unpausing" in proc.stdout, \
        proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "p" not in state_of(env, "paused1")


def test_ganeti_live_migration_between_two_xends(g: Ganeti,
                                                 make_env) -> None:
    """Ganeti's migration steps, source and target: ``xm migrate -p PORT -l
    NAME TARGET`` after its TCP check of the port, then its finalisation."""
    src, _ = relocating(make_env, "127.0.0.1")
    dst, port = relocating(make_env, "127.0.0.2")
    src_hv, src_run = hypervisor(g, src)
    dst_hv, _ = hypervisor(g, dst)
    name = "mig1.example.com"
    inst = instance(g, name, KERNEL, memory=128,
                    **{g.constants.HV_MIGRATION_PORT: port})
    src_hv.StartInstance(inst, [], False)
    config = src_hv.MigrationInfo(inst)

    dst_hv.AcceptInstance(inst, config, "127.0.0.2")
    src_hv.MigrateInstance("cluster", inst, "127.0.0.2", True)
    assert ["migrate", "-p", str(port), "-l", name, "127.0.0.2"] \
        in src_run.xm_commands()
    dst_hv.FinalizeMigrationDst(inst, config, True)
    src_hv.FinalizeMigrationSource(inst, True, None)

    running = g.hv_base.HvInstanceState.RUNNING
    assert dst_hv.GetInstanceInfo(name, inst.hvparams)[4] == running
    assert src_hv.GetInstanceInfo(name, inst.hvparams) is None
    assert (dst.base / "ganeti-xen" / name).read_text() == config
    assert not (src.base / "ganeti-xen" / name).exists()
