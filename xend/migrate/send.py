"""The sending end of ``xm migrate`` (runs in the RPC worker thread).

1. Connect (TCP, or TLS verifying the peer), ``receive`` with a fresh
   migration id, send the header; the destination accepts or says why not
   before the domain is touched.
2. Journal ``<uuid>.migrate-out`` (stage ``sending``), stream the image
   (the domain ends suspended); wait for ``domain received``.  Any failure
   so far: the domain is resumed here.
3. Journal stage ``go``, rename the copy here ``<name>--migratedaway``,
   send ``cleared to unpause``, wait for the destination's result.  A result
   means success (destroy the copy here) or failure (resume it).  No result
   (connection lost, timeout): ask the destination on new connections what
   it decided (:meth:`xend.migrate.receive.Receiver.status`), and act on
   that; while it cannot be reached the copy here stays suspended, never
   running, and :class:`Resolver` keeps asking.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
import uuid as uuidlib
from typing import Any, Callable

from xend.domains.table import DomainEntry
from xend.errors import (ConnectionFailed, InvalidState, ProtocolError,
                         XendError)
from xend.migrate import frames, tls
from xend.migrate.channel import Channel, PeerRefused, Progress
from xend.migrate.outcomes import ABORTED, COMMITTED

log = logging.getLogger("xend.migrate")

CONNECT_TIMEOUT = 30.0
IMAGE_TIMEOUT = 120.0
RECEIVED_TIMEOUT = 300.0      # the destination restores the whole image
RESULT_TIMEOUT = 60.0
RESOLVE_SECONDS = 30.0        # asking again after a lost result, in-line
AWAY = "--migratedaway"


class Endpoint:
    """Where to migrate: host, port, TLS, and the TLS files to use."""

    def __init__(self, host: str, port: int, use_tls: bool,
                 cert: str = "", key: str = "", ca: str = "") -> None:
        self.host, self.port, self.use_tls = host, port, use_tls
        self.cert, self.key, self.ca = cert, key, ca

    def to_json(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "tls": self.use_tls}

    def connect(self, timeout: float = CONNECT_TIMEOUT) -> Channel:
        where = f"{self.host} port {self.port}"
        ctx = tls.client_context(self.cert, self.key, self.ca, self.host) \
            if self.use_tls else None
        try:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=timeout)
        except OSError as exc:
            why = "timed out" if isinstance(exc, socket.timeout) else \
                (exc.strerror or str(exc))
            raise ConnectionFailed(f"cannot connect to the relocation "
                                   f"server on {where}: {why}") from None
        if ctx is not None:
            try:
                sock = ctx.wrap_socket(sock, server_hostname=self.host)
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise ConnectionFailed(f"{tls.describe(exc)} (from "
                                       f"{self.host})") from None
        return Channel(sock, self.host)

    def ask_outcome(self, mid: str) -> str:
        channel = self.connect(timeout=5.0)
        try:
            channel.settimeout(10.0)
            channel.send(frames.request_line("status", id=mid))
            word = frames.parse_outcome_line(channel.read_line())
        finally:
            channel.close()
        if word is None:
            raise ProtocolError(f"bad status answer (from {self.host})")
        return word


class Sender:
    def __init__(self, manager: Any,
                 on_unresolved: Callable[[dict[str, Any]], None]
                 | None = None) -> None:
        self.m = manager
        self.on_unresolved = on_unresolved

    def migrate(self, ref: str | int, endpoint: Endpoint, live: bool,
                change_home: bool, progress: Progress | None = None,
                node: int = -1) -> None:
        m = self.m
        entry, domid = m.movable(ref)
        if change_home and not entry.managed:
            raise XendError(f"Domain '{entry.name}' is not managed: -c "
                            "moves a managed domain's home")
        if m.migrating_out(entry.uuid):
            raise InvalidState(f"Domain '{entry.name}' is already "
                               "migrating")
        mid = uuidlib.uuid4().hex
        # Marked first: a localhost destination (this xend) then accepts
        # the uuid and name it already holds.
        m.mark_outgoing(entry.uuid, True)
        try:
            channel = self._open(endpoint, mid, entry, live, change_home,
                                 node)
        except BaseException:
            m.mark_outgoing(entry.uuid, False)
            raise
        record = {"op": "migrate-out", "uuid": entry.uuid,
                  "name": entry.name, "domid": domid, "id": mid,
                  "to": endpoint.to_json(), "change_home": change_home,
                  "stage": "sending"}
        key = f"{entry.uuid}.migrate-out"
        try:
            m.journal.begin(key, record)
        except BaseException:
            m.mark_outgoing(entry.uuid, False)
            channel.close()
            raise
        m.quiet.add(domid)
        try:
            self._stream(channel, domid, live, progress)
        except BaseException as exc:
            reason = self._peer_reason(channel, exc)
            channel.close()
            self._undo(entry, domid, key, renamed=False)
            raise reason from None
        self._go(channel, entry, domid, key, record, endpoint)

    # -- steps -------------------------------------------------------------------
    def _open(self, endpoint: Endpoint, mid: str, entry: DomainEntry,
              live: bool, change_home: bool, node: int) -> Channel:
        channel = endpoint.connect()
        try:
            channel.settimeout(CONNECT_TIMEOUT)
            channel.send(frames.request_line(
                "receive", protocol=frames.PROTOCOL, id=mid))
            line = channel.read_line()
            if line != frames.READY:
                err = frames.parse_error_line(line)
                if err is not None:
                    raise PeerRefused(f"{err[1]} (from {endpoint.host})")
                raise ProtocolError(f"not a relocation server (from "
                                    f"{endpoint.host})")
            channel.send(frames.json_frame(frames.KIND_HEADER, {
                "config": entry.config.to_dict(), "managed": change_home,
                "live": live, "paused": False, "node": node,
                "source": socket.gethostname()}))
            channel.expect(frames.ACCEPT)
        except BaseException:
            channel.close()
            raise
        return channel

    def _stream(self, channel: Channel, domid: int, live: bool,
                progress: Progress | None) -> None:
        state: dict[str, Any] = {"phase": "sending"}

        def report(update: dict[str, Any]) -> None:
            state.update(update)
            if progress is not None:
                progress(dict(state))
        channel.settimeout(IMAGE_TIMEOUT)
        with channel.image_writer(report) as stream:
            self.m.hv.save(domid, stream, live=live, progress=report)
        report({"phase": "restoring"})
        channel.settimeout(RECEIVED_TIMEOUT)
        channel.expect(frames.RECEIVED)

    def _go(self, channel: Channel, entry: DomainEntry, domid: int,
            key: str, record: dict[str, Any], endpoint: Endpoint) -> None:
        m = self.m
        # The resolver gets this record if the outcome stays unknown: it
        # must say "go" (asking, never undoing blindly), as the journal.
        record = {**record, "stage": "go"}
        try:
            m.journal.begin(key, record)
            m.hv.rename(domid, entry.name + AWAY)
        except BaseException as exc:
            channel.close()
            self._undo(entry, domid, key, renamed=False)
            raise exc
        try:
            channel.send_message({"msg": frames.GO})
            channel.settimeout(RESULT_TIMEOUT)
            result = channel.expect(frames.RESULT)
        except PeerRefused as exc:
            # It could not start its copy, destroyed it and said why.
            channel.close()
            self._undo(entry, domid, key, renamed=True)
            raise exc from None
        except XendError as exc:
            channel.close()
            log.warning("no result from %s (%s): asking what it decided",
                        endpoint.host, exc)
            outcome = self._ask(endpoint, record["id"], RESOLVE_SECONDS)
            self.settle(entry, domid, key, outcome, record)
            if outcome == COMMITTED:
                return
            if outcome is None:
                raise XendError(
                    f"lost contact with {endpoint.host} after clearing it "
                    f"to run {entry.name} ({exc}); the copy here is kept "
                    f"suspended as {entry.name}{AWAY} until "
                    f"{endpoint.host} answers (xend keeps asking)") from None
            raise XendError(f"{exc}; the destination did not start the "
                            "domain, which runs here again") from None
        channel.close()
        if result.get("status") != 0:
            self._undo(entry, domid, key, renamed=True)
            raise XendError(f"the domain failed to start (from "
                            f"{endpoint.host})")
        self.settle(entry, domid, key, COMMITTED, record)

    def settle(self, entry: DomainEntry | None, domid: int, key: str,
               outcome: str | None, record: dict[str, Any]) -> None:
        """Act on the destination's decision; None: not known yet."""
        m = self.m
        if outcome is None:
            if self.on_unresolved is not None:
                self.on_unresolved(record)
            return
        if entry is None:
            m.end_record(key)
            return
        if outcome == COMMITTED:
            m.finish_outgoing(entry, domid, bool(record.get("change_home")))
            m.end_record(key)
            m.mark_outgoing(entry.uuid, False)
            log.info("migrated domain %s to %s", entry.name,
                     record.get("to", {}).get("host"))
        else:
            self._undo(entry, domid, key, renamed=True)

    def _undo(self, entry: DomainEntry, domid: int, key: str,
              renamed: bool) -> None:
        self.m.undo_outgoing(entry, domid, renamed)
        self.m.end_record(key)
        self.m.mark_outgoing(entry.uuid, False)
        log.info("migration of %s undone: it runs here", entry.name)

    @staticmethod
    def _ask(endpoint: Endpoint, mid: str, seconds: float) -> str | None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                word = endpoint.ask_outcome(mid)
                return COMMITTED if word == COMMITTED else ABORTED
            except XendError as exc:
                if time.monotonic() >= deadline:
                    log.warning("cannot ask %s about migration %s: %s",
                                endpoint.host, mid, exc)
                    return None
            time.sleep(1.0)

    @staticmethod
    def _peer_reason(channel: Channel, exc: BaseException) -> BaseException:
        """The destination's own error, if it sent one (it may have
        refused the image midway), else ``exc``."""
        if isinstance(exc, PeerRefused):
            return exc
        try:
            channel.settimeout(3.0)
            while True:
                kind, payload = channel.read_frame()
                if kind == frames.KIND_MESSAGE:
                    channel.decode_message(payload)
        except PeerRefused as refused:
            return refused
        except (XendError, OSError):
            pass
        return exc
