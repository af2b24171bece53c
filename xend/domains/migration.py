"""The domain-table side of migration: what the sender and the receiver
(:mod:`xend.migrate`) change in xend's own records.

A domain migrating out is marked (``migrating_out``), so that a localhost
migration -- this xend sending to itself -- may receive a domain whose
uuid and name the table still holds: at the commit the entry is pointed at
the received domain, and the sender then destroys the old one without
forgetting the entry.
"""

from __future__ import annotations

import logging

from xend.domains.base import DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import DomainNotFound, InvalidState, XendError
from xend.model.domconfig import DomainConfig

log = logging.getLogger("xend.domains")


class MigrationMixin(DomainServiceBase):

    @property
    def _outgoing(self) -> set[str]:
        out = getattr(self, "_outgoing_set", None)
        if out is None:
            out = set()
            self._outgoing_set: set[str] = out
        return out

    def migrating_out(self, uuid: str) -> bool:
        return uuid in self._outgoing

    def mark_outgoing(self, uuid: str, on: bool) -> None:
        if on:
            self._outgoing.add(uuid)
        else:
            self._outgoing.discard(uuid)

    def end_record(self, key: str) -> None:
        self._end_record(key)

    def movable(self, ref: str | int, what: str = "migrate"
                ) -> tuple[DomainEntry, int]:
        """(entry, domid) of a domain that may be saved or migrated: not
        Domain-0, known to xend with a config, not ``nomigrate``.  A
        migration also needs it running (4.4: not paused)."""
        entry, domid = self.running_domid(ref)
        self.refuse_dom0(domid, what)
        if entry is None:
            raise XendError(f"Domain '{ref}' has no configuration to {what}")
        if getattr(entry.config, "nomigrate", 0):
            done = "saved" if what == "save" else "migrated"
            raise XendError(f"Domain has nomigrate set: it cannot be {done}")
        if what == "migrate":
            info = self.hv.domain_info(domid)
            if info.shutdown or info.paused:
                raise InvalidState("Domain is not running")
        return entry, domid

    def _point_at(self, entry: DomainEntry, cfg: DomainConfig, domid: int,
                  managed: bool) -> None:
        """The entry now names the received domain; caller holds the
        table lock."""
        entry.domid = domid
        entry.config = cfg
        if managed and not entry.managed:
            entry.managed = True
            self.table.save_managed(entry)
        self.table.persist(entry)

    # -- receiving ---------------------------------------------------------------
    def commit_incoming(self, cfg: DomainConfig, domid: int | None,
                        managed: bool, paused: bool = False) -> None:
        """Give the received domain its name, record it, run it."""
        if domid is None:
            raise InvalidState("no domain was received")
        with self.lifecycle_lock:
            self.hv.rename(domid, cfg.name)
            existing = self.table.entries.get(str(cfg.uuid))
            self.quiet.discard(domid)
            if existing is not None and self.migrating_out(existing.uuid):
                self._switch_local(existing, cfg, domid, managed, paused)
                return
            if existing is not None and existing.managed and \
                    existing.domid is None:
                # Home again: the managed domain here runs the new config.
                entry = existing
                entry.config = cfg
                self.table.save_managed(entry)
                self.adopt(entry, domid, paused, op="migrate-in")
                return
            entry = DomainEntry(config=cfg, managed=managed)
            if managed:
                self.table.save_managed(entry)
            try:
                self.adopt(entry, domid, paused, op="migrate-in")
            except BaseException:
                if managed:
                    self.table.remove_managed(entry)
                    with self.table.lock:
                        self.table.entries.pop(entry.uuid, None)
                raise

    def _switch_local(self, entry: DomainEntry, cfg: DomainConfig,
                      domid: int, managed: bool, paused: bool) -> None:
        """Localhost: the table's entry is the sender's; point it at the
        new domain (the sender destroys the old one)."""
        old = entry.domid
        with self.table.lock:
            self._point_at(entry, cfg, domid, managed)
        try:
            if not paused:
                self.hv.unpause(domid)
        except BaseException:
            with self.table.lock:
                entry.domid = old
                self.table.persist(entry)
            raise
        self.notify(entry)

    def destroy_incoming(self, domid: int) -> None:
        """Destroy a received copy that will not run (aborted)."""
        self.quiet.add(domid)
        try:
            self.hv.destroy(domid)
        except DomainNotFound:
            pass
        except XendError as exc:
            log.error("cannot destroy the aborted incoming domain %d: %s",
                      domid, exc)
        entry = self.table.by_domid(domid)
        if entry is not None and not self.migrating_out(entry.uuid):
            self.forget(entry)

    # -- sending -------------------------------------------------------------------
    def finish_outgoing(self, entry: DomainEntry, domid: int,
                        change_home: bool) -> None:
        """The destination runs the domain: destroy the copy here.  A
        managed domain stays managed here (halted) unless its home moved
        with ``-c``; if this xend was the destination too, the entry
        already names the new domain and stays."""
        self.quiet.add(domid)
        try:
            self.hv.destroy(domid)
        except DomainNotFound:
            pass
        with self.lifecycle_lock:
            if entry.domid != domid:
                return                          # localhost: moved in place
            if change_home and entry.managed:
                self.forget(entry)
                self.table.remove_managed(entry)
                with self.table.lock:
                    self.table.entries.pop(entry.uuid, None)
            else:
                self.forget(entry)

    def undo_outgoing(self, entry: DomainEntry, domid: int,
                      renamed: bool) -> None:
        """The migration failed: this copy runs again, under its name."""
        if renamed:
            try:
                self.hv.rename(domid, entry.name)
            except XendError as exc:
                log.error("cannot rename domain %d back to %s: %s", domid,
                          entry.name, exc)
        self._resume_after_failure(domid)     # type: ignore[attr-defined]

    def finish_recovered_incoming(self, cfg: DomainConfig, domid: int,
                                  managed: bool, paused: bool) -> None:
        """At start-up: a received domain whose commit was recorded.  The
        table (rebuilt by attach) may hold it under a guessed config."""
        with self.lifecycle_lock:
            with self.table.lock:
                entry = self.table.entries.get(str(cfg.uuid))
                if entry is None:
                    entry = DomainEntry(config=cfg, managed=managed)
                    self.table.entries[entry.uuid] = entry
                self._point_at(entry, cfg, domid, managed)
            self.quiet.discard(domid)
            if not paused and self.hv.domain_info(domid).paused:
                self.hv.unpause(domid)
        self.notify(entry)
