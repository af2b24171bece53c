"""xm create -c / start -c, and the VNC viewer commands, against the real
xend on the simulator.

The console half runs on a pseudo-terminal, as a user's shell would run
it: xm prints ``Started domain``, the guest's console follows on the same
terminal, and Ctrl-] ends xm with status 0.  The viewer is a script named
by $VNCVIEWER that writes down its arguments and its stdin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import XendEnv, basic_config
from tests.e2e.ptyio import read_until


def on_terminal(env: XendEnv, *args: str) -> tuple[subprocess.Popen[bytes],
                                                     int]:
    """Start ``xm ARGS`` with a pty as its terminal; (process, master)."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "xm", *args],
                            env=env.env, cwd=env.base, stdin=slave,
                            stdout=slave, stderr=subprocess.PIPE,
                            close_fds=True)
    os.close(slave)
    return proc, master


def session(env: XendEnv, name: str, *args: str) -> bytes:
    """Run ``xm ARGS`` on a terminal through a console session: the
    banner, one echoed line, then Ctrl-]; what the terminal showed."""
    proc, master = on_terminal(env, *args)
    try:
        shown = read_until(master, f"{name} login: ".encode())
        os.write(master, b"hi\r")
        shown += read_until(master, b"hi\r\nhi\r\n")
        os.write(master, b"\x1d")
        assert proc.wait(timeout=15) == 0
        assert proc.stderr is not None and proc.stderr.read() == b""
        return shown
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_create_c_shows_the_console_and_ctrl_bracket_leaves(
        xend_env: XendEnv):
    env = xend_env
    env.write_config("c1", basic_config("c1"))
    shown = session(env, "c1", "create", "-c", "c1")
    domid = env.domids()["c1"]
    assert shown.startswith(b'Using config file "./c1".\r\n'
                            b"Started domain c1 (id=" + domid.encode()
                            + b")\r\n")
    assert b"Linux version" in shown
    # leaving the console leaves the domain running
    assert env.ok("domstate", "c1") in ("running\n", "idle\n")


def test_create_pc_attaches_to_the_paused_domain(xend_env: XendEnv):
    env = xend_env
    env.write_config("c2", basic_config("c2"))
    session(env, "c2", "create", "-q", "-p", "-c", "c2")
    assert env.ok("domstate", "c2") == "paused\n"


def test_create_c_that_fails_opens_no_console(xend_env: XendEnv):
    env = xend_env
    env.write_config("c3", basic_config("c3", memory=999999))
    proc, master = on_terminal(env, "create", "-c", "c3")
    try:
        assert proc.wait(timeout=30) == 1
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        assert err.startswith("Error: ") and err.count("\n") == 1, err
    finally:
        os.close(master)
    assert "c3" not in env.domids()


def test_start_c_attaches_to_the_managed_domain(xend_env: XendEnv):
    env = xend_env
    env.write_config("m1", basic_config("m1"))
    env.ok("new", "m1")
    shown = session(env, "m1", "start", "-c", "m1")
    assert b"Linux version" in shown
    assert env.domids()["m1"] != ""


def fake_viewer(env: XendEnv) -> Path:
    """$VNCVIEWER for env's xm runs; returns the file it writes."""
    record = env.base / "viewer.out"
    script = env.base / "fake-vncviewer"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {record}.tmp\n"
                      f"cat >> {record}.tmp\nmv {record}.tmp {record}\n")
    script.chmod(0o755)
    env.env["VNCVIEWER"] = str(script)
    return record


def test_vncviewer_runs_the_viewer_on_the_display(xend_env: XendEnv):
    env = xend_env
    record = fake_viewer(env)
    env.write_config("v1", basic_config(
        "v1", vfb=["vnc=1,vnclisten=0.0.0.0,vncdisplay=2,vncpasswd=pw"]))
    env.write_config("v2", basic_config("v2", vfb=["type=vnc"]))
    env.ok("create", "v1")
    env.ok("create", "v2")
    assert env.ok("vncviewer", "v1") == ""
    assert record.read_text() == "0.0.0.0:2\n"     # stdin: nothing
    record.unlink()
    env.ok("vncviewer", "--autopass", "v1")
    assert record.read_text() == "-autopass 0.0.0.0:2\npw\n"
    record.unlink()
    # libxl's defaults: 127.0.0.1, the first free display from 0
    env.ok("vncviewer", "--autopass", "v2")
    assert record.read_text() == "127.0.0.1:0\n"


def test_vncviewer_errors(xend_env: XendEnv):
    env = xend_env
    fake_viewer(env)
    env.write_config("plain", basic_config("plain"))
    env.ok("create", "plain")
    res = env.xm("vncviewer", "plain")
    assert (res.rc, res.err) == (1, "Error: Domain 'plain' has no VNC "
                                    "display\n")
    res = env.xm("vncviewer", "nosuch")
    assert res.rc == 3
    env.env["VNCVIEWER"] = "no-such-viewer-here"
    res = env.xm("vncviewer", "plain")
    assert res.rc == 1 and res.err.count("\n") == 1
    assert "no-such-viewer-here is not installed" in res.err


def test_create_vncviewer_autopass_starts_the_viewer(xend_env: XendEnv):
    env = xend_env
    record = fake_viewer(env)
    env.write_config("v3", basic_config("v3", vfb=["vnc=1,vncpasswd=x"]))
    out = env.ok("create", "--vncviewer-autopass", "v3")
    assert out.endswith(f"Started domain v3 (id={env.domids()['v3']})\n")
    env.wait_for(record.exists)
    assert record.read_text() == "-autopass 127.0.0.1:0\nx\n"
    # no display: the domain runs, one warning says why no viewer
    env.write_config("plain", basic_config("plain"))
    res = env.xm("create", "--vncviewer", "plain")
    assert res.rc == 0
    assert res.err == ("Warning: no VNC viewer started: Domain 'plain' "
                       "has no VNC display\n")
