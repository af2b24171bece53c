"""PyxsStore: the Store interface over a xenstored Unix socket, via pyxs.

Works against the C xenstored, oxenstored or the embedded daemon
(:mod:`xenstore.server`).  Every call has a timeout (``timeout=`` seconds,
default 10): a silent or dead daemon raises
:class:`~xenstore.errors.StoreTimeout` or
:class:`~xenstore.errors.StoreConnectionError`, never hangs.  Watch
callbacks run on one dispatcher thread per store, in arrival order; they
may call the store.  pyxs quirks are handled in :mod:`xenstore.pyxs_compat`.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from . import pyxs_compat as compat
from .base import WireStore
from .errors import StoreConnectionError, XsError
from .wire import Op, parse_error


class PyxsStore(WireStore):
    """A Store connected to xenstored at ``socket_path`` (default: the
    libxenstore rules, ``$XENSTORED_PATH`` then
    ``$XENSTORED_RUNDIR/socket`` then ``/var/run/xenstored/socket``)."""

    def __init__(self, socket_path: str | None = None,
                 timeout: float = 10.0) -> None:
        super().__init__()
        self.timeout = timeout
        self._router = compat.open_router(socket_path)
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._sink = compat.EventSink(self._events)
        self._dispatcher: threading.Thread | None = None
        self._closed = False

    def _request(self, op: int, payload: bytes, tx_id: int = 0) -> bytes:
        if self._closed:
            raise StoreConnectionError("store is closed")
        rq_id = compat.next_request_id()
        rvar = compat.send(self._router,
                           compat.make_packet(op, payload, rq_id, tx_id))
        packet = compat.wait_reply(self._router, rvar, self.timeout)
        if packet.op == Op.ERROR:
            raise XsError(parse_error(packet.payload))
        if packet.op != op:
            raise StoreConnectionError(
                f"reply of type {packet.op} to request of type {op}")
        return bytes(packet.payload)

    def _subscribe(self, token: bytes) -> None:
        compat.subscribe(self._router, token, self._sink)
        if self._dispatcher is None:
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name="xenstore-watch",
                daemon=True)
            self._dispatcher.start()

    def _unsubscribe(self, token: bytes) -> None:
        compat.unsubscribe(self._router, token, self._sink)

    def _dispatch_loop(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            try:
                self._dispatch(event.path, event.token)
            except Exception:       # a failing callback must not stop others
                import logging
                logging.getLogger(__name__).exception(
                    "xenstore watch callback failed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        compat.close(self._router)
        self._events.put(None)

    def __enter__(self) -> "PyxsStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
