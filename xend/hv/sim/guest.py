"""Threads that make simulated guests act on their own.

:class:`GuestTimer` wakes up when the next pending guest reaction is due (a
guest that acknowledged ``control/shutdown`` powers off after
``guest_shutdown_delay`` seconds) and asks the hypervisor to apply it.  The
clock is injectable, so while a reaction is pending the timer never sleeps
longer than ``MAX_NAP``: a test clock that jumps forward is noticed promptly
(tests can also call ``SimHypervisor.run_due_events`` directly).  With
nothing pending it sleeps until kicked, so an idle xend uses no CPU.

:class:`EventDispatcher` delivers :class:`DomainEvent`\\ s to the callback
given to ``watch_events`` from its own thread, in order, never while the
hypervisor's lock is held.  Events raised before a callback is registered are
kept and delivered once one is.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from xend.hv.base import DomainEvent, EventCallback

log = logging.getLogger(__name__)

MAX_NAP = 0.2


class GuestTimer:
    def __init__(self, next_deadline: Callable[[], float | None],
                 clock: Callable[[], float],
                 run_due: Callable[[], None]) -> None:
        self._next_deadline = next_deadline
        self._clock = clock
        self._run_due = run_due
        self._cond = threading.Condition()
        self._stopped = False
        self._kicked = False
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="sim-guest-timer")
        self._thread.start()

    def kick(self) -> None:
        """Something changed: recompute the next deadline now."""
        with self._cond:
            self._kicked = True
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._kicked = False
            deadline = self._next_deadline()
            with self._cond:
                if self._stopped:
                    return
                if self._kicked:        # changed while we looked: look again
                    continue
                if deadline is None:
                    self._cond.wait()
                    continue
                nap = min(max(deadline - self._clock(), 0.0), MAX_NAP)
                if nap > 0:
                    self._cond.wait(nap)
                if self._stopped:
                    return
            try:
                self._run_due()
            except Exception:   # a bug must not kill the guests' clock
                log.exception("simulated guest timer failed")


class EventDispatcher:
    _STOP = object()

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue()
        self._backlog: list[DomainEvent] = []
        self._callback: EventCallback | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def set_callback(self, callback: EventCallback) -> None:
        with self._lock:
            self._callback = callback
            backlog, self._backlog = self._backlog, []
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, daemon=True, name="sim-events")
                self._thread.start()
        for event in backlog:
            self._queue.put(event)

    def emit(self, events: list[DomainEvent]) -> None:
        with self._lock:
            if self._callback is None:
                self._backlog.extend(events)
                return
        for event in events:
            self._queue.put(event)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event was handed to the callback."""
        done = threading.Event()
        with self._lock:
            if self._thread is None:
                return True
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self) -> None:
        with self._lock:
            thread = self._thread
        if thread is not None:
            self._queue.put(self._STOP)
            if threading.current_thread() is not thread:
                thread.join(timeout=5)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            if isinstance(item, threading.Event):
                item.set()
                continue
            assert isinstance(item, DomainEvent)
            callback = self._callback
            if callback is None:
                continue
            try:
                callback(item)
            except Exception:   # the callback's bug is not ours to die of
                log.exception("domain event callback failed")
