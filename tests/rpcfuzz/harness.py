"""An in-process xend for fuzzing: the simulator, the domain manager, the
real registry and the real RPC server on a Unix socket in a thread.

Requests are sent as raw frames (any JSON text, NaN and Infinity included,
optionally with file descriptors), so the fuzzer reaches the protocol layer
exactly as a hostile client would.  Every "internal error" the server logs
is recorded with the innermost traceback frame, which names its cause.
"""

from __future__ import annotations

import array
import asyncio
import json
import logging
import os
import socket
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xend.domains.manager import DomainManager
from xend.domains.table import DomainTable
from xend.hv.base import DomainEvent
from xend.hv.sim import SimHypervisor
from xend.rpc.handlers import build_registry
from xend.rpc.server import RpcServer

REPLY_TIMEOUT = 30.0


@dataclass
class Failure:
    """One internal error: where it was raised and what it said."""

    where: str               # "file.py:123 in func" of the innermost frame
    exc_type: str
    message: str


class _Catcher(logging.Handler):
    """Collects the exceptions the RPC server logs as internal errors."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.failures: list[Failure] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        exc = record.exc_info[1]
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if "/xend/" in f.filename
                or "/xm/" in f.filename] or frames
        last = ours[-1] if ours else None
        where = (f"{Path(last.filename).name}:{last.lineno} in {last.name}"
                 if last else "?")
        self.failures.append(Failure(where, type(exc).__name__,
                                     str(exc)[:200]))


@dataclass
class FuzzDaemon:
    """xend's services wired as :mod:`xend.daemon.main` wires them."""

    base: Path
    scheduler: str = "credit"
    hv: SimHypervisor = field(init=False)
    manager: DomainManager = field(init=False)
    socket_path: str = field(init=False)

    def __post_init__(self) -> None:
        self.hv = SimHypervisor(state_dir=str(self.base / "state"),
                                host_memory_mib=8192, host_cpus=4,
                                scheduler=self.scheduler,
                                guest_shutdown_delay=0.0)
        table = DomainTable(str(self.base / "domains"),
                            str(self.base / "state"))
        self.manager = DomainManager(self.hv, table,
                                     dump_path=str(self.base / "dump"))
        self.manager.attach()
        self.hv.watch_events(self._on_event)
        registry = build_registry(self.manager,
                                  log_path=str(self.base / "xend.log"),
                                  hypervisor=self.hv.kind)
        assert not registry.missing()
        self.socket_path = str(self.base / "xend.sock")
        self.catcher = _Catcher()
        self._rpc_log = logging.getLogger("xend.rpc")
        self._rpc_log.addHandler(self.catcher)
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="fuzz-op")
        self.server = RpcServer(self.socket_path, registry, self.executor)
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True,
                                       name="fuzz-rpc")
        self.thread.start()
        if not started.wait(10):
            raise RuntimeError("the RPC server did not start")

    def _on_event(self, event: DomainEvent) -> None:
        self.executor.submit(self.manager.handle_event, event)

    def alive(self) -> bool:
        return self.thread.is_alive() and self.loop.is_running()

    def close(self) -> None:
        fut = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        fut.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.executor.shutdown(wait=True)
        self._rpc_log.removeHandler(self.catcher)
        self.hv.close()


class RawClient:
    """One connection sending frames of arbitrary JSON text."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self.sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(REPLY_TIMEOUT)
            sock.connect(self.path)
            self.sock = sock
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, body: bytes, fds: list[int] | None = None
             ) -> dict[str, Any] | None:
        """Send one frame; the decoded reply, or None if the server
        closed the connection without one."""
        sock = self._connect()
        data = len(body).to_bytes(4, "big") + body
        try:
            if fds:
                anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                        array.array("i", fds).tobytes())]
                sent = sock.sendmsg([data[:1]], anc)
                sock.sendall(data[sent:])
            else:
                sock.sendall(data)
            header = self._recv(sock, 4)
            if header is None:
                self.close()
                return None
            reply = self._recv(sock, int.from_bytes(header, "big"))
        except (BrokenPipeError, ConnectionResetError):
            self.close()
            return None
        if reply is None:
            self.close()
            return None
        obj = json.loads(reply)
        assert isinstance(obj, dict), obj
        return obj

    @staticmethod
    def _recv(sock: socket.socket, n: int) -> bytes | None:
        chunks = []
        while n:
            chunk = sock.recv(min(n, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)


def close_fds(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
