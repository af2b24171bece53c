"""Migration inside xend, put together: the relocation server, the sender
(``xend.domain.migrate``), recovery at start-up and the resolver.

Built by the composition root from xend's config; the TLS files are
``xend-relocation-server-ssl-cert-file``/``-key-file`` (this host's
certificate, presented as server and as client) and
``xend-relocation-ssl-ca-file`` (the CA both ends verify against).
"""

from __future__ import annotations

import logging
from typing import Any, BinaryIO

from xend.errors import InvalidArgument, XendError
from xend.migrate import tls
from xend.migrate.channel import Progress
from xend.migrate.outcomes import Outcomes
from xend.migrate.receive import Receiver
from xend.migrate.recovery import (Resolver, recover_incoming,
                                   recover_outgoing)
from xend.migrate.send import Endpoint, Sender
from xend.migrate.server import Listener, RelocationServer

log = logging.getLogger("xend.migrate")


class MigrationService:
    def __init__(self, manager: Any, config: Any) -> None:
        self.m = manager
        self.config = config
        self.outcomes = Outcomes(config.state_path)
        self.outcomes.expire()
        self.receiver = Receiver(manager, self.outcomes)
        self.sender = Sender(manager, on_unresolved=self._unresolved)
        self.resolver = Resolver(manager, self.sender, self.endpoint_of)
        self.server: RelocationServer | None = None

    # -- the listener ----------------------------------------------------------
    def listeners(self) -> list[Listener]:
        cfg = self.config
        out = []
        if cfg.relocation_server:
            out.append(Listener(cfg.relocation_address, cfg.relocation_port,
                                None))
        if cfg.relocation_ssl_server:
            ctx = tls.server_context(cfg.relocation_ssl_cert_file,
                                     cfg.relocation_ssl_key_file,
                                     cfg.relocation_ssl_ca_file)
            if not cfg.relocation_ssl_ca_file:
                log.warning("relocation TLS without "
                            "xend-relocation-ssl-ca-file: client "
                            "certificates are not checked")
            out.append(Listener(cfg.relocation_address,
                                cfg.relocation_ssl_port, ctx))
        return out

    async def start(self) -> None:
        try:
            listeners = self.listeners()
        except XendError as exc:
            log.error("%s; no relocation server", exc)
            return
        if not listeners:
            return
        server = RelocationServer(listeners,
                                  self.config.relocation_hosts_allow,
                                  self.receiver.serve)
        try:
            await server.start()
        except XendError as exc:
            log.error("%s; no relocation server", exc)
            server.stop()
            return
        self.server = server

    def stop(self) -> None:
        self.resolver.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None

    def describe(self) -> list[str]:
        if self.server is None:
            return ["relocation server off"]
        return [lst.describe() for lst in self.server.listeners]

    # -- sending -----------------------------------------------------------------
    def endpoint(self, host: str, port: int, use_tls: bool) -> Endpoint:
        cfg = self.config
        if not port:
            port = cfg.relocation_ssl_port if use_tls else \
                cfg.relocation_port
        return Endpoint(host, port, use_tls, cfg.relocation_ssl_cert_file,
                        cfg.relocation_ssl_key_file,
                        cfg.relocation_ssl_ca_file)

    def endpoint_of(self, record: dict[str, Any]) -> Endpoint | None:
        to = record.get("to")
        if not isinstance(to, dict) or not isinstance(to.get("host"), str) \
                or not isinstance(to.get("port"), int):
            return None
        return self.endpoint(to["host"], to["port"], bool(to.get("tls")))

    def migrate(self, dom: Any, dst: str, live: bool, port: int,
                node: int, use_tls: bool | None, change_home: bool,
                progress: Progress | None = None) -> None:
        if not dst or len(dst) > 255 or any(c.isspace() for c in dst):
            raise InvalidArgument(f"bad destination host {dst!r}")
        if not 0 <= port <= 65535:
            raise InvalidArgument(f"bad port {port}")
        if node < -1:
            raise InvalidArgument(f"bad NUMA node {node}")
        if use_tls is None:
            use_tls = self.config.relocation_ssl
        self.sender.migrate(dom, self.endpoint(dst, port, bool(use_tls)),
                            live, change_home, progress, node)

    # -- with hosts that run xl ---------------------------------------------------
    def send_to_xl(self, dom: Any, rstream: BinaryIO, wstream: BinaryIO,
                   live: bool) -> None:
        from xend.migrate.xl import send_to_xl
        send_to_xl(self.m, dom, rstream, wstream, live)

    def receive_from_xl(self, rstream: BinaryIO, wstream: BinaryIO,
                        paused: bool) -> str:
        from xend.migrate.xl import receive_from_xl
        return receive_from_xl(self.receiver, rstream, wstream, paused)

    def _unresolved(self, record: dict[str, Any]) -> None:
        self.resolver.add(record)

    # -- after a crash --------------------------------------------------------------
    def recover_pending(self) -> list[int]:
        """:meth:`recover`; the domids a re-read table found shut down."""
        return self.recover()[1]

    def recover(self) -> tuple[list[str], list[int]]:
        """Finish or undo the migrations a killed xend left in flight
        (after the manager's own recovery); re-reads the table if any.
        Returns what was done, and the shut-down domids the re-read
        found."""
        done: list[str] = []
        pending: list[int] = []
        records = [r for r in self.m.journal.records()
                   if r.get("op") in ("migrate-in", "migrate-out")]
        records.sort(key=lambda r: r.get("op") != "migrate-in")
        for record in records:
            key = str(record.get("key"))
            try:
                if record.get("op") == "migrate-in":
                    done.append(recover_incoming(self.m, self.outcomes,
                                                 record))
                    self.m.end_record(key)
                    continue
                what, resolved = recover_outgoing(
                    self.m, self.sender, record, self.endpoint_of(record))
                done.append(what)
                if resolved:
                    self.m.end_record(key)
                else:
                    self.resolver.add(record)
            except XendError as exc:
                log.error("cannot recover the migration of %s: %s",
                          record.get("name"), exc)
        if records:
            pending = self.m.attach()
        for what in done:
            log.warning("%s", what)
        return done, pending
