"""The simulated device model's VNC server: which port it would listen on.

libxl 4.17 gives QEMU a VNC server for an HVM guest (``b_info.type.hvm.
vnc``) or for a PV guest's first framebuffer (``vfbs[0].vnc``;
libxl_dm.c ``libxl__dm_vnc``), with its defaults: enabled unless the
config says ``False``, listening on 127.0.0.1, display 0, and (for an
enabled server) ``findunused``, which asks QEMU for the first free display
from the configured one, at most 99 further on (``,to=99``).  A listen
address with a display in it (``0.0.0.0:3``) names the display itself and
refuses a separate ``display``, as libxl does.

No socket is opened: the port is only chosen (free among the simulated
domains' servers), kept in the domain's state and written to Xenstore
where libxl writes it (:mod:`xend.hv.vncinfo`).
"""

from __future__ import annotations

from typing import Any, Iterable

from xend.errors import HypervisorError, InvalidArgument
from xend.hv.base import JSON
from xend.hv.vncinfo import VNC_BASE_PORT

FIND_UNUSED_SPAN = 100          # QEMU's ``to=99``: display .. display + 99
MAX_DISPLAY = 65535 - VNC_BASE_PORT
DEFAULT_LISTEN = "127.0.0.1"


def _defbool(value: Any, default: bool) -> bool:
    if value in ("True", True):
        return True
    if value in ("False", False):
        return False
    return default


def _member(parent: Any, key: str) -> JSON:
    """A JSON object member (an empty one if missing)."""
    if not isinstance(parent, dict):
        raise InvalidArgument(f"invalid VNC configuration: {parent!r} is "
                              "not a JSON object")
    value = parent.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidArgument(f"invalid VNC configuration: {key} is not a "
                              "JSON object")
    return value


def vnc_settings(config: JSON) -> JSON | None:
    """The VNC options libxl would give QEMU, with its defaults applied
    (``listen``, ``display``, ``findunused``, ``passwd``), or None for a
    domain without a VNC server."""
    b_info = config.get("b_info") or {}
    if "type.hvm" in b_info:
        vnc = _member(_member(b_info, "type.hvm"), "vnc")
    else:
        vfbs = config.get("vfbs") or []
        if not isinstance(vfbs, list):
            raise InvalidArgument("vfbs must be a list")
        if not vfbs:
            return None
        vnc = _member(vfbs[0], "vnc")
    if not _defbool(vnc.get("enable"), True):
        return None
    listen = str(vnc.get("listen") or DEFAULT_LISTEN)
    display = vnc.get("display") or 0
    if not isinstance(display, int) or isinstance(display, bool) or \
            not 0 <= display <= MAX_DISPLAY:
        raise InvalidArgument(f"invalid vnc display {display!r}")
    if ":" in listen:
        if display:
            raise InvalidArgument("vncdisplay set, vnclisten contains "
                                  "display")
        listen, _, shown = listen.rpartition(":")
        if not (shown.isascii() and shown.isdigit()):
            raise InvalidArgument(f"invalid vnclisten {vnc.get('listen')!r}")
        display = int(shown)
        if display > MAX_DISPLAY:
            raise InvalidArgument(f"invalid vnclisten {vnc.get('listen')!r}")
    return {"listen": listen, "display": display,
            "findunused": _defbool(vnc.get("findunused"), True),
            "passwd": str(vnc.get("passwd") or "")}


def choose_port(settings: JSON, taken: Iterable[int]) -> int:
    """The port QEMU would get: the configured display's, or with
    findunused the first free one of the next 100; HypervisorError (the
    device model fails to start) when none is free."""
    used = set(taken)
    first = VNC_BASE_PORT + int(settings["display"])
    span = FIND_UNUSED_SPAN if settings["findunused"] else 1
    for port in range(first, min(first + span, 65536)):
        if port not in used:
            return port
    raise HypervisorError(f"device model failed to start: no free VNC "
                          f"port from {first} (display "
                          f"{settings['display']})")


def display_of(config: JSON, port: int | None) -> JSON | None:
    """The display (:mod:`xend.hv.vncinfo` form) of a domain whose server
    got ``port``."""
    settings = vnc_settings(config) if port is not None else None
    if settings is None or port is None:
        return None
    return {"listen": settings["listen"], "port": port,
            "password": settings["passwd"] or None}
