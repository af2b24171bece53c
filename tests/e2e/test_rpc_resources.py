"""xend's memory and descriptors stay flat over 10,000 RPC calls.

A real xend process on the simulator gets a mix of good calls (queries,
pause/unpause, memory and scheduler changes, a checkpoint save into a
passed file) and bad ones (unknown domains, wrong types, bad JSON, deep
nesting, missing or surplus descriptors, a restore from garbage), over
connections that are opened and closed as it goes.  After a warm-up,
/proc/PID/status VmRSS and /proc/PID/fd are read before and after.
"""

from __future__ import annotations

import array
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.bootfiles import KERNEL
from tests.e2e.conftest import XendEnv

CALLS = 10_000
WARMUP = 1_000
PER_CONNECTION = 250
RSS_SLACK_KIB = 8 * 1024


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Caller:
    """Raw frames over one connection at a time; counts the outcomes."""

    def __init__(self, path: str, tmp: Path) -> None:
        self.path = path
        self.tmp = tmp
        self.sock: socket.socket | None = None
        self.requests = self.crashes = self.internal = self.ok = 0
        self.errors = 0
        self.sent_on_connection = 0

    def _connection(self) -> socket.socket:
        if self.sock is None or self.sent_on_connection >= PER_CONNECTION:
            self.close()
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(30)
            self.sock.connect(self.path)
            self.sent_on_connection = 0
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def frame(self, body: bytes, fds: list[int] | None = None) -> None:
        sock = self._connection()
        self.sent_on_connection += 1
        self.requests += 1
        data = len(body).to_bytes(4, "big") + body
        if fds:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    array.array("i", fds).tobytes())]
            sent = sock.sendmsg([data[:1]], anc)
            sock.sendall(data[sent:])
        else:
            sock.sendall(data)
        reply = self._reply(sock)
        if reply is None:
            self.crashes += 1
            self.close()
        elif "error" not in reply:
            self.ok += 1
        elif reply["error"].get("code") == 1:
            self.internal += 1
        else:
            self.errors += 1

    @staticmethod
    def _reply(sock: socket.socket) -> dict[str, Any] | None:
        buf = b""
        need = 4
        length = None
        while len(buf) < need:
            chunk = sock.recv(need - len(buf))
            if not chunk:
                return None
            buf += chunk
            if length is None and len(buf) == 4:
                length = int.from_bytes(buf, "big")
                need = 4 + length
        return json.loads(buf[4:])

    def call(self, method: str, *params: Any, fds: list[int] | None = None,
             **extra: Any) -> None:
        msg = {"jsonrpc": "2.0", "method": method, "params": list(params),
               "id": self.requests + 1, **extra}
        if fds:
            msg["fds"] = len(fds)
        self.frame(json.dumps(msg).encode(), fds)

    def with_file(self, method: str, *params: Any, mode: int,
                  content: bytes = b"", count: int = 1) -> None:
        path = self.tmp / "io.img"
        path.write_bytes(content)
        fds = [os.open(path, mode) for _ in range(count)]
        try:
            self.call(method, *params, fds=fds)
        finally:
            for fd in fds:
                os.close(fd)

    def one(self, n: int) -> None:
        """The n-th call of the mix: two good calls to one bad one."""
        kind = n % 24
        if kind == 0:
            self.call("xend.version")
        elif kind == 1:
            self.call("xend.domains_with_state", True, "all", n % 48 == 1)
        elif kind == 2:
            self.call("xend.domain", "web1", True)
        elif kind == 3:
            self.call("xend.domain.getVCPUInfo", "web1")
        elif kind == 4:
            self.call("xend.domain.pause", "web1")
        elif kind == 5:
            self.call("xend.domain.unpause", "web1")
        elif kind == 6:
            self.call("xend.domain.setMemoryTarget", "web1", 64 + n % 64)
        elif kind == 7:
            self.call("xend.domain.sched_credit_set", "web1", 128 + n % 128,
                      None)
        elif kind == 8:
            self.call("xend.node.info")
        elif kind == 9:
            self.call("xend.domain.getDeviceSxprs", "web1", "vbd")
        elif kind == 10:
            self.call("xend.domain.sched_credit_get", "web1")
        elif kind == 11:
            self.call("xend.domain.pincpu", "web1", 0, "0-1")
        elif kind == 12:
            self.call("xend.domain", "nosuch")
        elif kind == 13:
            self.call("xend.domain.setMemoryTarget", "web1", "lots")
        elif kind == 14:
            self.frame(b'{"jsonrpc":"2.0","method":')
        elif kind == 15:
            self.frame(b"[" * 10_000)
        elif kind == 16:
            self.call("xend.domain", "²")
        elif kind == 17:
            self.call("xend.domain.create", {"name": "bad", "disks": [
                {"uname": 5, "dev": "xvdb", "mode": "w"}]})
        elif kind == 18:
            self.with_file("xend.domain.restore", False, mode=os.O_RDONLY,
                           content=os.urandom(64))
        elif kind == 19:
            self.with_file("xend.domain.save", "web1", True,
                           mode=os.O_WRONLY, count=2)    # surplus fd
        elif kind == 20:
            self.call("xend.domain.send_trigger", "web1", "nmi", 10**30)
        elif kind == 21:
            self.call("xend.no.such.method")
        elif kind == 22:
            self.with_file("xend.version", mode=os.O_RDONLY)  # unasked fd
        else:
            self.call("xend.domain.pincpu", "web1", 7, None)


def server_connections(path: str) -> int:
    """Sockets bound to *path* (the listening one and each accepted
    connection xend still holds), from /proc/net/unix."""
    with open("/proc/net/unix") as f:
        return sum(1 for line in f if line.split()[-1] == path)


@pytest.fixture
def xend_shm(tmp_path: Path):
    """xend on the simulator, its state on tmpfs when there is one (the
    simulator fsyncs on every change; that is not what is measured)."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(
            dir=shm if os.access(shm, os.W_OK) else tmp_path) as d:
        env = XendEnv(Path(d))
        env.start()
        try:
            yield env
        finally:
            if env.pid() is not None:
                env.xend("stop")
        assert "Traceback" not in env.log(), env.log()


def test_rss_and_fds_stay_flat(xend_shm: XendEnv, tmp_path: Path) -> None:
    from xm.client import XendClient
    xend_env = xend_shm
    with XendClient(xend_env.socket) as client:
        client.call("xend.domain.create", {
            "name": "web1", "kernel": KERNEL, "memory": 128,
            "maxmem": 256, "vcpus": 2,
            "disks": [{"uname": "phy:/dev/loop0", "dev": "xvda",
                       "mode": "w"}]})
    pid = xend_env.pid()
    assert pid is not None
    caller = Caller(xend_env.socket, tmp_path)
    for n in range(WARMUP):
        caller.one(n)
    caller.close()
    # figures are read once xend has closed its end of every connection
    xend_env.wait_for(lambda: server_connections(xend_env.socket) == 1)
    rss_before, fds_before = rss_kib(pid), fd_count(pid)
    for n in range(CALLS):
        caller.one(n)
    caller.close()
    xend_env.wait_for(lambda: server_connections(xend_env.socket) == 1)
    rss_after, fds_after = rss_kib(pid), fd_count(pid)
    print(f"\nrequests {caller.requests} (ok {caller.ok}, errors "
          f"{caller.errors}), crashes {caller.crashes}, internal errors "
          f"{caller.internal}; RSS {rss_before} -> {rss_after} KiB, "
          f"fds {fds_before} -> {fds_after}")
    assert caller.crashes == 0
    assert caller.internal == 0
    assert fds_after == fds_before
    assert rss_after - rss_before < RSS_SLACK_KIB
