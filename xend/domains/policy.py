"""Restart policies: what xend does when a domain shuts down or dies.

libxl does not apply ``on_poweroff``/``on_reboot``/``on_crash``; the
toolstack must (as xl's ``handle_domain_death`` does).  A shutdown event's
reason picks the action from the domain's configuration:

* ``destroy``: destroy it (a managed domain becomes halted);
* ``restart``: destroy it and start it again from its configuration;
* ``rename-restart``: keep the dead domain under a new name, start a new one;
* ``preserve``: leave it as it is, shut down;
* ``coredump-destroy`` / ``coredump-restart``: dump the core to the dump
  directory (as ``xm dump-core`` without a file name), then destroy /
  restart; a failed dump is logged and the action goes on, as in xl.

A domain restarted more than ``RESTART_BURST`` times within
``RESTART_WINDOW`` seconds is destroyed instead ("restarting too fast").
Suspends are ignored (a save is in progress); shutdowns and deaths xend caused
itself (destroy, save) are recognised and not acted on twice.
"""

from __future__ import annotations

import logging
import time
import uuid as uuidlib

from xend.domains.base import DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import XendError
from xend.hv.base import DomainEvent

log = logging.getLogger("xend.policy")

RESTART_WINDOW = 60.0
RESTART_BURST = 5

_REASON_KEY = {"poweroff": "on_poweroff", "reboot": "on_reboot",
               "crash": "on_crash", "watchdog": "on_crash",
               "soft_reset": "on_reboot"}
_DEFAULTS = {"on_poweroff": "destroy", "on_reboot": "restart",
             "on_crash": "restart"}


class PolicyMixin(DomainServiceBase):

    def handle_event(self, event: DomainEvent) -> None:
        """Apply the restart policy for one hypervisor event.

        Events may arrive twice (from the backend and from Xenstore
        watches) and concurrently: they are handled one at a time, and a
        shutdown is acted on only while the hypervisor still shows that
        domain shut down."""
        with self.lifecycle_lock:
            self._handle_event(event)

    def _handle_event(self, event: DomainEvent) -> None:
        entry = self.table.by_domid(event.domid)
        if event.kind == "death":
            self.quiet.discard(event.domid)
            self.halting.discard(event.domid)
            self.kept.discard(event.domid)
            self.admin_paused.discard(event.domid)
            if entry is not None and entry.domid == event.domid:
                log.info("domain %s (id %d) died", entry.name, event.domid)
                self.forget(entry)
            return
        if event.kind != "shutdown" or event.reason == "suspend":
            return
        if event.domid in self.quiet or event.domid in self.kept or entry is None:
            return
        try:
            if not self.hv.domain_info(event.domid).shutdown:
                return
        except XendError:        # gone already: nothing left to do
            return
        if event.domid in self.halting:
            self.halting.discard(event.domid)
            action = "destroy"
        else:
            key = _REASON_KEY.get(event.reason or "", "on_poweroff")
            action = str(getattr(entry.config, key, None) or _DEFAULTS[key])
        log.info("domain %s (id %d) shut down (%s): %s", entry.name,
                 event.domid, event.reason, action)
        try:
            self.apply_action(entry, event.domid, action)
        except XendError as exc:
            log.error("restart policy '%s' for %s failed: %s", action,
                      entry.name, exc)

    def apply_action(self, entry: DomainEntry, domid: int, action: str) -> None:
        if action == "preserve":
            self.kept.add(domid)
            return
        if action.startswith("coredump-"):
            self.dump_core_after_shutdown(  # type: ignore[attr-defined]
                domid, entry.name)
            action = action[len("coredump-"):]
        restart = action in ("restart", "rename-restart")
        if restart and self._too_fast(entry):
            log.error("domain %s is restarting too fast (%d restarts in "
                      "%d s); destroying it", entry.name, RESTART_BURST,
                      RESTART_WINDOW)
            restart = False
            action = "destroy"
        with self.lifecycle_lock:
            if action == "rename-restart":
                preserved = "Domain-" + str(uuidlib.uuid4())
                self.hv.rename(domid, preserved)
                log.info("preserved the old %s as %s", entry.name, preserved)
            else:
                self.quiet.add(domid)
                self.hv.destroy(domid)
            self.forget(entry)
            if not restart:
                return
            entry.restart_count += 1
            entry.restart_times.append(time.monotonic())
            if action == "rename-restart":
                # The preserved domain keeps the old uuid; the new one needs
                # its own, and a managed domain moves to it.
                with self.table.lock:
                    self.table.entries.pop(entry.uuid, None)
                    if entry.managed:
                        self.table.remove_managed(entry)
                    entry.config = self.with_changes(
                        entry.config, uuid=str(uuidlib.uuid4()))
                    if entry.managed:
                        self.table.save_managed(entry)
                        self.table.entries[entry.uuid] = entry
            self.boot(entry, paused=False,  # type: ignore[attr-defined]
                      op="reboot")

    @staticmethod
    def _too_fast(entry: DomainEntry) -> bool:
        now = time.monotonic()
        entry.restart_times = [t for t in entry.restart_times
                               if now - t < RESTART_WINDOW]
        return len(entry.restart_times) >= RESTART_BURST
