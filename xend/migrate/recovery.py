"""Migrations a killed xend left in its journal, finished or undone.

* ``migrate-in`` (this host was receiving): unless the commit was recorded,
  the paused ``<name>--incoming`` copy is destroyed and the outcome
  ``aborted`` written (the sender learns it and resumes its copy).  After
  a recorded commit, the domain is named, recorded and run.
* ``migrate-out`` (this host was sending): before ``go`` the copy here is
  resumed (the destination aborts when the connection drops).  After
  ``go``, the destination is asked what it decided; until it answers, the
  copy stays suspended and :class:`Resolver` keeps asking.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from xend.errors import XendError
from xend.migrate.outcomes import ABORTED, COMMITTED, Outcomes
from xend.migrate.receive import INCOMING
from xend.migrate.send import AWAY, Endpoint, Sender
from xend.model.domconfig import DomainConfig

log = logging.getLogger("xend.migrate")

RETRY_SECONDS = 5.0


def _domain(m: Any, domid: Any, uuid: str) -> int | None:
    """``domid`` if the hypervisor still has it with that uuid."""
    if not isinstance(domid, int):
        return None
    try:
        info = m.hv.domain_info(domid)
    except XendError:
        return None
    return domid if info.uuid == uuid else None


def _incoming_domids(m: Any, uuid: str, name: str) -> list[int]:
    return [i.domid for i in m.hv.list_domains()
            if i.uuid == uuid and i.name == name + INCOMING]


def recover_incoming(m: Any, outcomes: Outcomes,
                     record: dict[str, Any]) -> str:
    uuid, name = str(record.get("uuid")), str(record.get("name"))
    mid = str(record.get("id", ""))
    domid = _domain(m, record.get("domid"), uuid)
    if record.get("stage") == "committed" and domid is not None:
        cfg = config_of_record(record)
        if cfg is None:
            return f"cannot finish receiving {name}: no configuration"
        m.hv.rename(domid, name)
        m.finish_recovered_incoming(cfg, domid, bool(record.get("managed")),
                                    bool(record.get("paused")))
        return f"finished receiving {name} (id {domid}): it runs"
    if mid:
        outcomes.record(mid, ABORTED, uuid, name)
    gone = [d for d in {domid, *_incoming_domids(m, uuid, name)}
            if d is not None]
    for d in gone:
        m.destroy_incoming(d)
    return f"aborted receiving {name}: destroyed {len(gone)} paused copy"


def recover_outgoing(m: Any, sender: Sender, record: dict[str, Any],
                     endpoint: Endpoint | None) -> tuple[str, bool]:
    """(what was done, resolved)."""
    uuid, name = str(record.get("uuid")), str(record.get("name"))
    key = str(record.get("key", f"{uuid}.migrate-out"))
    domid = _domain(m, record.get("domid"), uuid)
    entry = m.table.entries.get(uuid)
    if domid is None:
        return f"dropped the migration record of {name}: domain gone", True
    if entry is None:
        return f"dropped the migration record of {name}: not ours", True
    if record.get("stage") != "go":
        m.undo_outgoing(entry, domid, renamed=True)
        return f"undid the interrupted migration of {name}: it runs here", \
            True
    outcome = None
    to = record.get("to")
    if isinstance(to, dict) and to.get("xl"):
        return (f"migration of {name} to an xl host was cut after the go: "
                f"kept suspended as {name}{AWAY} (xl cannot be asked; check "
                "the destination, then destroy or resume it)"), True
    if endpoint is not None:
        try:
            word = endpoint.ask_outcome(str(record.get("id")))
            outcome = COMMITTED if word == COMMITTED else ABORTED
        except XendError as exc:
            log.warning("cannot ask %s about %s yet: %s", endpoint.host,
                        name, exc)
    if outcome is None:
        m.mark_outgoing(uuid, True)
        return (f"migration of {name} to "
                f"{endpoint.host if endpoint else '?'} unresolved: kept "
                f"suspended as {name}{AWAY}"), False
    m.mark_outgoing(uuid, True)
    sender.settle(entry, domid, key, outcome, record)
    return (f"finished the interrupted migration of {name}: "
            f"{'it runs on the destination' if outcome == COMMITTED else 'it runs here'}"), True


class Resolver:
    """Asks destinations about migrations whose outcome is unknown, every
    few seconds, only while there are some (xend otherwise idles)."""

    def __init__(self, m: Any, sender: Sender,
                 endpoint_of: Any) -> None:
        self.m = m
        self.sender = sender
        self.endpoint_of = endpoint_of
        self.lock = threading.Lock()
        self.pending: dict[str, dict[str, Any]] = {}
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def add(self, record: dict[str, Any]) -> None:
        key = str(record.get("key", f"{record.get('uuid')}.migrate-out"))
        with self.lock:
            self.pending[key] = {**record, "key": key}
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, daemon=True,
                                               name="xend-migrate-resolve")
                self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.wait(RETRY_SECONDS):
            with self.lock:
                todo = list(self.pending.values())
            for record in todo:
                try:
                    what, done = recover_outgoing(
                        self.m, self.sender, record,
                        self.endpoint_of(record))
                except XendError as exc:
                    what, done = str(exc), False
                if done:
                    log.warning("%s", what)
                    self.m.end_record(record["key"])
                    with self.lock:
                        self.pending.pop(record["key"], None)
            with self.lock:
                if not self.pending:
                    self.thread = None
                    return

    def stop(self) -> None:
        self.stop_event.set()


def config_of_record(record: dict[str, Any]) -> DomainConfig | None:
    cfg = record.get("config")
    if not isinstance(cfg, dict):
        return None
    try:
        return DomainConfig.from_dict(cfg)
    except XendError:
        return None
