"""The :class:`~xenstore.store.Store` API on top of any request channel.

:class:`WireStore` turns the str-based Store calls into Xenstore request
payloads and back (str in the API, bytes on the wire, UTF-8 with
surrogate escapes so any byte value round-trips), maps ENOENT to the
interface's "missing" answers, runs transactions and dispatches watch
events to callbacks.  Subclasses supply only :meth:`WireStore._request`
(send one request, return the reply payload or raise
:class:`~xenstore.errors.XsError`) and the event plumbing.
"""

from __future__ import annotations

import builtins

import contextlib
import threading
from typing import Callable, Iterator, TypeVar

from .errors import StoreError, TransactionConflict, XsError
from .store import StoreOps, WatchCallback, WatchEvent
from .wire import Op, join

T = TypeVar("T")


def enc(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def dec(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class _Ops:
    """StoreOps bound to a transaction id (0 = none)."""

    def __init__(self, store: "WireStore", tx_id: int) -> None:
        self._store = store
        self._tx = tx_id

    def _req(self, op: int, payload: bytes) -> bytes:
        return self._store._request(op, payload, self._tx)

    def read(self, path: str) -> str | None:
        try:
            return dec(self._req(Op.READ, join(enc(path))))
        except XsError as err:
            if err.name == "ENOENT":
                return None
            raise

    def write(self, path: str, value: str) -> None:
        self._req(Op.WRITE, enc(path) + b"\0" + enc(value))

    def mkdir(self, path: str) -> None:
        self._req(Op.MKDIR, join(enc(path)))

    def rm(self, path: str) -> None:
        """Remove a subtree; removing something absent is not an error."""
        try:
            self._req(Op.RM, join(enc(path)))
        except XsError as err:
            if err.name != "ENOENT":
                raise

    def list(self, path: str) -> builtins.list[str]:
        """Child names; ``[]`` if the node is missing.  Listings too big
        for one reply are fetched with DIRECTORY_PART."""
        try:
            payload = self._req(Op.DIRECTORY, join(enc(path)))
        except XsError as err:
            if err.name == "ENOENT":
                return []
            if err.name != "E2BIG":
                raise
            return self._list_parts(path)
        return [dec(p) for p in payload.split(b"\0")[:-1]]

    def _list_parts(self, path: str) -> builtins.list[str]:
        for _attempt in range(10):
            names: builtins.list[bytes] = []
            offset, gen = 0, None
            while True:
                reply = self._req(Op.DIRECTORY_PART,
                                  join(enc(path), str(offset).encode()))
                part_gen, _, rest = reply.partition(b"\0")
                if gen is not None and part_gen != gen:
                    break           # the directory changed: start over
                gen = part_gen
                if rest in (b"", b"\0"):
                    return [dec(n) for n in names]
                chunk = rest.split(b"\0")
                done = rest.endswith(b"\0\0")
                chunk = [c for c in chunk if c]
                names.extend(chunk)
                offset += sum(len(c) + 1 for c in chunk)
                if done:
                    return [dec(n) for n in names]
        raise StoreError(f"directory {path} keeps changing")

    def exists(self, path: str) -> bool:
        try:
            self._req(Op.READ, join(enc(path)))
        except XsError as err:
            if err.name == "ENOENT":
                return False
            raise
        return True

    def get_perms(self, path: str) -> builtins.list[str]:
        payload = self._req(Op.GET_PERMS, join(enc(path)))
        return [dec(p) for p in payload.split(b"\0")[:-1]]

    def set_perms(self, path: str, perms: builtins.list[str]) -> None:
        self._req(Op.SET_PERMS, join(enc(path), *(enc(p) for p in perms)))


class WireStore(_Ops):
    """A Store over a request channel; subclasses implement ``_request``."""

    def __init__(self) -> None:
        super().__init__(self, 0)
        self._watch_lock = threading.Lock()
        self._callbacks: dict[tuple[str, str], WatchCallback] = {}

    # -- the channel (subclass) ---------------------------------------------

    def _request(self, op: int, payload: bytes, tx_id: int = 0) -> bytes:
        raise NotImplementedError

    def _subscribe(self, token: bytes) -> None:
        """Start routing events with ``token`` to :meth:`_dispatch`."""

    def _unsubscribe(self, token: bytes) -> None:
        """Stop routing events with ``token``."""

    def _dispatch(self, path: bytes, token: bytes) -> None:
        """Deliver one watch event to the callback(s) of its watch."""
        event = WatchEvent(dec(path), dec(token))
        with self._watch_lock:
            targets = [cb for (wpath, tok), cb in self._callbacks.items()
                       if tok == event.token
                       and _matches(event.path, wpath)]
        for callback in targets:
            callback(event)

    # -- transactions --------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreOps]:
        """Commit on normal exit (TransactionConflict on EAGAIN), abort
        if the body raises."""
        reply = self._request(Op.TRANSACTION_START, b"\0", 0)
        tx_id = int(reply.rstrip(b"\0"))
        try:
            yield _Ops(self, tx_id)
        except BaseException:
            with contextlib.suppress(StoreError):
                self._request(Op.TRANSACTION_END, b"F\0", tx_id)
            raise
        try:
            self._request(Op.TRANSACTION_END, b"T\0", tx_id)
        except XsError as err:
            if err.name == "EAGAIN":
                raise TransactionConflict(f"transaction {tx_id}") from None
            raise

    def run_transaction(self, body: Callable[[StoreOps], T],
                        attempts: int = 100) -> T:
        """Run ``body`` in a transaction, re-running it on EAGAIN; returns
        what ``body`` returns."""
        for _ in range(attempts - 1):
            try:
                with self.transaction() as ops:
                    result = body(ops)
                return result
            except TransactionConflict:
                continue
        with self.transaction() as ops:
            return body(ops)

    # -- watches -------------------------------------------------------------

    def watch(self, path: str, token: str, callback: WatchCallback) -> None:
        """Register ``callback``; it first fires once for ``path`` itself
        (the daemon's initial event)."""
        with self._watch_lock:
            previous = self._callbacks.get((path, token))
            self._callbacks[(path, token)] = callback
        self._subscribe(enc(token))
        try:
            self._request(Op.WATCH, join(enc(path), enc(token)), 0)
        except BaseException:
            # E.g. EEXIST: the watch that already exists keeps its callback.
            with self._watch_lock:
                if previous is None:
                    self._callbacks.pop((path, token), None)
                else:
                    self._callbacks[(path, token)] = previous
            raise

    def unwatch(self, path: str, token: str) -> None:
        self._request(Op.UNWATCH, join(enc(path), enc(token)), 0)
        with self._watch_lock:
            self._callbacks.pop((path, token), None)
            still = any(t == token for _, t in self._callbacks)
        if not still:
            self._unsubscribe(enc(token))

    # -- domains and control -------------------------------------------------

    def get_domain_path(self, domid: int) -> str:
        reply = self._request(Op.GET_DOMAIN_PATH, join(str(domid).encode()))
        return dec(reply.rstrip(b"\0"))

    def introduce_domain(self, domid: int, mfn: int, port: int) -> None:
        self._request(Op.INTRODUCE, join(str(domid).encode(),
                                         str(mfn).encode(),
                                         str(port).encode()))

    def release_domain(self, domid: int) -> None:
        self._request(Op.RELEASE, join(str(domid).encode()))

    def is_domain_introduced(self, domid: int) -> bool:
        reply = self._request(Op.IS_DOMAIN_INTRODUCED,
                              join(str(domid).encode()))
        return reply.rstrip(b"\0") == b"T"

    def resume_domain(self, domid: int) -> None:
        self._request(Op.RESUME, join(str(domid).encode()))

    def set_target(self, domid: int, target: int) -> None:
        self._request(Op.SET_TARGET, join(str(domid).encode(),
                                          str(target).encode()))

    def reset_watches(self) -> None:
        self._request(Op.RESET_WATCHES, b"\0")
        with self._watch_lock:
            self._callbacks.clear()

    def control(self, *args: str) -> str:
        """CONTROL (e.g. ``control("quota")``); returns the reply text."""
        return dec(self._request(Op.CONTROL, join(*(enc(a) for a in args)))
                   .rstrip(b"\0"))

    def close(self) -> None:
        """Release the channel (subclasses)."""


def _matches(event_path: str, watch_path: str) -> bool:
    if watch_path.startswith("@") or watch_path == "/":
        return event_path == watch_path or not watch_path.startswith("@")
    return (event_path == watch_path
            or event_path.startswith(watch_path.rstrip("/") + "/"))
