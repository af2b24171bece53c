"""A TCP proxy that breaks a connection after exactly N bytes.

The program, run inside a namespace (the test process stays in the root one)::

    ip netns exec NS python -m tests.migrate.cutproxy --listen IP:PORT \\
        --to IP:PORT [--cut-after N] [--direction up|down] [--close rst|fin] \\
        [--cut-every] [--report FILE] [--record PREFIX]

prints ``READY <ip> <port>`` once it listens (PORT 0 picks a free port) and
forwards every connection to ``--to``.  "up" is the connecting side's bytes
(client to target: a migration's stream), "down" the target's replies.

With ``--cut-after N`` the first connection to carry N bytes in the chosen
direction is cut: exactly N bytes are delivered to the other side (the
proxy waits until the peer's kernel has acknowledged them), then both sides
are closed, by RST (``--close rst``, the default: SO_LINGER 0) or by FIN
(``--close fin``: both sides see end-of-file; whatever they still send is
read and dropped).  N = 0 cuts a connection as soon as it is made.  Later
connections pass untouched (the migration's follow-up traffic) unless
``--cut-every`` is given.  Without ``--cut-after`` the proxy only forwards
and counts, which gives a test the real stream's length to choose N from.

``--report FILE`` gets one JSON line per connection when it ends:
``{"conn": 1, "up": 4321, "down": 17, "cut": true, "end": "cut"}``
(``end``: ``closed``, ``cut``, ``reset``, ``connect-failed``, or ``open``
for connections still running when the proxy is stopped with SIGTERM).
``--record PREFIX`` also writes the bytes each connection forwarded to
``PREFIX-<conn>-up`` and ``PREFIX-<conn>-down`` (a test reads a real
stream's layout from them).

:class:`CutProxy` starts the program from a test and reads its report.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import signal
import socket
import struct
import sys
import termios
import time
from typing import Any, BinaryIO, TextIO

FIN_DRAIN_TIMEOUT = 5.0


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected IP:PORT, got '{text}'")
    return host, int(port)


def unsent_bytes(sock: Any) -> int:
    """Bytes in the socket's send queue not yet acknowledged by the peer."""
    raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
    return int(struct.unpack("i", raw)[0])


class Conn:
    """One proxied connection: two pumps, the counts, how it ended."""

    def __init__(self, proxy: "Proxy", number: int,
                 client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 target: tuple[asyncio.StreamReader, asyncio.StreamWriter]
                 ) -> None:
        self.proxy = proxy
        self.number = number
        self.readers = {"up": client[0], "down": target[0]}
        self.writers = {"up": target[1], "down": client[1]}
        self.forwarded = {"up": 0, "down": 0}
        self.cut = False
        self.end = "closed"
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.records: dict[str, BinaryIO] = {}
        if proxy.record_prefix:
            for direction in ("up", "down"):
                self.records[direction] = open(
                    f"{proxy.record_prefix}-{number}-{direction}", "wb")
        for writer in self.writers.values():
            # drain() then waits for an empty buffer, not a low-water mark.
            writer.transport.set_write_buffer_limits(high=0)

    def report(self) -> dict[str, Any]:
        return {"conn": self.number, "up": self.forwarded["up"],
                "down": self.forwarded["down"], "cut": self.cut,
                "end": self.end}

    async def run(self) -> None:
        if self.proxy.room(self.proxy.direction, 0) == 0:
            self.claim_cut()
            await self.finish_cut(self.proxy.direction)
        else:
            for direction in ("up", "down"):
                self.tasks[direction] = asyncio.create_task(
                    self.pump(direction))
            await asyncio.gather(*self.tasks.values(),
                                 return_exceptions=True)
        for writer in self.writers.values():
            if self.end == "reset":
                writer.transport.abort()
            else:
                writer.close()
        for record in self.records.values():
            record.close()

    async def pump(self, direction: str) -> None:
        reader, writer = self.readers[direction], self.writers[direction]
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    if writer.can_write_eof() and not writer.is_closing():
                        writer.write_eof()
                    return
                room = self.proxy.room(direction, self.forwarded[direction])
                cutting = room is not None and len(data) >= room
                if cutting:
                    data = data[:room]
                    self.claim_cut()     # before any await: no other conn
                writer.write(data)
                self.forwarded[direction] += len(data)
                if direction in self.records:
                    self.records[direction].write(data)
                    self.records[direction].flush()
                await writer.drain()
                if cutting:
                    await self.finish_cut(direction)
                    return
        except (ConnectionError, OSError):
            if not self.cut:        # a side reset: pass the reset on
                self.end = "reset"
                self.abort_all()

    def abort_all(self) -> None:
        for writer in self.writers.values():
            sock = writer.get_extra_info("socket")
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            except OSError:
                pass
            writer.transport.abort()
        self.cancel_pumps()

    def cancel_pumps(self) -> list[asyncio.Task[None]]:
        """Cancel the pumps other than the calling one; those cancelled."""
        current = asyncio.current_task()
        others = [t for t in self.tasks.values() if t is not current]
        for task in others:
            task.cancel()
        return others

    def claim_cut(self) -> None:
        self.cut = True
        self.end = "cut"
        self.proxy.cut_done()

    async def finish_cut(self, direction: str) -> None:
        """Once the peer has the bytes, close both sides (RST or FIN)."""
        await self.wait_acknowledged(self.writers[direction])
        if self.proxy.close == "rst":
            self.abort_all()
            return
        # A cancelled pump must be gone before its reader is read again.
        await asyncio.gather(*self.cancel_pumps(), return_exceptions=True)
        for writer in self.writers.values():
            if writer.can_write_eof() and not writer.is_closing():
                writer.write_eof()
        # Read and drop until both peers close, so closing sends no RST.
        await asyncio.gather(*(self.discard(r) for r in self.readers.values()),
                             return_exceptions=True)

    async def wait_acknowledged(self, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        deadline = time.monotonic() + self.proxy.drain_timeout
        while time.monotonic() < deadline:
            try:
                if unsent_bytes(sock) == 0:
                    return
            except (OSError, ValueError):   # closed meanwhile
                return
            await asyncio.sleep(0.002)

    @staticmethod
    async def discard(reader: asyncio.StreamReader) -> None:
        async def drain() -> None:
            while await reader.read(65536):
                pass
        try:
            await asyncio.wait_for(drain(), FIN_DRAIN_TIMEOUT)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass


class Proxy:
    """The listening side: numbering, the cut rule, the report."""

    def __init__(self, to: tuple[str, int], cut_after: int | None,
                 direction: str, close: str, cut_every: bool,
                 report: TextIO | None, drain_timeout: float,
                 record_prefix: str | None = None) -> None:
        self.to = to
        self.record_prefix = record_prefix
        self.cut_after = cut_after
        self.armed = cut_after is not None
        self.direction = direction
        self.close = close
        self.cut_every = cut_every
        self.report_file = report
        self.drain_timeout = drain_timeout
        self.count = 0
        self.open: dict[int, Conn] = {}

    def room(self, direction: str, forwarded: int) -> int | None:
        """Bytes that may still pass in ``direction`` before the cut, or
        None when no cut applies."""
        if not self.armed or direction != self.direction or \
                self.cut_after is None:
            return None
        return max(self.cut_after - forwarded, 0)

    def cut_done(self) -> None:
        if not self.cut_every:
            self.armed = False

    def write_report(self, record: dict[str, Any]) -> None:
        if self.report_file is not None:
            self.report_file.write(json.dumps(record) + "\n")
            self.report_file.flush()

    async def handle(self, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        self.count += 1
        number = self.count
        try:
            target = await asyncio.open_connection(*self.to)
        except OSError:
            writer.transport.abort()
            self.write_report({"conn": number, "up": 0, "down": 0,
                               "cut": False, "end": "connect-failed"})
            return
        conn = Conn(self, number, (reader, writer), target)
        self.open[number] = conn
        try:
            await conn.run()
        finally:
            del self.open[number]
            self.write_report(conn.report())

    def report_open(self) -> None:
        for conn in list(self.open.values()):
            record = conn.report()
            record["end"] = "open"
            self.write_report(record)
        self.open.clear()


async def serve(args: argparse.Namespace) -> None:
    report = open(args.report, "a") if args.report else None
    proxy = Proxy(args.to, args.cut_after, args.direction, args.close,
                  args.cut_every, report, args.drain_timeout, args.record)
    server = await asyncio.start_server(proxy.handle, *args.listen)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"READY {host} {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    proxy.report_open()
    if report is not None:
        report.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cutproxy", description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--listen", type=parse_address, required=True)
    parser.add_argument("--to", type=parse_address, required=True)
    parser.add_argument("--cut-after", type=int, default=None, metavar="N")
    parser.add_argument("--direction", choices=("up", "down"), default="up")
    parser.add_argument("--close", choices=("rst", "fin"), default="rst")
    parser.add_argument("--cut-every", action="store_true")
    parser.add_argument("--report", default=None, metavar="FILE")
    parser.add_argument("--drain-timeout", type=float, default=10.0)
    parser.add_argument("--record", default=None, metavar="PREFIX")
    args = parser.parse_args(argv)
    if args.cut_after is not None and args.cut_after < 0:
        parser.error("--cut-after must be 0 or more")
    try:
        asyncio.run(serve(args))
    except OSError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
