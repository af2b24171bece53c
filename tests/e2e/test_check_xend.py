"""check_xend, the Nagios/Icinga plugin, as a process against the real xend
on the simulator (and against stand-in sockets for the failures a real
xend cannot be made to show: one that never answers, one that refuses the
peer).  Every run must print one status line (plus ``-vv``'s extra lines)
with well-formed performance data, exit with the state it names, and never
show a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.conftest import ROOT, Result, XendEnv, basic_config
from xend.rpc import protocol

STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
LINE = re.compile(r"XEND (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)"
                  r"(?: \| ([^\n]+))?")
NUM = r"-?[0-9.]+"
RANGE = r"@?(?:~|-?[0-9.]+)?:?(?:-?[0-9.]+)?"
PERF = re.compile(rf"'([^'=]+)'=({NUM})([a-zA-Z%]*)"
                  rf"(?:;({RANGE})(?:;({RANGE})(?:;({NUM})?(?:;({NUM}))?)?)?)?")


class Check:
    """One check_xend run, its status line taken apart."""

    def __init__(self, res: Result, seconds: float) -> None:
        self.rc, self.out, self.err, self.seconds = (res.rc, res.out,
                                                     res.err, seconds)
        assert self.err == "" and "Traceback" not in self.out, self.out
        first = self.out.split("\n")[0]
        m = LINE.fullmatch(first)
        assert m is not None, self.out
        self.state, self.text, perf = m.group(1), m.group(2), m.group(3)
        assert STATES[self.state] == self.rc, self.out
        self.perf: dict[str, tuple[str, ...]] = {}
        for item in (perf or "").split():
            pm = PERF.fullmatch(item)
            assert pm is not None, f"bad perfdata {item!r} in {first!r}"
            self.perf[pm.group(1)] = tuple(g or "" for g in pm.groups()[1:])

    def value(self, label: str) -> float:
        return float(self.perf[label][0])


def check(env: XendEnv, *args: str) -> Check:
    started = time.monotonic()
    res = env.run(sys.executable, "-m", "xm.check_xend", *args)
    check = Check(res, time.monotonic() - started)
    if not any(a.startswith("-vv") for a in args):
        assert check.out.count("\n") == 1, check.out      # one line
    return check


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XendEnv]:
    """One xend: run1 running, paused1 paused (created -p), halted1
    managed and not started."""
    env = XendEnv(tmp_path_factory.mktemp("check_xend"))
    env.start()
    for name in ("run1", "paused1", "halted1"):
        env.write_config(name, basic_config(name))
    env.ok("create", "run1")
    env.ok("create", "-p", "paused1")
    env.ok("new", "halted1")
    yield env
    env.xend("stop")
    assert "Traceback" not in env.log(), env.log()


def xm_info(env: XendEnv) -> dict[str, str]:
    rows = (line.split(":", 1) for line in env.ok("info").splitlines())
    return {k.strip(): v.strip() for k, v in rows}


# -- domains ---------------------------------------------------------------
def test_ok_with_the_expected_domains_running(env: XendEnv):
    c = check(env, "-d", "run1,Domain-0")
    assert c.state == "OK"
    assert c.text.startswith("3 domains (1 paused), all 2 expected running, ")
    ids = [i for i in env.domids().values() if i]
    assert c.value("domains") == len(ids) == 3
    assert c.value("paused") == 1
    assert c.perf["domains"][1:] == ("", "", "", "0", "")
    assert set(c.perf) == {"domains", "paused", "free_memory", "load1",
                           "load5", "load15", "time"}


def test_domains_by_id_and_uuid(env: XendEnv):
    domid = env.domids()["run1"]
    uuid = re.search(r"\(uuid ([0-9a-f-]{36})\)",
                     env.ok("list", "-l", "run1")).group(1)
    assert check(env, "-d", domid, "-d", uuid).state == "OK"


def test_missing_and_halted_domains_are_critical(env: XendEnv):
    c = check(env, "-d", "run1", "-d", "ghost,halted1")
    assert c.state == "CRITICAL"
    assert c.text == "domains not running: ghost (missing), halted1 (halted)"
    assert c.value("domains") == 3         # the perfdata is still there


def test_paused_domain_is_warning(env: XendEnv):
    c = check(env, "-d", "run1,paused1")
    assert (c.state, c.text) == ("WARNING", "domain paused: paused1")
    c = check(env, "-v", "-d", "run1,paused1")
    assert c.text.endswith(" - run1 blocked, paused1 paused")


def test_paused_by_admin_then_unpaused(env: XendEnv):
    env.write_config("adm", basic_config("adm"))
    env.ok("create", "adm")
    try:
        env.ok("pause", "adm")
        c = check(env, "-v", "-d", "adm")
        assert c.state == "WARNING" and c.text.endswith(
            " - adm paused by admin")
        env.ok("unpause", "adm")
        assert check(env, "-d", "adm").state == "OK"
        env.ok("destroy", "adm")
        c = check(env, "-d", "adm")
        assert (c.state, c.text) == ("CRITICAL",
                                     "domain not running: adm (missing)")
    finally:
        env.xm("destroy", "adm")


# -- free memory -------------------------------------------------------------
def test_free_memory_is_xm_infos(env: XendEnv):
    info = xm_info(env)
    c = check(env, "-w", "1024", "-c", "512")
    assert c.state == "OK"
    assert c.perf["free_memory"] == (info["free_memory"], "MB", "1024:",
                                     "512:", "0", info["total_memory"])
    assert f"{info['free_memory']} MiB free" in c.text


def test_free_memory_thresholds_trip(env: XendEnv):
    free = int(xm_info(env)["free_memory"])
    c = check(env, "-w", str(free + 1))
    assert (c.state, c.text) == (
        "WARNING", f"free memory {free} MiB (warning: < {free + 1})")
    c = check(env, "--mem-warn", str(free + 100), "--mem-crit", str(free + 1))
    assert (c.state, c.text) == (
        "CRITICAL", f"free memory {free} MiB (critical: < {free + 1})")
    assert check(env, "-w", str(free), "-c", str(free - 1)).state == "OK"
    # The standard range syntax is taken as it is.
    c = check(env, "-c", f"@0:{free}")
    assert c.state == "CRITICAL" and c.perf["free_memory"][3] == f"@{free}"
    assert check(env, "-w", f"~:{free - 1}").state == "WARNING"


# -- dom0 load ---------------------------------------------------------------
def test_load_thresholds(env: XendEnv):
    c = check(env, "--load-warn", "100000", "--load-crit", "200000")
    assert c.state == "OK" and c.value("load1") >= 0
    assert c.perf["load1"][1:5] == ("", "100000", "200000", "0")
    assert c.perf["load5"][1:] == ("", "", "", "0", "")
    # "@0:" alerts on any load there can be.
    c = check(env, "--load-warn", "@0:")
    assert c.state == "WARNING" and re.fullmatch(
        r"load [0-9]+\.[0-9]{2} \(warning: >= 0\)", c.text), c.text
    assert check(env, "--load-warn", "@0:", "--load-crit", "@0:").state == \
        "CRITICAL"


def test_very_verbose_adds_lines(env: XendEnv):
    c = check(env, "-vv", "-d", "run1")
    lines = c.out.splitlines()
    assert lines[1:3] == [f"socket: {env.socket}",
                          "timeout: 10 s, then CRITICAL"]
    assert any(re.fullmatch(r"domain run1: id \d+, state '-b----' "
                            r"\(blocked\)", line) for line in lines)


def test_socket_option_overrides_xm_server(env: XendEnv, tmp_path: Path):
    saved = env.env["XM_SERVER"]
    env.env["XM_SERVER"] = f"unix://{tmp_path}/nothing.sock"
    try:
        assert check(env).state == "CRITICAL"
        assert check(env, "-S", env.socket).state == "OK"
        assert check(env, "--socket", f"unix://{env.socket}").state == "OK"
    finally:
        env.env["XM_SERVER"] = saved


# -- bad arguments -----------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["--bogus"], ["-w", "plenty"], ["-t", "0"], ["-t", "1:LOUD"],
    ["stray"], ["--load-crit", "9:1"], ["-d", ""],
])
def test_bad_arguments_are_unknown(env: XendEnv, args: list[str]):
    c = check(env, *args)
    assert c.state == "UNKNOWN" and "Usage: check_xend" in c.text
    assert c.perf == {}


def test_help_and_version(env: XendEnv):
    res = env.run(sys.executable, "-m", "xm.check_xend", "--help")
    assert res.rc == 3 and "--mem-crit" in res.out and res.err == ""
    res = env.run(sys.executable, "-m", "xm.check_xend", "-V")
    assert (res.rc, res.out) == (3, "check_xend 0.1.0\n")


# -- xend down -----------------------------------------------------------------
def test_stopped_xend_is_critical(xend_env: XendEnv):
    assert check(xend_env).state == "OK"
    xend_env.stop()
    c = check(xend_env)
    assert (c.state, c.text) == (
        "CRITICAL", "xend not answering: No such file or directory")


def test_killed_xend_is_critical(xend_env: XendEnv):
    pid = xend_env.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    xend_env.wait_for(lambda: not Path(f"/proc/{pid}").exists()
                      or "zombie" in Path(f"/proc/{pid}/status").read_text()
                      .lower())
    c = check(xend_env)           # its socket file is still there
    assert (c.state, c.text) == (
        "CRITICAL", "xend not answering: Connection refused")
    (xend_env.base / "run" / "xend.pid").unlink()


# -- stand-in sockets ----------------------------------------------------------
class StandIn:
    """A Unix socket that accepts connections and treats each with
    *serve* (in a thread), holding them open until the test ends."""

    def __init__(self, path: Path, serve) -> None:
        self.path = str(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(8)
        self.conns: list[socket.socket] = []
        self.serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.serve(conn)

    def close(self) -> None:
        self.listener.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def stand_in():
    made: list[StandIn] = []
    # Short: a Unix socket's path has to fit in 108 bytes.
    base = Path(tempfile.mkdtemp(prefix="check_xend-"))

    def make(serve) -> StandIn:
        made.append(StandIn(base / f"s{len(made)}.sock", serve))
        return made[-1]
    yield make
    for s in made:
        s.close()
    shutil.rmtree(base)


@pytest.mark.parametrize("extra,state", [([], "CRITICAL"),
                                         (["-t", "1:UNKNOWN"], "UNKNOWN"),
                                         (["-t", "1:warning"], "WARNING")])
def test_xend_that_never_answers_times_out(tmp_path: Path, stand_in,
                                           extra: list[str], state: str):
    silent = stand_in(lambda conn: None)     # accepts, reads nothing
    env = XendEnv(tmp_path)
    c = check(env, "-S", silent.path, "-t", "1", *extra)
    assert (c.state, c.text) == (state,
                                 "xend not answering: no reply within 1 s")
    assert silent.conns                    # it did connect
    assert 1.0 <= c.seconds < 2.5, c.seconds


def test_refused_peer_is_unknown(tmp_path: Path, stand_in):
    """What xend sends a peer that is not root (server.py, SO_PEERCRED)."""
    def refuse(conn: socket.socket) -> None:
        conn.sendall(protocol.encode_error(
            None, 11, "permission denied: xend accepts requests from root "
            "only", {"type": "PermissionDenied"}))
    c = check(XendEnv(tmp_path), "-S", stand_in(refuse).path)
    assert (c.state, c.text) == (
        "UNKNOWN", "cannot ask xend: permission denied (xend answers root "
        "only)")


def test_connection_closed_without_a_reply_is_critical(tmp_path: Path,
                                                       stand_in):
    def read_and_close(conn: socket.socket) -> None:
        conn.recv(65536)            # the whole request, then no reply
        conn.close()
    c = check(XendEnv(tmp_path), "-S", stand_in(read_and_close).path)
    assert (c.state, c.text) == ("CRITICAL",
                                 "xend not answering: Connection closed.")


def test_garbage_reply_is_critical(tmp_path: Path, stand_in):
    c = check(XendEnv(tmp_path), "-S",
              stand_in(lambda c: c.sendall(b"\xff" * 8)).path)
    assert (c.state, c.text) == ("CRITICAL",
                                 "xend not answering: Invalid reply.")


# -- start-up cost -----------------------------------------------------------
HEAVY = ("click", "argparse", "dataclasses", "inspect", "ast", "asyncio",
         "concurrent", "lxml", "psutil", "cffi", "pyxs", "xend.hv",
         "xend.model", "xend.domains", "xend.daemon", "xend.xs",
         "xend.rpc.api", "xend.rpc.server", "xenstore", "bindings",
         "xm.commands", "xm.cli", "xm.config", "xm.helptext")


def test_imports_nothing_heavy(env: XendEnv):
    code = ("import atexit, json, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write("
            "'MODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
            "sys.argv = ['check_xend', '-d', 'run1']\n"
            "runpy.run_module('xm.check_xend', run_name='__main__', "
            "alter_sys=True)\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env.env,
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout.startswith("XEND OK - ")
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")]
    modules = json.loads(line[0][len("MODULES "):])
    heavy = [m for m in modules
             if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
