"""Path builders for the standard Xenstore layout (as libxl 4.17 writes it).

Pure string functions: ``dom_path(7) == "/local/domain/7"``.
"""

from __future__ import annotations

LOCAL_DOMAIN = "/local/domain"


def dom_path(domid: int) -> str:
    """A domain's home directory (what GET_DOMAIN_PATH answers)."""
    return f"{LOCAL_DOMAIN}/{int(domid)}"


def vm_path(uuid: str) -> str:
    """Per-VM directory ``/vm/<uuid>``."""
    return f"/vm/{uuid}"


def libxl_path(domid: int) -> str:
    """libxl's private per-domain tree ``/libxl/<domid>``."""
    return f"/libxl/{int(domid)}"


def frontend_path(domid: int, kind: str, devid: int) -> str:
    """``/local/domain/<domid>/device/<kind>/<devid>``."""
    return f"{dom_path(domid)}/device/{kind}/{int(devid)}"


def backend_path(backend_domid: int, kind: str, frontend_domid: int,
                 devid: int) -> str:
    """``/local/domain/<backend>/backend/<kind>/<frontend>/<devid>``."""
    return (f"{dom_path(backend_domid)}/backend/{kind}/"
            f"{int(frontend_domid)}/{int(devid)}")


def control_path(domid: int, key: str = "shutdown") -> str:
    """``/local/domain/<domid>/control/<key>`` (PV shutdown protocol)."""
    return f"{dom_path(domid)}/control/{key}"


def memory_target_path(domid: int) -> str:
    """Balloon target in KiB, written by libxl (``memory/target``)."""
    return f"{dom_path(domid)}/memory/target"


def xend_vm_key(uuid: str, key: str) -> str:
    """xend's legacy keys under ``/vm/<uuid>/`` (name, memory, ...)."""
    return f"{vm_path(uuid)}/{key}"


def domid_of(path: str) -> int | None:
    """The domid of a path under ``/local/domain/<domid>``, else None."""
    prefix = LOCAL_DOMAIN + "/"
    if not path.startswith(prefix):
        return None
    head = path[len(prefix):].split("/", 1)[0]
    return int(head) if head.isdigit() else None
