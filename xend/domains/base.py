"""Shared core of the domain services: the table, the hypervisor, lookups.

The operation mixins (:mod:`lifecycle`, :mod:`resources`, :mod:`saverestore`,
:mod:`policy`) build on this class; :class:`xend.domains.manager.DomainManager`
combines them.  Every method is synchronous and thread-safe: the RPC server
runs them in its executor, never on the event loop.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid as uuidlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from xend.domains import testhooks
from xend.domains.inflight import Journal
from xend.domains.table import DomainEntry, DomainTable, as_domid
from xend.errors import DomainNotFound, InvalidState, XendError
from xend.hv.base import DomainInfo, Hypervisor
from xend.model.domconfig import DomainConfig
from xend.model.values import random_mac

log = logging.getLogger("xend.domains")

DOM0_ID = 0
DOM0_NAME = "Domain-0"
DEFAULT_DUMP_PATH = "/var/xen/dump"     # xm dump-core's directory (4.4)


class DomainServiceBase:
    """State every domain operation needs."""

    def __init__(self, hv: Hypervisor, table: DomainTable, *,
                 dom0_min_mem: int = 0,
                 dump_path: str = DEFAULT_DUMP_PATH) -> None:
        self.hv = hv
        self.table = table
        self.dom0_min_mem = dom0_min_mem
        self.dump_path = dump_path
        # Domains paused with xm pause ("paused by admin" in xm domstate,
        # as 4.4's pause flag): cleared by xm unpause and by their death.
        self.admin_paused: set[int] = set()
        # Serialises operations that create domains or change names, so that
        # two concurrent creates can never both pass the uniqueness check.
        self.lifecycle_lock = threading.RLock()
        # Domains xend is saving or destroying on purpose: their shutdown and
        # death events are expected and must not trigger restart policies.
        self.quiet: set[int] = set()
        self.halting: set[int] = set()
        # Domains left shut down by on_*=preserve: a repeat of their
        # shutdown event (backend and Xenstore both report it) is ignored.
        self.kept: set[int] = set()
        # Called after every change to a domain xend keeps (started,
        # reconfigured, renamed, stopped); the Xenstore mirror hooks in here.
        self.on_change: Callable[[DomainEntry], None] | None = None
        # Uuids of the domains whose runtime record :meth:`attach` found
        # for the very domid the hypervisor has: their creation got as far
        # as recording them (see xend.domains.recovery).
        self.recorded_at_start: set[str] = set()

    # -- the in-flight journal ---------------------------------------------
    @property
    def journal(self) -> Journal:
        journal = getattr(self, "_journal", None)
        if journal is None:
            journal = self._journal = Journal(self.table.state_path)
        return journal

    def _end_record(self, key: str) -> None:
        try:
            self.journal.end(key)
        except XendError as exc:
            log.error("%s", exc)

    @contextmanager
    def journaled(self, entry: DomainEntry, op: str,
                  **fields: Any) -> Iterator[None]:
        """Record ``op`` on ``entry`` in the in-flight journal for the time
        of the block; a kill -9 inside leaves the record for recovery.  An
        error inside ends it: the operation cleaned up after itself."""
        key = f"{entry.uuid}.{op}"
        self.journal.begin(key, {"op": op, "uuid": entry.uuid,
                                 "name": entry.name, **fields})
        try:
            yield
        finally:
            self._end_record(key)

    def notify(self, entry: DomainEntry) -> None:
        if self.on_change is not None:
            try:
                self.on_change(entry)
            except Exception:   # a mirror failure must not fail the operation
                log.exception("change hook failed for %s", entry.name)

    # -- resolution ----------------------------------------------------------
    def resolve(self, ref: str | int) -> tuple[DomainEntry | None, int | None]:
        """(entry, domid) for a reference; entry is None for Domain-0 and
        for domains the hypervisor has but xend never heard of."""
        text = str(ref)
        if text in (DOM0_NAME, str(DOM0_ID)):
            return None, DOM0_ID
        try:
            entry = self.table.lookup(text)
            return entry, entry.domid
        except DomainNotFound:
            pass
        domid = as_domid(text)
        if domid is not None:
            try:
                return None, self.hv.domain_info(domid).domid
            except DomainNotFound:
                raise DomainNotFound(text) from None
        if text.isascii() and text.isdigit():
            raise DomainNotFound(text)       # beyond any domid
        infos = self.hv.list_domains()
        for info in infos:
            if text in (info.name, str(info.domid), info.uuid):
                return None, info.domid
        raise DomainNotFound(text)

    def running_domid(self, ref: str | int) -> tuple[DomainEntry | None, int]:
        entry, domid = self.resolve(ref)
        if domid is None:
            raise InvalidState("Domain is not running")
        return entry, domid

    def refuse_dom0(self, domid: int, what: str) -> None:
        if domid == DOM0_ID:
            raise XendError(f"Cannot {what} privileged domain {DOM0_ID}")

    def info(self, domid: int) -> DomainInfo:
        return self.hv.domain_info(domid)

    # -- configuration helpers -----------------------------------------------
    @staticmethod
    def with_changes(cfg: DomainConfig, **changes: Any) -> DomainConfig:
        return dataclasses.replace(cfg, **changes)

    @staticmethod
    def with_uuid(cfg: DomainConfig) -> DomainConfig:
        if cfg.uuid:
            return cfg
        return dataclasses.replace(cfg, uuid=str(uuidlib.uuid4()))

    @staticmethod
    def with_macs(cfg: DomainConfig) -> DomainConfig:
        """*cfg* with a MAC for every vif that names none.

        xend 4.4 chose a vif's MAC once, when the device was configured,
        and kept it in the domain's config: the guest keeps its address
        across reboots, save/restore and xend restarts."""
        if all(vif.mac for vif in cfg.vifs):
            return cfg
        taken = {vif.mac.lower() for vif in cfg.vifs if vif.mac}
        vifs = []
        for vif in cfg.vifs:
            if not vif.mac:
                vif = dataclasses.replace(vif, mac=random_mac(taken))
                taken.add(str(vif.mac))
            vifs.append(vif)
        return dataclasses.replace(cfg, vifs=tuple(vifs))

    def update_config(self, entry: DomainEntry | None, **changes: Any) -> None:
        """Record a configuration change and persist it where it lives."""
        if entry is None:
            return
        with self.table.lock:
            entry.config = self.with_changes(entry.config, **changes)
            self.table.persist(entry)
        self.notify(entry)

    def check_name_free(self, name: str, uuid: str | None,
                        allow_uuid: str | None = None) -> None:
        from xend.errors import DomainExists
        with self.table.lock:
            for entry in self.table.entries.values():
                if entry.uuid == allow_uuid:
                    continue
                if entry.name == name:
                    if entry.domid is not None:
                        raise DomainExists(f"VM name '{name}' already exists "
                                           f"as domain {entry.domid}")
                    raise DomainExists(f"VM name '{name}' already exists as "
                                       "a managed domain")
                if uuid and entry.uuid == uuid:
                    raise DomainExists(f"VM with UUID {uuid} already exists "
                                       f"(as '{entry.name}')")
        if name == DOM0_NAME:
            raise DomainExists(f"VM name '{name}' already exists as domain 0")

    def adopt(self, entry: DomainEntry, domid: int, paused: bool,
              op: str = "create") -> None:
        """Record a domain the hypervisor just created (paused) for
        ``entry`` and run it unless ``paused``.

        Never leaves a half-created domain: if anything fails now, the
        domain is destroyed before the error propagates."""
        try:
            with self.table.lock:
                entry.domid = domid
                self.table.entries[entry.uuid] = entry
                self.table.persist(entry)
            testhooks.pause_at(op + ":recorded")
            if not paused:
                self.hv.unpause(domid)
        except BaseException:
            self.quiet.add(domid)
            try:
                self.hv.destroy(domid)
            except XendError as exc:
                log.error("cannot clean up domain %d: %s", domid, exc)
            self.forget(entry)
            raise
        self.notify(entry)

    def change_running(self, entry: DomainEntry, domid: int, op: str,
                       method: str, args: list[Any],
                       changes: dict[str, Any]) -> None:
        """``hv.<method>(domid, *args)``, then the configuration change.

        Journaled: after a kill -9 between the two, the restarted xend
        finishes the change (both steps can be repeated), so that the
        hypervisor and the recorded configuration agree again."""
        with self.journaled(entry, op, domid=domid, call=method,
                            args=list(args), changes=changes):
            getattr(self.hv, method)(domid, *args)
            testhooks.pause_at(op + ":hv")
            self.update_config(entry, **changes)

    def forget(self, entry: DomainEntry) -> None:
        """A domain stopped: managed ones become halted, others vanish."""
        with self.table.lock:
            entry.domid = None
            self.table.remove_running(entry)
            if not entry.managed:
                self.table.entries.pop(entry.uuid, None)
        self.notify(entry)
