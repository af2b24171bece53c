"""The xend command and process: start, status, stop, reload, restart."""

import os
import re
import signal
import socket
import time

from tests.e2e.conftest import XendEnv, basic_config


def test_start_status_stop(make_env):
    env = make_env()
    assert env.xend("status").rc == 3
    env.start()
    pid = env.pid()
    assert pid and os.path.exists(f"/proc/{pid}")
    assert env.xend("status").rc == 0
    assert os.stat(env.socket).st_mode & 0o777 == 0o600
    again = env.xend("start")
    assert again.rc == 0 and "already running" in again.out
    env.stop()
    assert env.xend("status").rc == 3
    assert not os.path.exists(env.socket)
    log = env.log()
    assert "Xend Daemon started" in log
    # 4.4's log line format: [YYYY-MM-DD HH:MM:SS PID] LEVEL (module:line)
    first = next(line for line in log.splitlines()
                 if "Xend Daemon started" in line)
    assert re.match(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d " + str(pid) +
                    r"\] INFO \(main:\d+\) Xend Daemon started", first)


def test_bad_config_fails_start_with_one_line(make_env):
    env = make_env()
    env.config.write_text("(sim-host-cpus lots)\n")
    res = env.xend("start")
    assert res.rc == 1
    assert res.err.startswith("Error: ") and "sim-host-cpus" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert env.xend("status").rc == 4          # LSB: status unknown
    assert env.pid() is None


def test_xm_without_xend(make_env):
    env = make_env()
    res = env.xm("list")
    assert res.rc == 1
    assert res.err.startswith("Error: Unable to connect to xend: ")
    assert "Is xend running?" in res.err
    assert "Traceback" not in res.err


def test_reload_keeps_serving(xend_env: XendEnv):
    xend_env.write_config("r1", basic_config("r1"))
    xend_env.ok("create", "r1")
    assert xend_env.xend("reload").rc == 0
    time.sleep(0.3)
    assert "r1" in xend_env.domids()
    assert "configuration reloaded" in xend_env.log()


def test_sigterm_stops_cleanly(xend_env: XendEnv):
    pid = xend_env.pid()
    os.kill(pid, signal.SIGTERM)
    xend_env.wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                      open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z")
    assert "xend stopped" in xend_env.log()


def test_garbage_on_socket_does_not_kill_xend(xend_env: XendEnv):
    for payload in (b"\x00\x00\x00\x05hello", b"GET / HTTP/1.0\r\n\r\n",
                    b"\xff\xff\xff\xff", b"\x00\x00\x00\x02{}"):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(xend_env.socket)
        sock.sendall(payload)
        sock.settimeout(2)
        try:
            sock.recv(4096)
        except socket.timeout:
            pass
        sock.close()
    assert "Domain-0" in xend_env.ok("list")


def _context_switches(pid: int) -> int:
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches",
                                    "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def test_idle_xend_never_wakes_up(xend_env: XendEnv):
    """No polling anywhere: an idle xend's threads all sleep until asked."""
    xend_env.write_config("idle", basic_config("idle"))
    xend_env.ok("create", "idle")
    pid = xend_env.pid()
    time.sleep(1.0)                      # let the create settle
    before = _context_switches(pid)
    time.sleep(2.0)
    assert _context_switches(pid) - before <= 2
