"""Block and network devices: ``block-attach/-detach/-list``,
``network-attach/-detach/-list``.

Thin commands: each builds the device description xm 4.4 sent, makes one
call to xend and prints what 4.4 printed (nothing for attach and detach).
xend checks the values (disk specifier, MAC, rate ...); xm only checks what
4.4's xm itself refused, the ``network-attach`` keywords.
"""

from __future__ import annotations

from typing import Any

from xm import render_devices
from xm.context import XmContext
from xm.errors import XmUsageError

# network-attach's keywords, in 4.4's order.
VIF_PARAMS = ("type", "mac", "bridge", "ip", "script", "backend", "vifname",
              "rate", "model", "accel")
MAX_VIF_PARAMS = 10      # 4.4: 'xm network-attach' takes 1 to 11 arguments


def block_attach(xm: XmContext, dom: str, backdev: str, frontdev: str,
                 mode: str, backdom: str | None) -> None:
    spec: dict[str, Any] = {"uname": backdev, "dev": frontdev, "mode": mode}
    if backdom is not None:
        spec["backend"] = backdom
    xm.call("xend.domain.device_create", dom, "vbd", spec)


def block_detach(xm: XmContext, dom: str, dev: str, force: bool) -> None:
    xm.call("xend.domain.destroyDevice", dom, "vbd", dev, force)


def block_list(xm: XmContext, dom: str, long: bool) -> None:
    devices = xm.call("xend.domain.getDeviceSxprs", dom, "vbd")
    xm.out.write(render_devices.long_list(devices) if long
                 else render_devices.block_list(devices))


def parse_vif_params(words: list[str]) -> dict[str, str]:
    """``['bridge=xenbr0', 'rate=10Mb/s']`` -> a dict; 4.4's checks."""
    if len(words) > MAX_VIF_PARAMS:
        raise XmUsageError("'xm network-attach' requires between 1 and "
                           f"{MAX_VIF_PARAMS + 1} arguments.\n")
    spec: dict[str, str] = {}
    for word in words:
        parts = word.split("=")
        if len(parts) != 2 or parts[1] == "" or parts[0] not in VIF_PARAMS:
            raise XmUsageError(f"Invalid argument: {word}")
        spec[parts[0]] = parts[1]
    return spec


def network_attach(xm: XmContext, dom: str, params: list[str]) -> None:
    spec = parse_vif_params(params)
    xm.call("xend.domain.device_create", dom, "vif", spec)


def network_detach(xm: XmContext, dom: str, dev: str, force: bool) -> None:
    xm.call("xend.domain.destroyDevice", dom, "vif", dev, force)


def network_list(xm: XmContext, dom: str, long: bool) -> None:
    devices = xm.call("xend.domain.getDeviceSxprs", dom, "vif")
    xm.out.write(render_devices.long_list(devices) if long
                 else render_devices.network_list(devices))
