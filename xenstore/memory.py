"""An in-memory Xenstore for unit tests of xend: no daemon, no socket.

``MemoryStore()`` owns a private :class:`~xenstore.engine.Engine` (the
embedded daemon's logic), so reads, writes, permissions, transactions
(with EAGAIN on conflict) and watches behave exactly like the real
protocol.  Calls are serialised by one lock and may come from any thread.

Watch callbacks run synchronously in the thread that made the call which
caused them, right after that call returns (``watch()`` itself delivers
the initial event before returning); callbacks may call the store.
Events caused by another handle are delivered when that handle's call
returns, so tests stay deterministic.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from .engine import Engine
from .errors import StoreError
from .local import LocalStore

T = TypeVar("T")


class MemoryStore(LocalStore):
    """A privileged (dom0) connection to a private in-memory store."""

    def __init__(self, engine: Engine | None = None,
                 lock: threading.RLock | None = None,
                 domid: int | None = None) -> None:
        self.engine = engine or Engine()
        self._lock = lock or threading.RLock()
        self._peers: list[MemoryStore] = []
        if domid is None:
            conn = self.engine.connect(lambda m: None)
        else:
            dom = self.engine.domains.get(domid)
            if dom is None or dom.conn is None:
                raise StoreError(f"domain {domid} is not introduced")
            conn = dom.conn
        super().__init__(self.engine, conn, self._run, sync_events=True)

    def _run(self, fn: Callable[[], T]) -> T:
        with self._lock:
            return fn()

    def _request(self, op: int, payload: bytes, tx_id: int = 0) -> bytes:
        try:
            return super()._request(op, payload, tx_id)
        finally:
            for peer in self._peers:
                peer.deliver_events()

    def connect(self) -> "MemoryStore":
        """Another privileged connection to the same store."""
        return self._peer(MemoryStore(self.engine, self._lock))

    def as_domain(self, domid: int) -> "MemoryStore":
        """A connection acting as introduced domain ``domid`` (introduce
        it first, e.g. with ``introduce_domain(domid, 0, 1)``)."""
        return self._peer(MemoryStore(self.engine, self._lock, domid))

    def _peer(self, other: "MemoryStore") -> "MemoryStore":
        # Peers deliver each other's events after every call.
        group = [self, *self._peers]
        for member in group:
            member._peers.append(other)
            other._peers.append(member)
        return other
