"""Hypervisor backends: a registry from name to factory.

``sim`` is the simulated hypervisor (the default wherever there is no Xen),
``libxl`` drives a real Xen host through :mod:`bindings`.  Backends are
imported only when chosen, so ``import xend.hv`` never needs Xen.
"""

from __future__ import annotations

import importlib
from typing import Any

from xend.errors import ConfigError
from xend.hv.base import Hypervisor

_BACKENDS: dict[str, tuple[str, str]] = {
    "sim": ("xend.hv.sim", "SimHypervisor"),
    "libxl": ("xend.hv.libxl", "LibxlHypervisor"),
}


def backend_names() -> list[str]:
    return sorted(_BACKENDS)


def make_hypervisor(kind: str, **kwargs: Any) -> Hypervisor:
    """Build the backend called ``kind`` with its constructor arguments."""
    try:
        module_name, class_name = _BACKENDS[kind]
    except KeyError:
        raise ConfigError(
            f"unknown hypervisor '{kind}' (choose from: "
            f"{', '.join(backend_names())})") from None
    cls = getattr(importlib.import_module(module_name), class_name)
    hv: Hypervisor = cls(**kwargs)
    return hv
