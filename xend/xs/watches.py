"""Xenstore watches turned into domain events for xend's restart policies.

xenstored fires ``@releaseDomain`` when a domain shuts down, crashes or is
destroyed, without saying which.  So, as every toolstack does, a firing
makes xend compare the hypervisor's domain list with the domains it knows
and deliver what changed: ``DomainEvent("shutdown", domid, uuid, reason)``
for a domain newly shut down, ``DomainEvent("death", ...)`` for one that is
gone.  ``@introduceDomain`` is not watched: a domain being introduced
changes nothing a scan reports, and scanning on it made every create cost a
walk of every domain.

The watch callback runs on the store's watch thread and only queues a scan
on xend's executor (never the event loop); firings that arrive while a scan
is queued are merged into it.  The backend may report the same change too:
``DomainManager.handle_event`` acts on each change once.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from xenstore.store import Store, WatchEvent

from xend.domains.table import DomainTable
from xend.hv.base import DomainEvent, Hypervisor

log = logging.getLogger("xend.xs")

RELEASE = "@releaseDomain"
INTRODUCE = "@introduceDomain"
TOKEN = "xend-domains"

Submit = Callable[[Callable[[], None]], None]


class DomainWatcher:
    """Watches ``@releaseDomain``/``@introduceDomain``; delivers events."""

    def __init__(self, store: Store, hv: Hypervisor, table: DomainTable,
                 deliver: Callable[[DomainEvent], None],
                 submit: Submit) -> None:
        self.store = store
        self.hv = hv
        self.table = table
        self.deliver = deliver
        self.submit = submit
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()  # one scan at a time
        self._queued = False
        # Changes already delivered, so that a later firing (another
        # domain's) does not report them again: domid -> what.
        self._reported: dict[int, str] = {}
        self._known: set[int] = set()
        self._watching: list[str] = []

    def start(self) -> None:
        """Register the watch (it fires once at once: a first scan)."""
        for path in (RELEASE,):
            self.store.watch(path, TOKEN, self._fired)
            self._watching.append(path)

    def stop(self) -> None:
        for path in self._watching:
            try:
                self.store.unwatch(path, TOKEN)
            except Exception as exc:    # the store may be gone already
                log.debug("xenstore: unwatch %s: %s", path, exc)
        self._watching.clear()

    def _fired(self, event: WatchEvent) -> None:
        with self._lock:
            if self._queued:
                return
            self._queued = True
        try:
            self.submit(self.scan)
        except RuntimeError:            # the executor is shut: xend stops
            with self._lock:
                self._queued = False

    def scan(self) -> None:
        """Compare the hypervisor with the table; deliver the differences."""
        with self._scan_lock:
            with self._lock:
                self._queued = False
            self._scan()

    def _scan(self) -> None:
        # The table first: a domain xend records was created before its
        # domid was stored, so missing from the list taken after means dead.
        with self.table.lock:
            known = {e.domid: e.uuid for e in self.table.entries.values()
                     if e.domid is not None}
        infos = {i.domid: i for i in self.hv.list_domains()}
        new = set(infos) - self._known - {0}
        self._known = set(infos)
        for domid in sorted(new):
            if domid not in known:
                # Often one xend is creating: its domid is recorded only
                # once the create returns.
                log.debug("xenstore: domain %d appeared", domid)
        # Forget what was delivered once xend forgot the domain, or it
        # runs again (resumed): its next shutdown is news.
        for domid in list(self._reported):
            info = infos.get(domid)
            if domid not in known or (info is not None and not info.shutdown):
                del self._reported[domid]
        for domid, uuid in sorted(known.items()):
            info = infos.get(domid)
            if info is None:
                event = DomainEvent("death", domid, uuid)
                what = "death"
            elif info.shutdown:
                event = DomainEvent("shutdown", domid, uuid,
                                    info.shutdown_reason)
                what = f"shutdown {info.shutdown_reason}"
            else:
                continue
            if self._reported.get(domid) != what:
                self._reported[domid] = what
                self._send(event)

    def _send(self, event: DomainEvent) -> None:
        log.debug("xenstore: %s of domain %d (%s)", event.kind, event.domid,
                  event.reason or "-")
        try:
            self.deliver(event)
        except Exception:       # one domain's failure must not hide others
            log.exception("handling %s of domain %d failed", event.kind,
                          event.domid)
