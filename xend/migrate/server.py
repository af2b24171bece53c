"""The relocation listener: TCP (``xend-relocation-port``) and TLS
(``xend-relocation-ssl-port``) sockets watched by the event loop; each
accepted connection is checked against ``xend-relocation-hosts-allow``
and served by a :class:`~xend.migrate.receive.Receiver` in a small pool of
its own, so migrations never take the RPC workers (nor the loop).

hosts-allow is 4.4's: space-separated regular expressions; a peer is let in
if one matches (from the start) its address or its name by reverse lookup.
Empty: everyone.  Refusals are logged and answered with an ``(err ...)``
line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from xend.errors import ConfigError
from xend.migrate import frames, tls
from xend.migrate.channel import Channel

log = logging.getLogger("xend.migrate")

MAX_CONNECTIONS = 4
TLS_HANDSHAKE_TIMEOUT = 30.0
REFUSE_LINGER = 2.0          # seconds a refused peer gets to read why


def parse_hosts_allow(text: str) -> list[re.Pattern[str]]:
    try:
        return [re.compile(p) for p in text.split()]
    except re.error as exc:
        raise ConfigError(f"xend-relocation-hosts-allow: bad regular "
                          f"expression: {exc}") from None


def host_allowed(patterns: list[re.Pattern[str]], address: str,
                 lookup: Callable[[str], str] = socket.getfqdn) -> bool:
    if not patterns:
        return True
    if any(p.match(address) for p in patterns):
        return True
    name = lookup(address)
    return any(p.match(name) for p in patterns)


class Listener:
    def __init__(self, address: str, port: int,
                 context: ssl.SSLContext | None) -> None:
        self.address, self.port, self.context = address, port, context
        self.sock: socket.socket | None = None

    def describe(self) -> str:
        kind = "TLS" if self.context is not None else "TCP"
        host = self.address or "*"
        return f"relocation server listening on {host}:{self.port} ({kind})"


class RelocationServer:
    def __init__(self, listeners: list[Listener], hosts_allow: str,
                 serve: Callable[[Channel], None]) -> None:
        self.listeners = listeners
        self.patterns = parse_hosts_allow(hosts_allow)
        self.serve = serve
        self.pool = ThreadPoolExecutor(MAX_CONNECTIONS,
                                       thread_name_prefix="xend-reloc")
        self.active = 0
        self.lock = threading.Lock()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for lst in self.listeners:
            family = socket.AF_INET6 if ":" in lst.address else \
                socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((lst.address, lst.port))
            except OSError as exc:
                sock.close()
                raise ConfigError(f"relocation server: cannot listen on "
                                  f"{lst.address or '*'}:{lst.port}: "
                                  f"{exc.strerror}") from None
            sock.listen(16)
            sock.setblocking(False)
            lst.sock = sock
            loop.add_reader(sock.fileno(), self._accept, lst)
            log.info("%s", lst.describe())

    def stop(self) -> None:
        loop = asyncio.get_event_loop()
        for lst in self.listeners:
            if lst.sock is not None:
                try:
                    loop.remove_reader(lst.sock.fileno())
                except (ValueError, RuntimeError):
                    pass
                lst.sock.close()
                lst.sock = None
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _accept(self, lst: Listener) -> None:
        assert lst.sock is not None
        try:
            conn, addr = lst.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.error("relocation accept failed: %s", exc)
            return
        with self.lock:
            busy = self.active >= MAX_CONNECTIONS
            if not busy:
                self.active += 1
        if busy:
            log.warning("refused relocation connection from %s: busy",
                        addr[0])
            try:
                conn.send(frames.error_line(
                    "XendError", "too many relocation connections"))
            except OSError:
                pass
            conn.close()
            return
        conn.setblocking(True)
        self.pool.submit(self._handle, lst, conn, str(addr[0]))

    def _handle(self, lst: Listener, conn: socket.socket, peer: str) -> None:
        try:
            sock: socket.socket = conn
            if lst.context is not None:
                conn.settimeout(TLS_HANDSHAKE_TIMEOUT)
                if _plain_request(conn):
                    log.warning("refused relocation connection from %s: "
                                "not TLS on the TLS port %d", peer, lst.port)
                    _refuse(conn, frames.error_line(
                        "XendError", f"port {lst.port} is the TLS "
                        "relocation port: migrate with --ssl"))
                    return
                try:
                    sock = lst.context.wrap_socket(
                        conn, server_side=True, do_handshake_on_connect=False)
                    sock.do_handshake()
                except (OSError, ssl.SSLError) as exc:
                    log.warning("relocation TLS from %s refused: %s", peer,
                                tls.describe(exc))
                    _refuse(sock)
                    return
            if not host_allowed(self.patterns, peer):
                log.warning("refused relocation connection from %s: not in "
                            "xend-relocation-hosts-allow", peer)
                _refuse(sock, frames.error_line(
                    "XendError", f"host {peer} is not allowed to "
                    "relocate domains here"))
                return
            self.serve(Channel(sock, peer))
        except Exception:
            log.exception("relocation connection from %s failed", peer)
        finally:
            with self.lock:
                self.active -= 1


def _plain_request(conn: socket.socket) -> bool:
    """A plain relocation request (``(receive ...``) on the TLS port? A
    TLS client's first byte is a handshake record's (0x16)."""
    try:
        first = conn.recv(1, socket.MSG_PEEK)
    except OSError:
        return False
    return first == b"("


def _refuse(sock: socket.socket, reply: bytes = b"") -> None:
    """Send ``reply``, then close so that it (or a failed handshake's
    alert) reaches the peer: closed at once, with the peer's bytes unread,
    the connection is reset and the peer's kernel drops what it had not
    read yet.  So: end our side, read the peer's rest (briefly), close."""
    try:
        sock.settimeout(REFUSE_LINGER)
        if reply:
            sock.sendall(reply)
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + REFUSE_LINGER
        drained = 0
        while drained < 1 << 20 and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            drained += len(data)
    except OSError:
        pass
    finally:
        sock.close()
