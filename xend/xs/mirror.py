"""The Xenstore mirror: the keys a toolstack owns, kept true to xend's table.

xend 4.4 wrote its view of each domain under ``/vm/<uuid>/`` and
``/local/domain/<domid>/``.  libxl 4.17 writes most of those itself, and a
key must have one writer, so xend writes only what libxl does not
(checked against libxl 4.17: ``libxl_create.c``, ``libxl_dom.c``,
``libxl_mem.c``, ``libxl_domain.c``, ``libxl_console.c``):

* ``/vm/<uuid>/``: ``vcpus`` (the maximum), ``vcpu_avail`` (bitmask of the
  online vcpus, as 4.4), ``maxmem`` and ``shadow_memory`` (MiB),
  ``on_poweroff``, ``on_reboot``, ``on_crash``, ``on_xend_start``,
  ``on_xend_stop``, ``bootloader``, ``bootloader_args``, ``pool_name``,
  ``image`` (the 4.4 image SXP as the node's value; its children
  ``image/ostype``... are libxl's) and ``xend/restart_count``;
* ``/local/domain/<domid>/description``.

Never written (libxl's): ``/vm/<uuid>/{uuid,name,start_time,image/*,
rtc/*}``, ``/vm/<uuid>/memory`` (libxl_set_memory_target writes it, in MiB,
at mem-set only), ``~/name``, ``~/domid``, ``~/vm``, ``~/memory/*``,
``~/cpu/*``, ``~/console/*`` (``console/limit`` included), ``~/control/*``,
devices and backends.

Each change is one transaction that first reads ``~/vm`` (the domain's
``/vm`` path as libxl wrote it): a domain already gone gets nothing written,
so no orphan ``/vm`` tree can appear.  Only keys whose value differs are
written, each once, so watchers see no spurious events.
"""

from __future__ import annotations

import logging
import threading
from typing import Iterable

from xenstore.paths import dom_path
from xenstore.store import Store, StoreOps

from xend.domains.table import DomainEntry
from xend.model.domconfig import DomainConfig

log = logging.getLogger("xend.xs")

DEFAULT_POOL = "Pool-0"
VM_KEYS = ("vcpus", "vcpu_avail", "maxmem", "shadow_memory", "on_poweroff",
           "on_reboot", "on_crash", "on_xend_start", "on_xend_stop",
           "bootloader", "bootloader_args", "pool_name", "image",
           "xend/restart_count")
DOMAIN_KEYS = ("description",)


def image_sxp_string(cfg: DomainConfig) -> str:
    """The ``(linux (kernel ...) ...)`` string 4.4 kept in
    ``/vm/<uuid>/image``."""
    from xend.model.sxp import show
    from xend.model.to_sxp import image_sxp
    return show(image_sxp(cfg, cmdline=True))


def vm_values(entry: DomainEntry) -> dict[str, str]:
    """xend's keys under ``/vm/<uuid>/`` (relative names) for ``entry``."""
    cfg = entry.config
    online = max(0, min(int(cfg.vcpus), int(cfg.max_vcpus)))
    return {
        "vcpus": str(cfg.max_vcpus),
        "vcpu_avail": str((1 << online) - 1),
        "maxmem": str(cfg.max_memory),
        "shadow_memory": str(cfg.shadow_memory),
        "on_poweroff": cfg.on_poweroff,
        "on_reboot": cfg.on_reboot,
        "on_crash": cfg.on_crash,
        "on_xend_start": cfg.on_xend_start,
        "on_xend_stop": cfg.on_xend_stop,
        "bootloader": cfg.bootloader,
        "bootloader_args": cfg.bootargs or "",
        "pool_name": cfg.pool or DEFAULT_POOL,
        "image": image_sxp_string(cfg),
        "xend/restart_count": str(entry.restart_count),
    }


def domain_values(entry: DomainEntry) -> dict[str, str]:
    """xend's keys under ``/local/domain/<domid>/`` (relative names)."""
    return {"description": entry.config.description}


class XenstoreMirror:
    """Writes xend's keys for each running domain; ``domain_changed`` is the
    domain services' ``on_change`` hook."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Changes of one domain may be reported from several executor
        # threads; one at a time keeps the last write the newest state.
        self._lock = threading.Lock()

    def domain_changed(self, entry: DomainEntry) -> None:
        """Bring the store in line with ``entry`` (one transaction).  A
        stopped domain needs nothing: libxl removed its trees."""
        domid = entry.domid
        if domid is None:
            return
        vm = vm_values(entry)
        local = domain_values(entry)
        home = dom_path(domid)

        written = [0]

        def body(t: StoreOps) -> None:
            written[0] = 0      # the body runs again after a conflict
            vm_path = t.read(f"{home}/vm")
            if not vm_path:
                return          # gone (or not made yet): write nothing
            writes = {f"{vm_path}/{k}": v for k, v in vm.items()}
            writes.update({f"{home}/{k}": v for k, v in local.items()})
            for path, value in writes.items():
                if t.read(path) != value:
                    t.write(path, value)
                    written[0] += 1

        with self._lock:
            self.store.run_transaction(body)
        if written[0]:
            log.debug("xenstore: %d key(s) of %s (id %d) written",
                      written[0], entry.name, domid)

    def rebuild(self, entries: Iterable[DomainEntry]) -> None:
        """After a start of xend: every running domain's keys again (a
        no-op where the store kept them)."""
        for entry in list(entries):
            if entry.domid is None:
                continue
            try:
                self.domain_changed(entry)
            except Exception as exc:    # one domain must not stop the rest
                log.error("xenstore: cannot write the keys of %s: %s",
                          entry.name, exc)
