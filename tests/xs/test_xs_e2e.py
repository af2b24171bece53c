"""End to end: the real xend on the simulator, its embedded xenstored, and
Debian's xenstore-* tools (xenstore-utils) pointed at it with XENSTORED_PATH.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import Result, XendEnv, basic_config

TOOLS = ("xenstore-ls", "xenstore-read", "xenstore-write", "xenstore-rm",
         "xenstore-watch", "xenstore-chmod")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="xenstore-utils is not installed")

DISK = "disk = ['phy:/dev/vg/web1,xvda,w']\nvif = ['bridge=xenbr0']\n"


class XsEnv(XendEnv):
    """An xend whose embedded xenstored listens on ``xs_socket``."""

    def __init__(self, base: Path, xs_socket: str, **keys: int | str) -> None:
        super().__init__(base, xenstored_socket=xs_socket, **keys)
        self.xs_socket = xs_socket
        self.env["XENSTORED_PATH"] = xs_socket

    def xs(self, tool: str, *args: str) -> Result:
        return self.run(tool, *args, timeout=10)

    def read(self, path: str) -> str | None:
        res = self.xs("xenstore-read", path)
        return res.out.rstrip("\n") if res.rc == 0 else None

    def ls(self, path: str = "/") -> dict[str, str]:
        """``xenstore-ls -fp`` as {path: 'value   (perms)'}."""
        res = self.xs("xenstore-ls", "-fp", path)
        assert res.rc == 0, res.err
        rows = {}
        for line in res.out.splitlines():
            key, _, rest = line.partition(" = ")
            rows[key] = rest
        return rows

    def domid(self, name: str) -> int:
        return int(self.ok("domid", name).strip())

    def create(self, name: str, memory: int = 128, **extra: object) -> int:
        path = self.write_config(f"{name}.cfg",
                                 basic_config(name, memory, **extra) + DISK)
        self.ok("create", str(path))
        return self.domid(name)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # Unix socket paths are limited to 107 bytes; pytest's may be longer.
    with tempfile.TemporaryDirectory(prefix="xsd") as d:
        yield Path(d)


@pytest.fixture
def xs_env(tmp_path: Path, short_dir: Path) -> Iterator[XsEnv]:
    env = XsEnv(tmp_path, str(short_dir / "xenstored.sock"))
    env.start()
    yield env
    if env.pid() is not None:
        env.xend("stop")
    assert "Traceback" not in env.log(), env.log()


def test_standard_layout_of_every_domain(xs_env: XsEnv) -> None:
    domid = xs_env.create("web1", memory=256, maxmem=512, vcpus=2)
    tree = xs_env.ls()
    home = f"/local/domain/{domid}"
    vm = tree[f"{home}/vm"].split('"')[1]
    for key in ("name", "domid", "vm", "memory/target", "memory/static-max",
                "cpu/0/availability", "cpu/1/availability",
                "control/shutdown",
                "control/platform-feature-xs_reset_watches",
                "console/limit", "console/type", "console/port",
                "device/vbd/51712/backend", "device/vif/0/mac",
                "description", "store/port"):
        assert f"{home}/{key}" in tree, key
    assert tree[f"{home}/name"].startswith('"web1"')
    assert tree[f"{home}/memory/target"].startswith('"262144"')
    for key in ("backend/vbd", "backend/vif", "backend/console"):
        assert f"/local/domain/0/{key}/{domid}/0" in tree or \
            f"/local/domain/0/{key}/{domid}/51712" in tree, key
    for key in ("uuid", "name", "start_time", "image", "image/ostype",
                "vcpus", "vcpu_avail", "maxmem", "shadow_memory",
                "on_poweroff", "on_reboot", "on_crash", "on_xend_start",
                "on_xend_stop", "bootloader", "bootloader_args", "pool_name",
                "xend/restart_count"):
        assert f"{vm}/{key}" in tree, key
    assert xs_env.read(f"{vm}/maxmem") == "512"
    assert xs_env.read(f"{vm}/vcpus") == "2"
    # Domain-0's basics.
    assert xs_env.read("/local/domain/0/name") == "Domain-0"
    assert xs_env.read("/local/domain/0/domid") == "0"
    assert xs_env.read("/local/domain/0/memory/target") is not None
    # The other tools work too.
    assert xs_env.xs("xenstore-write", "/tool/t/x", "1").rc == 0
    assert xs_env.xs("xenstore-chmod", "/tool/t/x", "n0", "r1").rc == 0
    assert "(n0,r1)" in xs_env.ls("/tool/t")["/tool/t/x"]
    assert xs_env.xs("xenstore-rm", "/tool/t").rc == 0
    assert xs_env.read("/tool/t/x") is None


def test_xm_changes_show_in_the_store(xs_env: XsEnv) -> None:
    domid = xs_env.create("web1", memory=256, maxmem=512, vcpus=2)
    home = f"/local/domain/{domid}"
    vm = xs_env.read(f"{home}/vm")
    assert vm is not None
    xs_env.ok("mem-set", "web1", "200")
    assert xs_env.read(f"{home}/memory/target") == str(200 * 1024)
    assert xs_env.read(f"{vm}/memory") == "200"       # libxl writes it
    xs_env.ok("vcpu-set", "web1", "1")
    assert xs_env.read(f"{home}/cpu/1/availability") == "offline"
    assert xs_env.read(f"{vm}/vcpu_avail") == "1"
    xs_env.ok("rename", "web1", "web2")
    assert xs_env.read(f"{home}/name") == "web2"
    assert xs_env.read(f"{vm}/name") == "web2"
    before = xs_env.ls()
    xs_env.ok("pause", "web2")          # Xen's business: no key changes
    assert xs_env.ls() == before
    xs_env.ok("unpause", "web2")
    watch = subprocess.Popen(
        ["xenstore-watch", "-n", "3", f"{home}/control/shutdown"],
        env=xs_env.env, stdout=subprocess.PIPE, text=True)
    try:
        assert watch.stdout is not None
        ready, _, _ = select.select([watch.stdout], [], [], 10)
        assert ready, "xenstore-watch gave no initial event"
        first = watch.stdout.readline()
        xs_env.ok("shutdown", "-w", "web2")
        out, _ = watch.communicate(timeout=10)
    finally:
        watch.kill()
    # The initial event; poweroff written by libxl; the guest's ack.
    assert (first + out).count(f"{home}/control/shutdown") == 3
    assert xs_env.read(home) is None and xs_env.read(vm) is None


def test_control_shutdown_written_by_a_tool_applies_on_poweroff(
        xs_env: XsEnv) -> None:
    keep = xs_env.create("keep", on_poweroff="restart")
    gone = xs_env.create("gone", on_poweroff="destroy")
    vm = xs_env.read(f"/local/domain/{keep}/vm")
    assert vm is not None
    for domid in (keep, gone):
        res = xs_env.xs("xenstore-write",
                        f"/local/domain/{domid}/control/shutdown", "poweroff")
        assert res.rc == 0, res.err
    xs_env.wait_for(lambda: "gone" not in xs_env.domids()
                    and xs_env.domids().get("keep") not in (None, str(keep)))
    new = xs_env.domid("keep")
    assert new != keep
    assert xs_env.read(f"/local/domain/{keep}") is None
    assert xs_env.read(f"/local/domain/{gone}") is None
    assert xs_env.read(f"/local/domain/{new}/vm") == vm
    assert xs_env.read(f"{vm}/xend/restart_count") == "1"


def test_same_tree_after_xend_restart(xs_env: XsEnv) -> None:
    domid = xs_env.create("web1", memory=256, maxmem=512, vcpus=2)
    xs_env.create("web2")
    xs_env.ok("mem-set", "web1", "300")
    xs_env.ok("vcpu-set", "web1", "1")
    xs_env.ok("rename", "web2", "web3")
    xs_env.ok("pause", "web3")
    xs_env.ok("sysrq", "web1", "s")
    before = xs_env.ls()
    xs_env.stop()
    assert not os.path.exists(xs_env.xs_socket)     # stopped cleanly
    xs_env.start()
    after = xs_env.ls()
    # The same nodes, values and permissions (sibling order may differ for
    # keys written late in a domain's life, e.g. /vm/<uuid>/memory).
    assert after == before
    # and the guests still answer to control/shutdown
    xs_env.xs("xenstore-write", f"/local/domain/{domid}/control/shutdown",
              "poweroff")
    xs_env.wait_for(lambda: "web1" not in xs_env.domids())


def test_default_socket_and_no_takeover(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="xsd") as short:
        first = XendEnv(Path(short))        # no (xenstored-socket ...)
        first.start()
        try:
            default = Path(short) / "run" / "xenstored" / "socket"
            assert default.is_socket()
            second = XsEnv(tmp_path, str(default))
            res = second.xend("start")
            assert res.rc != 0
            assert "already listens" in res.err
            assert default.is_socket()      # still the first one's
        finally:
            first.stop()
        assert not default.exists()
