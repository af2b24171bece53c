"""Pure renderers of ``xm block-list`` and ``xm network-list`` (xm 4.4).

Input is what ``xend.domain.getDeviceSxprs`` returns: one
``[devid, [[key, value], ...]]`` per device, the keys of the device's
frontend Xenstore directory.  The row formats are copied from xm 4.4
verbatim, trailing spaces included, because scripts read the fields by
position (``awk '/^51713/ {print $4}'`` for a disk's state).  Missing
numbers print as -1 (``handle`` as 0) and a missing backend path as ``??``,
as 4.4's ``parse_dev_info`` did.  Neither listing prints anything, not even
its header, for a domain without such devices.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

BLOCK_HEADER = "Vdev  BE handle state evt-ch ring-ref BE-path"
BLOCK_ROW = ("%(idx)-5d  %(backend-id)-3d  %(handle)-3d   %(state)-3d    "
             "%(event-ch)-3d    %(ring-ref)-5d %(be-path)-30s  ")
NETWORK_HEADER = ("Idx BE     MAC Addr.     handle state evt-ch "
                  "tx-/rx-ring-ref BE-path")
NETWORK_ROW = ("%(idx)-3d %(backend-id)-3d%(mac)-17s    %(handle)-3d   "
               "%(state)-3d    %(event-ch)-3d   "
               "%(tx-ring-ref)-5d/%(rx-ring-ref)-5d   %(be-path)-30s  ")

# field: (frontend key, converter, default)
_FIELDS: dict[str, tuple[str, Callable[[Any], Any], Any]] = {
    "backend-id": ("backend-id", int, -1),
    "handle": ("handle", int, 0),
    "state": ("state", int, -1),
    "be-path": ("backend", str, "??"),
    "event-ch": ("event-channel", int, -1),
    "tx-ring-ref": ("tx-ring-ref", int, -1),
    "rx-ring-ref": ("rx-ring-ref", int, -1),
    "mac": ("mac", str, "??"),
    "ring-ref": ("ring-ref", int, -1),
}

Device = Sequence[Any]


def dev_info(pairs: Iterable[Any]) -> dict[str, Any]:
    """The row values of one device from its ``[key, value]`` pairs."""
    values: dict[str, Any] = {}
    for pair in pairs:
        if isinstance(pair, (list, tuple)) and len(pair) >= 2 \
                and pair[0] not in values:
            values[pair[0]] = pair[1]
    out: dict[str, Any] = {}
    for name, (key, convert, default) in _FIELDS.items():
        try:
            out[name] = convert(values[key])
        except (KeyError, TypeError, ValueError):
            out[name] = default
    return out


def _rows(devices: Iterable[Device], header: str, row: str) -> str:
    lines = []
    for device in devices:
        info = dev_info(device[1] if len(device) > 1 else [])
        info["idx"] = int(device[0])
        lines.append(row % info)
    if not lines:
        return ""
    return "".join(line + "\n" for line in [header] + lines)


def block_list(devices: Iterable[Device]) -> str:
    """``xm block-list``: header and one row per disk; '' for none."""
    return _rows(devices, BLOCK_HEADER, BLOCK_ROW)


def network_list(devices: Iterable[Device]) -> str:
    """``xm network-list``: header and one row per vif; '' for none."""
    return _rows(devices, NETWORK_HEADER, NETWORK_ROW)


def long_list(devices: Iterable[Device]) -> str:
    """``-l``: each device pretty-printed as ``(devid ((key value) ...))``."""
    from xend.model.sxp import pretty
    return "".join(pretty([device[0], [list(p) for p in device[1]]])
                   for device in devices)
