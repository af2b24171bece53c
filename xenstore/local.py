"""Stores that talk to an in-process :class:`~xenstore.engine.Engine`.

:class:`LocalStore` is one connection to an engine, with requests run by
a caller-supplied *runner* (a lock for :class:`~xenstore.memory.MemoryStore`,
the server's loop for ``EmbeddedXenstored.domain_store``).  There is no
socket, but every request goes through the same handlers as the wire
protocol, so semantics (errors, permissions, transactions, watches) are
exactly the embedded daemon's.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, TypeVar

from .base import WireStore
from .connection import Connection
from .engine import Engine
from .errors import StoreConnectionError, XsError
from .wire import Message, Op, parse_error

T = TypeVar("T")
Runner = Callable[[Callable[[], T]], T]


class LocalStore(WireStore):
    """A Store bound to one engine connection.

    Watch callbacks run on a private dispatcher thread (``sync_events``
    False) or, with ``sync_events`` True, in the calling thread as soon
    as the request that caused them returns; see MemoryStore.
    """

    def __init__(self, engine: Engine, conn: Connection,
                 runner: Callable[[Callable[[], object]], object],
                 sync_events: bool = False) -> None:
        super().__init__()
        self._engine = engine
        self._conn = conn
        self._runner = runner
        self._reply: Message | None = None
        self._sync = sync_events
        self._events: queue.SimpleQueue[tuple[bytes, bytes] | None] = \
            queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False
        conn.sink = self._sink

    def _sink(self, msg: Message) -> None:
        # Runs wherever the engine runs; never call back from here.
        if msg.op == Op.WATCH_EVENT:
            parts = msg.payload.split(b"\0")
            self._events.put((parts[0], parts[1]))
            if not self._sync:
                self._ensure_dispatcher()
        else:
            self._reply = msg

    def _ensure_dispatcher(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._dispatch_loop,
                                            name="xenstore-watch",
                                            daemon=True)
            self._thread.start()

    def _dispatch_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is None:
                return
            self._dispatch(*item)

    def deliver_events(self) -> None:
        """Run callbacks for queued events (sync mode) in this thread."""
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return
            if item is None:
                return
            self._dispatch(*item)

    def _request(self, op: int, payload: bytes, tx_id: int = 0) -> bytes:
        if self._closed or self._conn.closed:
            raise StoreConnectionError("store is closed")

        def run() -> Message:
            self._reply = None
            self._engine.handle(self._conn, Message(op, 0, tx_id, payload))
            assert self._reply is not None
            return self._reply

        reply = self._runner(run)
        assert isinstance(reply, Message)
        if self._sync:
            self.deliver_events()
        if reply.op == Op.ERROR:
            raise XsError(parse_error(reply.payload))
        return reply.payload

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn = self._conn

        def detach() -> None:
            if conn.domain is None:
                self._engine.disconnect(conn)
            else:
                # A domain's connection outlives this handle: it only
                # stops delivering to us (and keeps its watches, as a
                # guest's ring would).
                conn.sink = lambda m: None
        self._runner(detach)
        self._events.put(None)
