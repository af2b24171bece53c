"""EventPump (xend/hv/libxl_events.py) against a libxl stand-in that, like
libxl's own poll loop, only looks at its queue when it wakes up."""

from __future__ import annotations

import queue
import select
import threading
from typing import Any

from bindings.events import LibxlEvent
from xend.hv.base import DomainEvent
from xend.hv.libxl_events import EventPump


class SleepyLibxl:
    """wait_event: an event queued before the call is returned; one queued
    while it sleeps is not seen until the wake-up fd is written."""

    def __init__(self) -> None:
        self.queued: queue.SimpleQueue[LibxlEvent] = queue.SimpleQueue()
        self.sleeping = threading.Event()

    def wait_event(self, wake_fd: int) -> LibxlEvent | None:
        try:
            return self.queued.get_nowait()
        except queue.Empty:
            pass
        self.sleeping.set()
        select.select([wake_fd], [], [])
        self.sleeping.clear()
        return None

    def enable_domain_death(self, domid: int, user: int) -> Any:
        return f"evgen-{domid}"

    def disable_domain_death(self, evgen: Any) -> None:
        pass


def test_a_nudge_makes_the_pump_look_and_a_stop_ends_it() -> None:
    xl = SleepyLibxl()
    got: list[DomainEvent] = []
    seen = threading.Event()

    def callback(event: DomainEvent) -> None:
        got.append(event)
        seen.set()

    pump = EventPump(xl, callback)  # type: ignore[arg-type]
    pump.start()
    pump.arm(7, "uuid-7")
    assert xl.sleeping.wait(5)
    # Raised in another thread's libxl loop: queued, the pump sleeps on.
    xl.queued.put(LibxlEvent("domain_death", 7, "", 7))
    assert not seen.wait(0.3)
    pump.nudge()
    assert seen.wait(5)
    assert got == [DomainEvent("death", 7, "uuid-7")]   # the uuid from arm
    for _ in range(100):                # many nudges: one wake-up each
        pump.nudge()
    pump.stop()
    pump.nudge()                        # after stop: harmless
