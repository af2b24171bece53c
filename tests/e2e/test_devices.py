"""block-*/network-* and xm console against the real xend on the simulator."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.conftest import XendEnv, basic_config
from tests.e2e.ptyio import read_until


@pytest.fixture
def g1(xend_env: XendEnv) -> XendEnv:
    xend_env.write_config("g1", basic_config(
        "g1", disk=["file:/img/g1.img,xvda,w"], vif=["bridge=xenbr0"]))
    xend_env.ok("create", "g1")
    return xend_env


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()[1:]]


def test_block_attach_list_detach(g1: XendEnv):
    out = g1.ok("block-list", "g1")
    assert out.splitlines()[0] == "Vdev  BE handle state evt-ch ring-ref " \
        "BE-path"
    assert [r[0] for r in rows(out)] == ["51712"]
    g1.ok("block-attach", "g1", "phy:/dev/vg/data", "xvdb", "w")
    g1.ok("block-attach", "g1", "tap:qcow2:/img/extra.qcow2", "xvdc", "r")
    listed = rows(g1.ok("block-list", "g1"))
    assert [r[0] for r in listed] == ["51712", "51728", "51744"]
    # scripts read the state as the 4th field
    assert all(r[3] == "4" for r in listed)
    assert listed[1][6] == "/local/domain/0/backend/vbd/1/51728"
    long = g1.ok("block-list", "g1", "-l")
    assert "(51728\n" in long and "(params /dev/vg/data)" in long
    # recorded in the configuration too
    sxp = g1.ok("list", "-l", "g1")
    assert "(uname phy:/dev/vg/data)" in sxp
    # duplicate vdev: a clear error, nothing changed
    res = g1.xm("block-attach", "g1", "phy:/dev/vg/other", "xvdb", "w")
    assert res.rc == 1
    assert res.err.startswith("Error: Device xvdb (51728) is already "
                              "connected.")
    g1.ok("block-detach", "g1", "xvdb")
    g1.ok("block-detach", "g1", "51744", "--force")
    assert [r[0] for r in rows(g1.ok("block-list", "g1"))] == ["51712"]
    assert "/dev/vg/data" not in g1.ok("list", "-l", "g1")
    res = g1.xm("block-detach", "g1", "xvdb")
    assert res.rc == 1 and res.err.startswith("Error: Device xvdb not "
                                              "connected")
    res = g1.xm("block-attach", "g1", "/dev/vg/data", "xvdd", "w")
    assert res.rc == 1 and "type prefix" in res.err
    res = g1.xm("block-attach", "nosuch", "phy:/dev/x", "xvdd", "w")
    assert res.rc == 3
    assert res.err == "Error: Domain 'nosuch' does not exist.\n"


def test_block_list_prints_nothing_without_disks(xend_env: XendEnv):
    xend_env.write_config("bare", basic_config("bare"))
    xend_env.ok("create", "bare")
    assert xend_env.ok("block-list", "bare") == ""
    assert xend_env.ok("network-list", "bare") == ""


def test_network_attach_with_rate_list_detach(g1: XendEnv):
    out = g1.ok("network-list", "g1")
    assert out.splitlines()[0] == ("Idx BE     MAC Addr.     handle state "
                                   "evt-ch tx-/rx-ring-ref BE-path")
    g1.ok("network-attach", "g1", "bridge=xenbr1", "rate=10Mb/s",
          "mac=00:16:3e:00:00:42")
    listed = rows(g1.ok("network-list", "g1"))
    assert [r[0] for r in listed] == ["0", "1"]
    # idx, BE, MAC, handle, state: scripts read the 5th field
    assert listed[1][:5] == ["1", "0", "00:16:3e:00:00:42", "1", "4"]
    long = g1.ok("network-list", "g1", "-l")
    # 10Mb/s is 62500 bytes every 50 ms, as libxl computes it
    assert "(rate '1250000B/s@50000us')" in long
    assert "(rate 10Mb/s)" in g1.ok("list", "-l", "g1")
    res = g1.xm("network-attach", "g1", "speed=fast")
    assert res.rc == 1
    assert res.err.startswith("Error: Invalid argument: speed=fast\nUsage:")
    res = g1.xm("network-attach", "g1", "bridge=")
    assert res.rc == 1 and "Invalid argument: bridge=" in res.err
    res = g1.xm("network-attach", "g1", "rate=fast")
    assert res.rc == 1 and "Invalid vif rate" in res.err
    g1.ok("network-detach", "g1", "00:16:3E:00:00:42")
    assert [r[0] for r in rows(g1.ok("network-list", "g1"))] == ["0"]
    assert "(rate " not in g1.ok("list", "-l", "g1")
    g1.ok("network-detach", "g1", "0", "-f")
    assert g1.ok("network-list", "g1") == ""
    res = g1.xm("network-detach", "g1", "5")
    assert res.rc == 1 and res.err.startswith("Error: Device 5 not connected")


def test_halted_managed_domain_changes_its_config(xend_env: XendEnv):
    env = xend_env
    env.write_config("m1", basic_config("m1",
                                        disk=["phy:/dev/vg/root,xvda,w"]))
    env.ok("new", "m1")
    env.ok("block-attach", "m1", "file:/img/m1-data.img", "xvdb", "w")
    env.ok("network-attach", "m1", "bridge=xenbr0", "rate=1Mb/s")
    listed = rows(env.ok("block-list", "m1"))
    assert [r[0] for r in listed] == ["51712", "51728"]
    assert listed[0][1:4] == ["-1", "0", "-1"]        # not connected
    assert listed[0][6] == "??"
    res = env.xm("block-attach", "m1", "phy:/dev/vg/x", "xvdb", "w")
    assert res.rc == 1 and "already configured" in res.err
    # the attached devices are there when the domain starts
    env.ok("start", "m1")
    assert [r[0] for r in rows(env.ok("block-list", "m1"))] == \
        ["51712", "51728"]
    assert len(rows(env.ok("network-list", "m1"))) == 1
    # detach while running: gone after a restart, too
    env.ok("block-detach", "m1", "xvdb")
    env.ok("shutdown", "-w", "m1")
    env.wait_for(lambda: env.domids().get("m1") == "")
    assert [r[0] for r in rows(env.ok("block-list", "m1"))] == ["51712"]
    env.ok("network-detach", "m1", "0")
    assert env.ok("network-list", "m1") == ""
    res = env.xm("network-detach", "m1", "0")
    assert res.rc == 1 and "not connected" in res.err
    env.ok("start", "m1")
    assert [r[0] for r in rows(env.ok("block-list", "m1"))] == ["51712"]
    assert env.ok("network-list", "m1") == ""
    # hot-plugged while running: still there after a restart of the domain
    # and after a restart of xend
    env.ok("block-attach", "m1", "file:/img/m1-more.img", "xvdc", "r")
    env.ok("network-attach", "m1", "mac=00:16:3e:00:00:07")
    env.stop()
    env.start()
    assert [r[0] for r in rows(env.ok("block-list", "m1"))] == \
        ["51712", "51744"]
    env.ok("shutdown", "-w", "m1")
    env.wait_for(lambda: env.domids().get("m1") == "")
    env.ok("start", "m1")
    assert [r[0] for r in rows(env.ok("block-list", "m1"))] == \
        ["51712", "51744"]
    assert rows(env.ok("network-list", "m1"))[0][2] == "00:16:3e:00:00:07"


def test_console_session_on_a_terminal(g1: XendEnv):
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "xm", "console", "g1"],
                            env=g1.env, stdin=slave, stdout=slave,
                            stderr=subprocess.PIPE, close_fds=True)
    os.close(slave)
    try:
        banner = read_until(master, b"g1 login: ")
        assert b"Linux version" in banner
        os.write(master, b"hello\r")
        read_until(master, b"hello\r\nhello\r\n")
        os.write(master, b"\x1d")
        assert proc.wait(timeout=10) == 0
        assert proc.stderr is not None and proc.stderr.read() == b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_console_with_piped_input(g1: XendEnv):
    proc = subprocess.run([sys.executable, "-m", "xm", "console", "g1"],
                          env=g1.env, input=b"echo-me\n",
                          capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert b"Linux version" in proc.stdout
    assert b"echo-me\r\necho-me\r\n" in proc.stdout


def test_console_errors(xend_env: XendEnv):
    env = xend_env
    res = env.xm("console", "nosuch")
    assert res.rc == 3
    assert res.err == "Error: Domain 'nosuch' does not exist.\n"
    res = env.xm("console", "-q", "nosuch")
    assert (res.rc, res.out, res.err) == (1, "", "")
    env.write_config("m2", basic_config("m2"))
    env.ok("new", "m2")
    res = env.xm("console", "m2")
    assert res.rc == 1 and res.err.startswith("Error: Domain 'm2' is not "
                                              "started")
    res = env.xm("console", "--quiet", "m2")
    assert (res.rc, res.out, res.err) == (1, "", "")
