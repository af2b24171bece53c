"""libxl domain death/shutdown events.

:class:`EventOps` arms and disarms ``libxl_evenable_domain_death`` per
domain and waits for the next event with the shim's ``xend_event_wait``:
libxl's own beforepoll/poll/afterpoll loop plus one wake-up fd, so the
waiting thread can be stopped.  An event crosses as ``libxl_event_to_json``
and is decoded by :func:`decode_event` into a :class:`LibxlEvent`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bindings.context import JSON, Context
from bindings.errors import check, fail

# libxl_shutdown_reason (the event carries it as a plain integer)
SHUTDOWN_REASONS: dict[int, str] = {
    0: "poweroff", 1: "reboot", 2: "suspend", 3: "crash", 4: "watchdog",
    5: "soft_reset",
}


@dataclass(frozen=True)
class LibxlEvent:
    """One libxl event, decoded from its JSON."""

    type: str              # domain_shutdown | domain_death | disk_eject | ...
    domid: int
    uuid: str
    user: int              # the libxl_ev_user given to evenable
    shutdown_reason: str | None = None   # for domain_shutdown


def decode_event(doc: JSON) -> LibxlEvent:
    """A :class:`LibxlEvent` from ``libxl_event_to_json`` output.

    Fields at their default are omitted by libxl: domid 0, user 0 and
    shutdown_reason 0 (poweroff) may all be absent.
    """
    kind = "unknown"
    body: Any = {}
    for key, value in doc.items():
        if key.startswith("type."):
            kind, body = key[len("type."):], value
    if kind == "unknown" and isinstance(doc.get("type"), str):
        kind = doc["type"]
    reason = None
    if kind == "domain_shutdown":
        code = body.get("shutdown_reason", 0) if isinstance(body, dict) else 0
        if isinstance(code, str):
            reason = code
        else:
            reason = SHUTDOWN_REASONS.get(int(code), "unknown")
    return LibxlEvent(type=kind, domid=int(doc.get("domid", 0)),
                      uuid=str(doc.get("domuuid", "")),
                      user=int(doc.get("for_user", 0)),
                      shutdown_reason=reason)


class EventOps(Context):
    """Event operations of :class:`bindings.libxl.Libxl`."""

    def enable_domain_death(self, domid: int, user: int = 0) -> Any:
        """Arm death/shutdown reporting for ``domid``; returns the evgen.

        libxl reports one shutdown per evgen (never again, even if the
        domain is resumed) and then the death.
        """
        evgen = self.ffi.new("libxl_evgen_domain_death **")
        check(self.lib.libxl_evenable_domain_death(self.ctx, domid, user,
                                                   evgen),
              "libxl_evenable_domain_death", domid)
        return evgen[0]

    def disable_domain_death(self, evgen: Any) -> None:
        self.lib.libxl_evdisable_domain_death(self.ctx, evgen)

    def wait_event(self, wake_fd: int) -> LibxlEvent | None:
        """Block until a libxl event (returned) or ``wake_fd`` is readable
        (None).  Only one thread may wait per context."""
        event = self.ffi.new("libxl_event **")
        rc = check(self.lib.xend_event_wait(self.ctx, wake_fd, event),
                   "libxl event wait")
        if rc == 1:
            return None
        try:
            text = self.take_string(
                self.lib.libxl_event_to_json(self.ctx, event[0]))
        finally:
            self.lib.libxl_event_free(self.ctx, event[0])
        if text is None:
            fail("libxl_event_to_json")
        return decode_event(json.loads(text))
