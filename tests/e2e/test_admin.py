"""xm domstate, dump-core, debug-keys and list --state through the real
xend (on the simulator), with the dump directory from xend-config.sxp."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.conftest import XendEnv, basic_config
from xend.hv.sim.coredump import elf_notes


@pytest.fixture
def env(tmp_path: Path):
    env = XendEnv(tmp_path, xend_dump_path=str(tmp_path / "dumps"))
    env.start()
    yield env
    if env.pid() is not None:
        env.xend("stop")
    assert "Traceback" not in env.log(), env.log()


def test_domstate_through_a_lifecycle(env: XendEnv):
    env.write_config("g", basic_config("g"))
    env.ok("create", "-p", "g")
    assert env.ok("domstate", "g") == "paused\n"
    env.ok("unpause", "g")
    assert env.ok("domstate", "g") == "idle\n"     # the sim shows -b----
    env.ok("pause", "g")
    assert env.ok("domstate", "g") == "paused by admin\n"
    env.ok("unpause", "g")
    assert env.ok("domstate", "Domain-0") == "running\n"
    env.ok("destroy", "g")
    env.ok("new", "g")
    assert env.ok("domstate", "g") == "shutoff\n"
    res = env.xm("domstate", "nope")
    assert (res.rc, res.err) == (3, "Error: Domain 'nope' does not exist.\n")


def test_dump_core_default_path_and_options(env: XendEnv, tmp_path: Path):
    env.write_config("d", basic_config("d"))
    env.ok("create", "d")
    domid = env.domids()["d"]
    assert env.ok("dump-core", "d") == "Dumping core of domain: d ...\n"
    cores = list((tmp_path / "dumps" / "d").iterdir())
    assert len(cores) == 1
    assert re.fullmatch(rf"\d{{4}}-\d{{4}}-\d{{4}}\.\d\d-d\.{domid}\.core",
                        cores[0].name)
    assert elf_notes(cores[0].read_bytes())
    assert env.ok("domstate", "d") == "idle\n"     # unpaused again
    # A relative file name is the caller's, -L leaves it running.
    env.ok("dump-core", "-L", "d", "here.core", cwd=tmp_path)
    assert (tmp_path / "here.core").read_bytes()[:4] == b"\x7fELF"
    # -C: crashed (destroyed) after the dump.
    env.ok("dump-core", "--crash", "d", str(tmp_path / "last.core"))
    assert "d" not in env.domids()
    assert (tmp_path / "last.core").exists()


def test_dump_core_errors(env: XendEnv, tmp_path: Path):
    env.write_config("e", basic_config("e"))
    env.ok("create", "e")
    res = env.xm("dump-core", "-C", "-R", "e")
    assert res.rc == 1 and res.out == ""
    assert res.err.startswith("Error: You may not specify more than one "
                              "'-CR' option\nUsage: xm dump-core")
    res = env.xm("dump-core", "e", str(tmp_path))
    assert res.rc == 1 and "Traceback" not in res.err
    assert res.err.splitlines()[0] == \
        f"Error: Cannot dump core in a directory: {tmp_path}"
    res = env.xm("dump-core", "nope")
    assert res.rc == 3
    assert res.err.splitlines()[-1] == "Error: Domain 'nope' does not exist."
    res = env.xm("dump-core", "Domain-0")
    assert res.rc == 1
    assert res.err.splitlines()[0] == \
        "Error: Cannot dump core for privileged domain Domain-0"
    assert env.ok("domstate", "e") == "idle\n"
    # A PV guest created paused and never run has no memory map to dump.
    env.write_config("u", basic_config("u"))
    env.ok("create", "-p", "u")
    res = env.xm("dump-core", "u", str(tmp_path / "u.core"))
    assert (res.rc, res.out) == (1, "Dumping core of domain: u ...\n")
    assert res.err.splitlines()[0] == (
        "Error: Failed to dump core: cannot dump the core of "
        f"domain {env.domids()['u']}: it is a PV domain that "
        "has never run, and its kernel sets up the memory map "
        "a dump walks (unpause it first)")
    assert not (tmp_path / "u.core").exists()
    assert env.ok("domstate", "u") == "paused\n"


def test_debug_keys_show_in_dmesg(env: XendEnv):
    env.ok("dmesg", "-c")
    assert env.ok("debug-keys", "h") == ""
    out = env.ok("dmesg")
    assert out.startswith("(XEN) 'h' pressed -> showing installed handlers\n")
    assert "(XEN)  key 'q' (ascii '71') => dump domain (and guest debug) " \
        "info\n" in out
    for keys in ("", "a b"):
        res = env.xm("debug-keys", keys)
        assert res.rc == 1 and "Traceback" not in res.err
        assert res.err.startswith("Error: ")
        assert "debug key" in res.err.splitlines()[0]


def test_list_state_filters_as_4_4(env: XendEnv):
    env.write_config("p", basic_config("p"))
    env.ok("create", "-p", "p")
    header = env.ok("list").splitlines()[0]
    assert env.ok("list", "--state=Paused").splitlines()[1].startswith("p ")
    assert env.ok("list", "--state=bogus") == header + "\n"
    assert env.ok("list", "--state=crashed") == header + "\n"
    res = env.xm("list", "--state=paused", "p")
    assert res.rc == 1
    assert res.err.startswith("Error: You may specify either a state or a "
                              "particular VM, but not both")
