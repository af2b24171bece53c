"""The receiving end of a migration (runs in a relocation worker thread).

Order of events, each durable before the next one can be observed:

1. The header: the config is checked (name free, memory free) and the
   migration is journaled (``<uuid>.migrate-in``) before the image comes.
2. The image is restored, paused, as ``<name>--incoming``; the sender is
   told ``domain received``.
3. The sender's ``cleared to unpause`` commits: the outcome ``committed``
   is written first, then the domain is renamed, recorded and unpaused.
   Until then, a lost connection, a timeout, a failure or a status query
   from the sender (who has given up on this connection) aborts: the
   paused copy is destroyed and the outcome ``aborted`` written.

So the sender can always learn the truth (:meth:`Receiver.status`), and
the copy here never runs unless the decision to commit was recorded.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from xend.errors import (InvalidArgument, NotEnoughMemory, ProtocolError,
                         XendError)
from xend.migrate import frames
from xend.migrate.channel import Channel
from xend.migrate.outcomes import ABORTED, COMMITTED, Outcomes, valid_id
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import to_libxl_json

log = logging.getLogger("xend.migrate")

FIRST_LINE_TIMEOUT = 30.0
IMAGE_TIMEOUT = 120.0        # between two pieces of the image
GO_TIMEOUT = 60.0            # from "received" to the sender's go
INCOMING = "--incoming"
OPS = ("receive", "sslreceive", "status", "help", "quit")


@dataclass
class Incoming:
    mid: str
    config: DomainConfig
    channel: Channel | None
    managed: bool
    paused: bool = False
    node: int = -1              # xm migrate -n: the NUMA node to run on
    domid: int | None = None
    decided: str | None = None


class Receiver:
    def __init__(self, manager: Any, outcomes: Outcomes) -> None:
        self.m = manager
        self.outcomes = outcomes
        self.lock = threading.Lock()
        self.pending: dict[str, Incoming] = {}

    # -- one connection -------------------------------------------------------
    def serve(self, channel: Channel) -> None:
        try:
            channel.settimeout(FIRST_LINE_TIMEOUT)
            try:
                op, fields = frames.parse_request_line(channel.read_line())
            except frames.FrameError as exc:
                log.warning("relocation from %s: not a relocation "
                            "request: %s", channel.peer, exc)
                channel.send(frames.error_line("ProtocolError", str(exc)))
                return
            if op not in OPS:
                channel.send(frames.error_line(
                    "XendError", f"Invalid operation: {op}"))
            elif op == "help":
                channel.send(("(ops " + " ".join(OPS) + ")\n").encode())
            elif op == "status":
                channel.send(frames.outcome_line(
                    self.status(fields.get("id", ""))))
            elif op in ("receive", "sslreceive"):
                self._receive(channel, fields)
        except XendError as exc:
            log.warning("relocation from %s: %s", channel.peer, exc)
        finally:
            channel.close()

    def _receive(self, channel: Channel, fields: dict[str, str]) -> None:
        mid = fields.get("id", "")
        if fields.get("protocol") != str(frames.PROTOCOL) or \
                not valid_id(mid):
            channel.send(frames.error_line(
                "XendError", "this xend accepts relocation protocol "
                f"{frames.PROTOCOL} only (xend 4.4's stream has no final "
                "handshake and could lose the domain)"))
            return
        channel.send(frames.READY)
        kind, payload = channel.read_frame()
        if kind != frames.KIND_HEADER:
            raise ProtocolError(f"expected the header (from {channel.peer})")
        try:
            inc = self._accept(mid, channel, frames.parse_json(payload))
        except (XendError, frames.FrameError) as exc:
            log.warning("refused migration from %s: %s", channel.peer, exc)
            channel.send_error(exc)
            return
        try:
            self._run(inc)
        except BaseException as exc:
            self.abort(inc, exc)
            if isinstance(exc, XendError):
                channel.send_error(exc)
                return
            raise

    def _accept(self, mid: str, channel: Channel,
                header: dict[str, Any]) -> Incoming:
        config = header.get("config")
        if not isinstance(config, dict):
            raise InvalidArgument("the migration header has no config")
        cfg = DomainConfig.from_dict(config)
        node = header.get("node", -1)
        if not isinstance(node, int) or isinstance(node, bool) or node < -1:
            raise InvalidArgument(f"bad NUMA node {node!r}")
        nodes = self.m.hv.host_info().nr_nodes
        if node >= nodes:
            raise InvalidArgument(f"there is no NUMA node {node} here "
                                  f"(this host has {nodes})")
        inc = self.admit(mid, cfg, bool(header.get("managed")),
                         bool(header.get("paused")), channel)
        inc.node = node
        log.info("receiving domain %s from %s", cfg.name, channel.peer)
        return inc

    def admit(self, mid: str, cfg: DomainConfig, managed: bool,
              paused: bool, channel: Channel | None,
              local_source: bool = False) -> Incoming:
        """Check there is room for ``cfg`` and journal its arrival.
        ``local_source``: a running domain here with the same uuid and name
        may be the sender (xl migrating a domain to this host)."""
        if not cfg.uuid:
            raise InvalidArgument("the migrating domain has no uuid")
        with self.m.lifecycle_lock:
            self._check_room(cfg, local_source)
            inc = Incoming(mid, cfg, channel, managed, paused)
            with self.lock:
                if mid in self.pending:
                    raise InvalidArgument(f"migration {mid} is already "
                                          "in progress")
                self.pending[mid] = inc
            try:
                self._journal(inc, "receiving")
            except BaseException:
                with self.lock:
                    self.pending.pop(mid, None)
                raise
        return inc

    def _check_room(self, cfg: DomainConfig, local_source: bool) -> None:
        """Name and uuid free here (unless this very xend is the sender: a
        localhost migration), and memory for the domain."""
        uuid = str(cfg.uuid)
        local = self.m.migrating_out(uuid)
        entry = self.m.table.entries.get(uuid)
        if entry is not None and entry.name == cfg.name:
            # Coming home: a managed domain halted here runs again.
            home = entry.managed and entry.domid is None
            # xl (the sender) migrating a domain of this host to it.
            xl_local = local_source and entry.domid is not None
            local = local or home or xl_local
        self.m.check_name_free(cfg.name, str(cfg.uuid),
                               allow_uuid=str(cfg.uuid) if local else None)
        if cfg.name.endswith(INCOMING):
            raise InvalidArgument(f"bad domain name {cfg.name}")
        free_mib = self.m.hv.host_info().free_memory_kb // 1024
        need = cfg.memory + cfg.shadow_memory     # 4.4: memory + shadow
        if need > free_mib:
            raise NotEnoughMemory(
                f"not enough memory for {cfg.name}: it needs {need} MiB, "
                f"{free_mib} MiB are free")

    def _journal(self, inc: Incoming, stage: str) -> None:
        self.m.journal.begin(f"{inc.config.uuid}.migrate-in", {
            "op": "migrate-in", "uuid": str(inc.config.uuid),
            "name": inc.config.name, "id": inc.mid, "stage": stage,
            "domid": inc.domid, "managed": inc.managed,
            "paused": inc.paused, "config": inc.config.to_dict()})

    def _end(self, inc: Incoming) -> None:
        with self.lock:
            self.pending.pop(inc.mid, None)
        self.m.end_record(f"{inc.config.uuid}.migrate-in")

    # -- the image, the go, the commit ------------------------------------------
    def _run(self, inc: Incoming) -> None:
        channel = inc.channel
        assert channel is not None
        channel.send_message({"msg": frames.ACCEPT})
        channel.settimeout(IMAGE_TIMEOUT)
        with channel.image_reader() as stream:
            self.restore_paused(inc, stream)
        channel.send_message({"msg": frames.RECEIVED})
        channel.settimeout(GO_TIMEOUT)
        channel.expect(frames.GO)
        self.commit(inc)
        log.info("received domain %s (id %s) from %s", inc.config.name,
                 inc.domid, channel.peer)
        try:
            channel.send_message({"msg": frames.RESULT, "status": 0})
        except XendError as exc:
            # Committed: it runs here; the sender learns it by asking.
            log.warning("cannot tell %s that %s runs here: %s",
                        channel.peer, inc.config.name, exc)

    def restore_paused(self, inc: Incoming, stream: BinaryIO) -> None:
        """The image, restored paused as ``<name>--incoming``."""
        shell = replace(inc.config, name=inc.config.name + INCOMING)
        nr_cpus = self.m.hv.host_info().nr_cpus
        config = to_libxl_json(shell, nr_cpus)
        if inc.node >= 0:
            # 4.4's (node N): place the domain's memory and vcpus there.
            config["b_info"]["nodemap"] = [inc.node]
            config["b_info"]["numa_placement"] = "False"
        try:
            inc.domid = self.m.hv.restore(config, stream)
        finally:
            if inc.domid is not None:
                self.m.quiet.add(inc.domid)
        self._journal(inc, "received")

    def commit(self, inc: Incoming) -> None:
        """The sender let go: record it, then run the domain here."""
        self._decide(inc, COMMITTED)
        try:
            self.m.commit_incoming(inc.config, inc.domid, inc.managed,
                                   inc.paused)
        except BaseException as exc:
            log.error("cannot start the received domain %s: %s",
                      inc.config.name, exc)
            self._decide(inc, ABORTED, after_commit=True)
            raise
        self._end(inc)

    def _decide(self, inc: Incoming, outcome: str,
                after_commit: bool = False) -> None:
        """Record the outcome durably, then act on it; the first decision
        wins (a status query may have aborted meanwhile)."""
        with self.lock:
            if inc.decided is not None and not after_commit:
                if inc.decided == outcome:
                    return
                raise ProtocolError(f"the migration was {inc.decided} "
                                    "meanwhile")
            self.outcomes.record(inc.mid, outcome, str(inc.config.uuid),
                                 inc.config.name)
            if outcome == COMMITTED:
                self._journal(inc, "committed")
            inc.decided = outcome

    def abort(self, inc: Incoming, exc: BaseException) -> None:
        if inc.decided == COMMITTED:
            # Never undone: the sender may have been told, and destroyed
            # its copy.
            log.error("migration of %s: %s after the commit; the domain "
                      "stays here", inc.config.name, exc)
            return
        log.warning("migration of %s from %s aborted: %s", inc.config.name,
                    inc.channel.peer if inc.channel else "xl", exc)
        try:
            with self.lock:
                if inc.decided != ABORTED:
                    self.outcomes.record(inc.mid, ABORTED,
                                         str(inc.config.uuid),
                                         inc.config.name)
                    inc.decided = ABORTED
        except XendError as err:
            log.error("cannot record the aborted migration: %s", err)
        if inc.domid is not None:
            self.m.destroy_incoming(inc.domid)
        self._end(inc)

    # -- the sender asks ----------------------------------------------------------
    def status(self, mid: str) -> str:
        """committed | aborted | unknown.  Asking aborts a migration still
        waiting for its go: the sender has given up on that connection."""
        with self.lock:
            inc = self.pending.get(mid)
            if inc is not None:
                if inc.decided is None:
                    self.outcomes.record(mid, ABORTED, str(inc.config.uuid),
                                         inc.config.name)
                    inc.decided = ABORTED
                    if inc.channel is not None:
                        inc.channel.abort()
                return inc.decided
        return self.outcomes.get(mid)

