"""Domain shutdown/death events for the libxl backend.

libxl does not act on a guest's shutdown (``on_poweroff`` etc.); xend does,
so it must hear of every one.  :class:`EventPump` keeps one
``libxl_evenable_domain_death`` evgen per domain and a dedicated thread
blocked in libxl's event loop (with a wake-up pipe so :meth:`stop` can end
it and :meth:`nudge` make it look for events), and turns libxl events into
:class:`DomainEvent` callbacks.

libxl reports one shutdown per evgen, never a second one, even if the
domain is resumed after a save; :meth:`rearm` replaces the evgen after a
resume so the next shutdown is reported too.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from bindings.events import LibxlEvent
from bindings.libxl import Libxl
from xend.errors import DomainNotFound, XendError
from xend.hv.base import DomainEvent, EventCallback

log = logging.getLogger("xend.hv.libxl")


class EventPump:
    """Delivers DomainEvents for the domains it has armed."""

    def __init__(self, xl: Libxl, callback: EventCallback,
                 already_seen: set[int] | None = None) -> None:
        """``already_seen``: domains the caller already knows are shut
        down; libxl reports their shutdown as soon as they are armed, and
        that first report is dropped, so each shutdown reaches xend once
        (by its start-up scan or by an event, never both)."""
        self._xl = xl
        self._callback = callback
        self._lock = threading.Lock()
        self._armed: dict[int, Any] = {}     # domid -> evgen
        self._uuids: dict[int, str] = {}     # domid -> uuid, given to arm
        self._already_seen = set(already_seen or ())
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run,
                                        name="libxl-events", daemon=True)
        self._stopping = False
        self._closed = False

    # -- arming ------------------------------------------------------------
    def arm(self, domid: int, uuid: str = "") -> None:
        """Report this domain's shutdown and death (idempotent).  ``uuid``
        goes into its events when libxl's lack it (a death: the domain is
        gone by then)."""
        if domid == 0:
            return
        with self._lock:
            if uuid:
                self._uuids[domid] = uuid
            if self._stopping or domid in self._armed:
                return
            try:
                self._armed[domid] = self._xl.enable_domain_death(domid, domid)
            except DomainNotFound:
                pass

    def rearm(self, domid: int) -> None:
        """A fresh evgen for a domain that was shut down and resumed."""
        with self._lock:
            old = self._armed.pop(domid, None)
            self._already_seen.discard(domid)
        if old is not None:
            self._xl.disable_domain_death(old)
        self.arm(domid)

    def _uuid(self, domid: int) -> str:
        with self._lock:
            return self._uuids.get(domid, "")

    def _disarm(self, domid: int) -> None:
        with self._lock:
            evgen = self._armed.pop(domid, None)
        if evgen is not None:
            self._xl.disable_domain_death(evgen)

    # -- the thread --------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                event = self._xl.wait_event(self._wake_r)
            except XendError as exc:
                # libxl's poller failing is a "disaster": nothing to retry
                log.error("libxl event loop failed: %s", exc)
                return
            if event is None:     # woken: by stop(), or nudged
                with self._lock:
                    if self._stopping:
                        return
                self._drain_wake_pipe()
                continue
            self._dispatch(event)

    def nudge(self) -> None:
        """Look for events now.  An event libxl raised while another
        thread ran its own event loop (a synchronous call such as destroy
        read the Xenstore watch) is queued without waking this thread,
        which sleeps on the fds libxl gave it: so after such calls the
        backend nudges it (libxl_event_check then finds the event)."""
        with self._lock:
            if self._closed:
                return
            try:
                os.write(self._wake_w, b"n")
            except BlockingIOError:
                pass            # full: a wake-up is pending anyway

    def _drain_wake_pipe(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _dispatch(self, event: LibxlEvent) -> None:
        if event.type == "domain_shutdown":
            with self._lock:
                seen = event.domid in self._already_seen
                self._already_seen.discard(event.domid)
            if seen:
                log.debug("domain %d was already shut down when armed",
                          event.domid)
                return
            out = DomainEvent("shutdown", event.domid,
                              event.uuid or self._uuid(event.domid),
                              event.shutdown_reason)
        elif event.type == "domain_death":
            with self._lock:
                self._already_seen.discard(event.domid)
                uuid = event.uuid or self._uuids.get(event.domid, "")
                self._uuids.pop(event.domid, None)
            self._disarm(event.domid)
            out = DomainEvent("death", event.domid, uuid)
        else:
            log.debug("ignoring libxl event %s for domain %d", event.type,
                      event.domid)
            return
        try:
            self._callback(out)
        except Exception:
            log.exception("domain event callback failed for %s", out)

    def stop(self) -> None:
        """End the thread, disarm every domain, close the pipe."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        self.nudge()
        if self._thread.is_alive():
            self._thread.join()
        with self._lock:
            armed, self._armed = self._armed, {}
        for evgen in armed.values():
            self._xl.disable_domain_death(evgen)
        with self._lock:
            self._closed = True
            os.close(self._wake_r)
            os.close(self._wake_w)
