"""Where a domain's VNC server listens, in the Xenstore keys libxl writes.

Once the device model runs, libxl 4.17 asks QEMU where its VNC server is
(QMP ``query-vnc``, libxl_dm.c ``device_model_postconfig_vnc``) and writes
``/local/domain/<id>/console/vnc-listen`` (the address) and
``console/vnc-port`` (the TCP port, 5900 + display), and
``console/vnc-pass`` once it has given QEMU the config's password.
``xl vncviewer`` (libxl_vncviewer_exec) reads the same three keys, taking
``localhost`` when vnc-listen is missing.  The libxl backend reads them
with :func:`from_keys`; the simulator writes them with :func:`to_keys`.

A display is ``{"listen": str, "port": int, "password": str | None}``.
"""

from __future__ import annotations

from typing import Callable

from xend.hv.base import JSON

VNC_BASE_PORT = 5900    # display N listens on port 5900 + N


def _paths(domid: int) -> tuple[str, str, str]:
    base = f"/local/domain/{domid}/console"
    return f"{base}/vnc-listen", f"{base}/vnc-port", f"{base}/vnc-pass"


def from_keys(read: Callable[[str], str | None], domid: int) -> JSON | None:
    """The display the keys describe, or None (no VNC server: no port)."""
    listen_key, port_key, pass_key = _paths(domid)
    port = (read(port_key) or "").strip()
    if not (port.isascii() and port.isdigit()):
        return None
    return {"listen": read(listen_key) or "localhost", "port": int(port),
            "password": read(pass_key) or None}


def to_keys(domid: int, display: JSON) -> dict[str, str]:
    """The keys (absolute paths) libxl writes for ``display``."""
    listen_key, port_key, pass_key = _paths(domid)
    keys = {listen_key: str(display["listen"]),
            port_key: str(display["port"])}
    if display.get("password"):
        keys[pass_key] = str(display["password"])
    return keys
