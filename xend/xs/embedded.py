"""The Xenstore xend talks to: its own embedded xenstored, or the host's.

With the simulated hypervisor there is no xenstored, so xend runs the
embedded one (:class:`xenstore.server.EmbeddedXenstored`) on
``(xenstored-socket PATH)``, default ``<directory of xend-rpc-socket>/
xenstored/socket`` (``/run/xend/xenstored/socket``): next to xend's own
socket, never the host's ``/run/xenstored/socket``, which a real xenstored
may own.  The simulator gets a privileged in-process connection and the
daemon's ``shutdown_domain`` as its VIRQ_DOM_EXC; xend gets another
connection for its mirror and watches.  The daemon serves on a thread of its
own, not on xend's event loop: a store call made while holding the
simulator's lock must never wait for a loop that waits for that lock.

On a Xen host (hypervisor ``libxl``) xend connects to the real xenstored at
``(xenstored-socket PATH)``, default ``/run/xenstored/socket``; libxl keeps
its own connection.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from typing import Any

from xenstore.errors import StoreError
from xenstore.store import Store

from xend.daemon.config import XendConfig
from xend.errors import ConnectionFailed, XendError

log = logging.getLogger("xend.xs")

HOST_SOCKET = "/run/xenstored/socket"
STORE_TIMEOUT = 10.0
SUN_PATH_MAX = 107      # sockaddr_un.sun_path less its NUL


def xenstored_socket(config: XendConfig) -> str:
    """Where xenstored is (libxl) or where xend serves it (sim)."""
    if config.xenstored_socket:
        return config.xenstored_socket
    if config.hypervisor == "sim":
        run_dir = os.path.dirname(config.rpc_socket) or "."
        return os.path.join(run_dir, "xenstored", "socket")
    return HOST_SOCKET


class XenstoreService:
    """Connections to one xenstored; closes them all on :meth:`close`."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self._stores: list[Store] = []

    def start(self) -> None:
        """Get ready to hand out connections (blocking)."""

    def connect(self) -> Store:
        store = self._connect()
        self._stores.append(store)
        return store

    def _connect(self) -> Store:
        raise NotImplementedError

    def backend_arguments(self) -> dict[str, Any]:
        """Extra constructor arguments for the hypervisor backend."""
        return {}

    def close(self) -> None:
        for store in reversed(self._stores):
            try:
                store.close()
            except StoreError as exc:
                log.debug("xenstore: closing a connection: %s", exc)
        self._stores.clear()


class HostXenstore(XenstoreService):
    """The host's xenstored (hypervisor libxl)."""

    def _connect(self) -> Store:
        from xenstore.client import PyxsStore
        try:
            return PyxsStore(self.socket_path, timeout=STORE_TIMEOUT)
        except StoreError as exc:
            raise ConnectionFailed(f"cannot connect to xenstored at "
                                   f"{self.socket_path}: {exc}") from None

    def backend_arguments(self) -> dict[str, Any]:
        # libxl finds the store itself; the backend writes the odd key
        # libxl has no call for (a paused guest's shutdown request).
        return {"xenstore_socket": self.socket_path}


class EmbeddedXenstore(XenstoreService):
    """xend's own xenstored (hypervisor sim)."""

    def __init__(self, socket_path: str) -> None:
        super().__init__(socket_path)
        from xenstore.server import EmbeddedXenstored
        self.server = EmbeddedXenstored(socket_path)
        self._started = False

    def start(self) -> None:
        path = self.socket_path
        if len(os.fsencode(path)) > SUN_PATH_MAX:
            raise XendError(f"xenstored-socket {path} is longer than a "
                            f"Unix socket path may be ({SUN_PATH_MAX})")
        if _listening(path):
            # The server would unlink it: never take over a live socket.
            raise XendError(f"a xenstored already listens on {path}; set "
                            "(xenstored-socket PATH) to another path")
        try:
            os.makedirs(os.path.dirname(path) or ".", mode=0o755,
                        exist_ok=True)
            self.server.start()
        except (OSError, RuntimeError) as exc:
            raise XendError(f"cannot start the embedded xenstored on "
                            f"{path}: {exc}") from None
        self._started = True
        log.info("embedded xenstored listening on %s", path)

    def _connect(self) -> Store:
        store: Store = self.server.store(timeout=STORE_TIMEOUT)
        return store

    def backend_arguments(self) -> dict[str, Any]:
        return {"store": self.connect(),
                "on_domain_shutdown": self.server.shutdown_domain}

    def close(self) -> None:
        super().close()
        if self._started:
            self.server.stop()
            self._started = False
            log.info("embedded xenstored stopped")


def _listening(path: str) -> bool:
    """Whether something accepts connections on the Unix socket ``path``."""
    if not os.path.exists(path):
        return False
    with contextlib.closing(socket.socket(socket.AF_UNIX)) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect(path)
        except OSError:
            return False        # a stale socket of a crash
        return True


def open_xenstore(config: XendConfig) -> XenstoreService:
    """The Xenstore for this configuration, started (blocking)."""
    path = xenstored_socket(config)
    service: XenstoreService
    if config.hypervisor == "sim":
        service = EmbeddedXenstore(path)
    else:
        service = HostXenstore(path)
    service.start()
    return service
