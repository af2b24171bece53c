"""Compatibility shim around pyxs 0.4.1, kept out of the client proper.

What we use of pyxs: its Unix-socket connection, its Router thread
(multiplexes replies by request id and routes watch events by token) and
its Packet tuple.  What we work around:

* ``Client.execute_command`` rejects empty values (regex ``^[...]+$``) and
  any op outside 0-19, and ``Packet()`` refuses ops 21/22: we build
  Packet tuples directly (:func:`make_packet`) and send them through the
  Router ourselves, so empty values, RESET_WATCHES and DIRECTORY_PART work.
* pyxs's connection ``recv`` validates incoming ops the same way: our
  subclass (:func:`_connection_class`) does not.
* ``RVar.get()`` waits forever and a dead Router thread never answers:
  :func:`wait_reply` waits with a deadline and checks the thread.
* pyxs's socket transport leaks its socket when connect() fails, and the
  Router's socketpair leaks when start() fails: both are handled here.
* ``next_rq_id`` overflows the uint32 header after 2**32 requests: we
  number requests ourselves.
* Importing ``pyxs.client`` reads ``/proc/xen/capabilities`` (``Client.SU``)
  and we never use ``Client``: imports happen on first use only.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from typing import Any

from .errors import StoreConnectionError, StoreTimeout

_ids = itertools.count(1)
_ids_lock = threading.Lock()


def next_request_id() -> int:
    with _ids_lock:
        return next(_ids) & 0xFFFFFFFF


def open_router(socket_path: str | None) -> Any:
    """A started pyxs Router on the Unix socket (default path rules of
    libxenstore: ``$XENSTORED_PATH``, ``$XENSTORED_RUNDIR/socket``)."""
    from pyxs.client import Router
    from pyxs.exceptions import ConnectionError as PyxsConnectionError

    class QuietRouter(Router):  # type: ignore[misc]
        # A closed connection ends the thread; callers see it through
        # wait_reply's liveness check instead of a thread traceback.
        def __call__(self) -> None:
            try:
                super().__call__()
            except (OSError, PyxsConnectionError):
                pass

    router = QuietRouter(_connection_class()(socket_path))
    try:
        router.start()
    except (PyxsConnectionError, OSError) as exc:
        # Router() made a socketpair that only its thread would close.
        router.r_terminator.close()
        router.w_terminator.close()
        raise StoreConnectionError(str(exc)) from None
    return router


def _connection_class() -> Any:
    """pyxs's UnixSocketConnection whose ``recv`` accepts every op (its
    own builds a validating Packet and dies on DIRECTORY_PART replies)."""
    from pyxs._internal import Packet
    from pyxs.connection import UnixSocketConnection

    class Connection(UnixSocketConnection):  # type: ignore[misc]
        def create_transport(self) -> Any:
            # pyxs's transport leaks its socket when connect() fails.
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except OSError as exc:
                sock.close()
                raise OSError(f"error connecting to {self.path!r}: {exc}"
                              ) from None
            return _Transport(sock)

        def recv(self) -> Any:
            if not self.is_connected:
                raise OSError("not connected")
            try:
                header = self.transport.recv(Packet._struct.size)
                op, rq_id, tx_id, size = Packet._struct.unpack(header)
                payload = self.transport.recv(size) if size else b""
            except OSError:
                self.close()
                raise
            return make_packet(op, payload, rq_id, tx_id)

    return Connection


class _Transport:
    """A connected Unix socket with pyxs's transport methods."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def recv(self, size: int) -> bytes:
        buf = bytearray()
        while len(buf) < size:
            chunk = self.sock.recv(size - len(buf))
            if not chunk:
                raise ConnectionResetError("xenstored closed the connection")
            buf += chunk
        return bytes(buf)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def make_packet(op: int, payload: bytes, rq_id: int, tx_id: int) -> Any:
    """A pyxs Packet without pyxs's validation (see module docstring)."""
    from pyxs._internal import Packet
    return tuple.__new__(Packet, (op, rq_id, tx_id, len(payload), payload))


def send(router: Any, packet: Any) -> Any:
    """Send through the router; returns its reply slot (RVar)."""
    from pyxs.exceptions import ConnectionError as PyxsConnectionError
    if not router.thread.is_alive():
        raise StoreConnectionError("xenstore router thread is dead")
    try:
        return router.send(packet)
    except (PyxsConnectionError, OSError) as exc:
        raise StoreConnectionError(str(exc)) from None


def wait_reply(router: Any, rvar: Any, timeout: float) -> Any:
    """The reply packet, or StoreTimeout / StoreConnectionError.

    On timeout the slot stays registered so that a late reply is absorbed
    instead of killing the router with UnexpectedPacket.
    """
    deadline = time.monotonic() + timeout
    with rvar.condition:
        while rvar.target is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreTimeout(f"no reply from xenstored in {timeout}s")
            if not router.thread.is_alive():
                raise StoreConnectionError("xenstore connection lost")
            rvar.condition.wait(min(left, 0.2))
    return rvar.target


class EventSink:
    """Stands in for a pyxs Monitor: the Router calls ``events.put``."""

    def __init__(self, events: Any) -> None:
        self.events = events


def subscribe(router: Any, token: bytes, sink: EventSink) -> None:
    if sink not in router.monitors[token]:
        router.subscribe(token, sink)


def unsubscribe(router: Any, token: bytes, sink: EventSink) -> None:
    if sink in router.monitors.get(token, []):
        router.unsubscribe(token, sink)


def close(router: Any) -> None:
    try:
        router.terminate()
    except Exception:       # closing a broken connection must not raise
        pass
