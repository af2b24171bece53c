"""Start :mod:`tests.migrate.cutproxy` in a namespace and read its report.

::

    with CutProxy(pair.a, (pair.b.ip, 8002), workdir, cut_after=4096) as proxy:
        a.xm("migrate", "-p", str(proxy.port), "dom", proxy.ip)
        conns = proxy.wait_connections(1)

By default the proxy listens on the target's proxy address (``hostb-proxy``,
10.213.47.12, when the target is b), on a free port.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.migrate.netns import IDENTITIES, NsHost

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ConnReport:
    """One finished (or, after stop(), still open) proxied connection."""

    conn: int        # 1, 2, ... in accept order
    up: int          # bytes forwarded client -> target
    down: int        # bytes forwarded target -> client
    cut: bool
    end: str         # closed | cut | reset | connect-failed | open


def default_listen(host: NsHost, to: tuple[str, int]) -> tuple[str, int]:
    for ident in IDENTITIES:
        if ident.ip == to[0] and ident.label != host.label:
            return ident.proxy_ip, 0
    return host.ip, 0


class CutProxy:
    """The cut proxy as a subprocess in ``host``'s namespace."""

    def __init__(self, host: NsHost, to: tuple[str, int], workdir: Path, *,
                 listen: tuple[str, int] | None = None,
                 cut_after: int | None = None, direction: str = "up",
                 close: str = "rst", cut_every: bool = False,
                 drain_timeout: float = 10.0, record: bool = False) -> None:
        self.host = host
        self.to = to
        self.listen = listen or default_listen(host, to)
        workdir.mkdir(parents=True, exist_ok=True)
        stem = f"cutproxy-{host.label}-{time.monotonic_ns()}"
        self.report_path = workdir / f"{stem}.jsonl"
        self.log_path = workdir / f"{stem}.log"
        self.record_prefix = workdir / stem if record else None
        self.argv = [sys.executable, "-m", "tests.migrate.cutproxy",
                     "--listen", f"{self.listen[0]}:{self.listen[1]}",
                     "--to", f"{to[0]}:{to[1]}", "--direction", direction,
                     "--close", close, "--report", str(self.report_path),
                     "--drain-timeout", str(drain_timeout)]
        if cut_after is not None:
            self.argv += ["--cut-after", str(cut_after)]
        if cut_every:
            self.argv.append("--cut-every")
        if self.record_prefix is not None:
            self.argv += ["--record", str(self.record_prefix)]
        self.proc: subprocess.Popen[bytes] | None = None
        self.ip = self.listen[0]
        self.port = 0

    @property
    def address(self) -> tuple[str, int]:
        return self.ip, self.port

    def start(self, timeout: float = 15.0) -> "CutProxy":
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open(self.log_path, "wb") as log:
            self.proc = self.host.popen(*self.argv, cwd=ROOT, env=env,
                                        stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=log)
        assert self.proc.stdout is not None
        line = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if sel.select(timeout):
                line = self.proc.stdout.readline()
        words = line.decode().split()
        if len(words) != 3 or words[0] != "READY":
            self.stop()
            raise RuntimeError(f"cut proxy did not start: {self.log()}")
        self.ip, self.port = words[1], int(words[2])
        return self

    def connections(self) -> list[ConnReport]:
        """The connections reported so far (those that ended)."""
        try:
            text = self.report_path.read_text()
        except FileNotFoundError:
            return []
        return [ConnReport(**json.loads(line))
                for line in text.splitlines() if line.endswith("}")]

    def wait_connections(self, count: int = 1,
                         timeout: float = 15.0) -> list[ConnReport]:
        """Wait until ``count`` connections have ended; all reported."""
        deadline = time.monotonic() + timeout
        while True:
            conns = self.connections()
            if len(conns) >= count:
                return conns
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"cut proxy: {len(conns)} of {count} connections ended "
                    f"in {timeout} s: {conns}")
            time.sleep(0.02)

    def recorded(self, conn: int = 1) -> tuple[bytes, bytes]:
        """(up, down): the bytes connection ``conn`` forwarded (needs
        ``record=True``; complete once the connection is reported)."""
        assert self.record_prefix is not None, "started without record=True"
        return tuple(  # type: ignore[return-value]
            (self.record_prefix.parent /
             f"{self.record_prefix.name}-{conn}-{d}").read_bytes()
            for d in ("up", "down"))

    def stop(self) -> list[ConnReport]:
        """Stop the proxy; all connections, still-open ones as ``open``."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.connections()

    def log(self) -> str:
        try:
            return self.log_path.read_text()
        except OSError:
            return ""

    def __enter__(self) -> "CutProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
