"""Ganeti 3.0's own Xen hypervisor code, set up to drive our real xm.

scripts/ganeti-code.sh unpacks Debian 12's ganeti-3.0 package (never
installed) into ``$XEND_GANETI_DIR`` (default /var/cache/xend-ganeti).
``load()`` imports Ganeti's modules from there; when they are not there the
calling test is skipped with the reason, or fails when
``XEND_GANETI_REQUIRED=1`` (scripts/run-tests.sh sets it, so CI cannot
pass by skipping).

Nothing of Ganeti's is copied here: the tests call Ganeti's classes as
Ganeti's node daemon does, with the hooks those classes offer for it
(``_cfgdir``, ``_run_cmd_fn``, ``_cmd``) and, for the run-time directories
under /var/run/ganeti and /var/log/ganeti, a subclass or an attribute that
points them into the test's directory.
"""

from __future__ import annotations

import importlib
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, XendEnv

DEFAULT_DIR = "/var/cache/xend-ganeti"
CODE = "usr/share/ganeti/3.0"
CONSOLE_WRAPPER = "usr/lib/ganeti/3.0/usr/lib/ganeti/tools/xen-console-wrapper"


def ganeti_dir() -> Path:
    return Path(os.environ.get("XEND_GANETI_DIR") or DEFAULT_DIR)


@dataclass
class Ganeti:
    """The Ganeti modules the tests use, and where they came from."""
    root: Path
    version: str
    constants: ModuleType
    errors: ModuleType
    objects: ModuleType
    utils: ModuleType
    hv_base: ModuleType
    hv_xen: ModuleType

    @property
    def console_wrapper(self) -> Path:
        return self.root / CONSOLE_WRAPPER


def _unavailable(reason: str) -> None:
    if os.environ.get("XEND_GANETI_REQUIRED") == "1":
        pytest.fail(reason + " (XEND_GANETI_REQUIRED=1)", pytrace=False)
    pytest.skip(reason)


def load() -> Ganeti:
    """Import Ganeti 3.0 from the unpacked package, or skip (fail) why not."""
    root = ganeti_dir()
    code = root / CODE
    if not (code / "ganeti" / "hypervisor" / "hv_xen.py").is_file():
        _unavailable(f"Ganeti 3.0's code is not unpacked in {root}: "
                     "run scripts/ganeti-code.sh")
    if str(code) not in sys.path:
        sys.path.append(str(code))
    try:
        mods = {name: importlib.import_module("ganeti." + name)
                for name in ("constants", "errors", "objects", "utils",
                             "hypervisor.hv_base", "hypervisor.hv_xen")}
    except ImportError as exc:
        _unavailable(f"Ganeti 3.0's hv_xen cannot be imported from {code}: "
                     f"{exc} (pip install the project's test extras)")
    version_file = root / "VERSION"
    version = version_file.read_text().strip() \
        if version_file.is_file() else "?"
    return Ganeti(root, version, mods["constants"], mods["errors"],
                  mods["objects"], mods["utils"], mods["hypervisor.hv_base"],
                  mods["hypervisor.hv_xen"])


def xm_bin(base: Path) -> Path:
    """A directory holding an ``xm`` that runs this tree's xm, to put first
    on PATH: Ganeti runs plain ``xm`` (and ``which xm``)."""
    bindir = base / "bin"
    bindir.mkdir(exist_ok=True)
    xm = bindir / "xm"
    xm.write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} "
                  "-m xm \"$@\"\n")
    xm.chmod(0o755)
    return bindir


class Runner:
    """Ganeti's ``_run_cmd_fn``: Ganeti's own ``utils.RunCmd`` with our
    xend's environment; it keeps every command it was given."""

    def __init__(self, g: Ganeti, env: XendEnv) -> None:
        self.g = g
        self.env = dict(env.env)
        self.env["PATH"] = f"{xm_bin(env.base)}:{self.env.get('PATH', '')}"
        self.cwd = str(env.base)
        self.commands: list[list[str]] = []

    def __call__(self, cmd: list[Any], **kwargs: Any) -> Any:
        self.commands.append([str(c) for c in cmd])
        return self.g.utils.RunCmd(cmd, env=self.env, cwd=self.cwd, **kwargs)

    def xm_commands(self) -> list[list[str]]:
        """The xm commands run so far (a ``timeout N`` prefix dropped)."""
        out = []
        for cmd in self.commands:
            if cmd[0] == "timeout":
                cmd = cmd[2:]
            if cmd[0] == "xm":
                out.append(cmd[1:])
        return out


def hypervisor(g: Ganeti, env: XendEnv) -> tuple[Any, Runner]:
    """Ganeti's XenPvmHypervisor on *env*'s xend, its files under env.base."""
    rundir = env.base / "ganeti-run"
    cfgdir = env.base / "ganeti-xen"
    cfgdir.mkdir(exist_ok=True)
    base_cls: Any = g.hv_xen.XenPvmHypervisor

    class Pvm(base_cls):        # type: ignore[misc,valid-type]
        _ROOT_DIR = str(rundir)
        _NICS_DIR = str(rundir / "nic")
        _MIGRATION_DIR = str(rundir / "migration")
        _DIRS = [_ROOT_DIR, _NICS_DIR, _MIGRATION_DIR]
        # Ganeti waits 10 s between its reboot checks; the simulator is fast.
        REBOOT_RETRY_INTERVAL = 0.5
        REBOOT_RETRY_COUNT = 60

    runner = Runner(g, env)
    return Pvm(_cfgdir=str(cfgdir), _run_cmd_fn=runner, _cmd="xm"), runner


def hvparams(g: Ganeti, kernel: str, **extra: Any) -> dict[str, Any]:
    """Ganeti's default xen-pvm parameters, xen_cmd=xm, our kernel."""
    c = g.constants
    params = dict(c.HVC_DEFAULTS[c.HT_XEN_PVM])
    params.update({c.HV_XEN_CMD: c.XEN_CMD_XM, c.HV_KERNEL_PATH: kernel})
    params.update(extra)
    return params


def instance(g: Ganeti, name: str, kernel: str, memory: int = 128,
             vcpus: int = 1, **hv: Any) -> Any:
    """A Ganeti instance object as the node daemon gets it: one bridged
    NIC, Ganeti's default parameters otherwise."""
    c = g.constants
    nic = g.objects.NIC(mac="aa:00:00:%02x:%02x:%02x" % tuple(
                            uuid.uuid4().bytes[:3]),
                        ip=None, name=None, netinfo=None,
                        uuid=str(uuid.uuid4()),
                        nicparams={c.NIC_MODE: c.NIC_MODE_BRIDGED,
                                   c.NIC_LINK: "xen-br0", c.NIC_VLAN: ""})
    beparams = dict(c.BEC_DEFAULTS)
    beparams.update({c.BE_MAXMEM: memory, c.BE_MINMEM: memory,
                     c.BE_VCPUS: vcpus})
    return g.objects.Instance(name=name, uuid=str(uuid.uuid4()),
                              hypervisor=c.HT_XEN_PVM, tags=set(),
                              hvparams=hvparams(g, kernel, **hv),
                              beparams=beparams, nics=[nic], disks=[])


def block_devices(g: Ganeti, base: Path, name: str) -> list[tuple[Any, str,
                                                                  Any]]:
    """One read-write LVM-style disk, as (config disk, device path, uri);
    the path is a small file (the simulator takes any existing path)."""
    c = g.constants
    path = base / f"{name}.disk0"
    path.write_bytes(b"\0" * 65536)
    disk = g.objects.Disk(dev_type=c.DT_PLAIN, mode=c.DISK_RDWR,
                          logical_id=("xenvg", f"{name}.disk0"))
    return [(disk, str(path), None)]

