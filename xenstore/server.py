"""The embedded xenstored: the protocol engine served on a Unix socket.

``EmbeddedXenstored(socket_path)`` speaks the real Xenstore wire protocol,
so libxenstore tools (``xenstore-ls``...), Xen's ``test-xenstore``, pyxs and
:class:`xenstore.client.PyxsStore` can all use it.  Every socket client is
the privileged dom0, as with the C daemon.

Threading: by default :meth:`EmbeddedXenstored.start` runs an asyncio
loop in a daemon thread of its own, so it can be started from sync code
or from inside xend's loop without sharing it.  Alternatively pass
``loop=`` and ``await server.start_async()`` from that loop; then the
engine runs on the caller's loop.  Either way all engine work happens on
one loop thread; the domain API (:meth:`introduce_domain`,
:meth:`release_domain`, :meth:`shutdown_domain`) may be called from any
thread and waits for the result.  Domain listeners run on the loop thread
and must not block.

Run standalone: ``python -m xenstore.server --socket PATH``.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import threading
from typing import Any, Callable, TypeVar

from . import domains
from .connection import Connection
from .engine import DomainListener, Engine
from .errors import StoreConnectionError, StoreError, StoreTimeout
from .wire import Decoder, Message, Op, WireError

log = logging.getLogger(__name__)
T = TypeVar("T")


class EmbeddedXenstored:
    """An in-process xenstored on a Unix socket."""

    def __init__(self, socket_path: str,
                 loop: asyncio.AbstractEventLoop | None = None,
                 engine: Engine | None = None) -> None:
        self.socket_path = socket_path
        self.engine = engine or Engine()
        self._loop = loop
        self._own_loop = loop is None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[_ClientProtocol] = set()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> "EmbeddedXenstored":
        """Start serving in a private loop thread; returns when listening."""
        if not self._own_loop:
            raise RuntimeError("attached to a loop: use await start_async()")
        if self._thread is not None:
            return self
        self._loop = asyncio.new_event_loop()
        started: concurrent.futures.Future[None] = concurrent.futures.Future()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._listen())
            except BaseException as exc:    # report bind errors to start()
                started.set_exception(exc)
                return
            started.set_result(None)
            self._loop.run_forever()
            self._loop.run_until_complete(self._close())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="xenstored",
                                        daemon=True)
        self._thread.start()
        started.result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving, close every client and remove the socket."""
        if self._own_loop:
            if self._thread is None or self._loop is None:
                return
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None
        else:
            raise RuntimeError("attached to a loop: use await stop_async()")

    async def start_async(self) -> None:
        """Serve on the running loop (the one given to the constructor)."""
        self._loop = asyncio.get_running_loop()
        await self._listen()

    async def stop_async(self) -> None:
        await self._close()

    def __enter__(self) -> "EmbeddedXenstored":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _listen(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)         # a stale socket of a crash
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(
            self._protocol, path=self.socket_path)
        os.chmod(self.socket_path, 0o600)

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            for client in list(self._clients):
                client.close()
            # Transports close on the next loop iterations; let them
            # before the loop (possibly our private one) goes away.
            for _ in range(3):
                await asyncio.sleep(0)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_path)

    # -- clients -------------------------------------------------------------

    def _protocol(self) -> "_ClientProtocol":
        return _ClientProtocol(self)

    def _handle(self, conn: Connection, msg: Message) -> None:
        try:
            self.engine.handle(conn, msg)
        except Exception:       # a bug must cost one request, not the daemon
            log.exception("xenstored: request %r failed", msg)
            conn.send(Message(Op.ERROR, msg.req_id, msg.tx_id, b"EIO\0"))

    # -- in-process API ------------------------------------------------------

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run ``fn`` on the engine's loop thread and return its result."""
        loop = self._loop
        if loop is None:
            raise StoreError("xenstored is not running")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:            # the loop is closed
            raise StoreConnectionError("xenstored is not running") from None
        try:
            return fut.result(timeout=timeout)  # type: ignore[no-any-return]
        except concurrent.futures.TimeoutError:
            raise StoreTimeout(f"xenstored did not answer in {timeout}s"
                               ) from None

    def introduce_domain(self, domid: int, mfn: int = 0,
                         port: int = 1) -> None:
        """As INTRODUCE: fires ``@introduceDomain`` for a new domain."""
        self.call(lambda: domains.introduce(self.engine, domid, mfn, port))

    def release_domain(self, domid: int) -> None:
        """As RELEASE: removes the domain's nodes, fires ``@releaseDomain``.
        Raises :class:`~xenstore.errors.XsError` (ENOENT) if unknown."""
        self.call(lambda: domains.release(self.engine, domid))

    def shutdown_domain(self, domid: int) -> None:
        """The domain shut down or crashed: fire ``@releaseDomain``."""
        self.call(lambda: domains.shutdown(self.engine, domid))

    def is_domain_introduced(self, domid: int) -> bool:
        def check() -> bool:
            dom = self.engine.domains.get(domid)
            return dom is not None and dom.introduced
        return self.call(check)

    def add_domain_listener(self, listener: DomainListener) -> None:
        """``listener(kind, domid)`` with kind ``"introduce"``,
        ``"release"`` or ``"shutdown"``, whichever way it happened."""
        self.call(lambda: self.engine.listeners.append(listener))

    def store(self, timeout: float = 10.0) -> Any:
        """A privileged (dom0) :class:`~xenstore.store.Store` talking to
        this daemon in-process, without the socket.  Watch callbacks run
        on a dispatcher thread of the store."""
        from .local import LocalStore
        conn = self.call(lambda: self.engine.connect(lambda m: None))
        return LocalStore(self.engine, conn,
                          lambda fn: self.call(fn, timeout))

    def domain_store(self, domid: int, timeout: float = 10.0) -> Any:
        """A :class:`~xenstore.store.Store` acting as introduced domain
        ``domid`` (unprivileged unless dom0), for tests and simulation."""
        from .local import LocalStore

        def attach() -> Connection:
            dom = self.engine.domains.get(domid)
            if dom is None or dom.conn is None:
                raise StoreError(f"domain {domid} is not introduced")
            return dom.conn
        return LocalStore(self.engine, self.call(attach),
                          lambda fn: self.call(fn, timeout))


class _ClientProtocol(asyncio.Protocol):
    """One socket client: decode, hand each message to the engine, write
    replies straight to the transport (no per-request awaits)."""

    def __init__(self, server: EmbeddedXenstored) -> None:
        self.server = server
        self.decoder = Decoder()
        self.transport: asyncio.Transport | None = None
        self.conn: Connection | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.conn = self.server.engine.connect(
            lambda m: transport.write(m.encode()))
        self.server._clients.add(self)

    def data_received(self, data: bytes) -> None:
        assert self.conn is not None
        try:
            messages = self.decoder.feed(data)
        except WireError as exc:
            # A malformed stream cannot be resynchronised: drop the peer.
            log.info("closing xenstore client: %s", exc)
            self.close()
            return
        for msg in messages:
            if self.conn.closed:
                return
            self.server._handle(self.conn, msg)

    # Backpressure: a client that does not read its replies stops being
    # read from, instead of growing our write buffer without bound.
    def pause_writing(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.server.engine.disconnect(self.conn)
        self.server._clients.discard(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m xenstore.server",
        description="Embedded xenstored on a Unix socket.")
    parser.add_argument("--socket", required=True, help="socket path")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose
                        else logging.WARNING)

    async def serve() -> None:
        server = EmbeddedXenstored(args.socket,
                                   loop=asyncio.get_running_loop())
        await server.start_async()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"xenstored listening on {args.socket}", flush=True)
        await stop.wait()
        await server.stop_async()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
