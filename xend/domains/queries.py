"""Read-only views: domain records, `xm info`'s host table.

``list_records`` asks the hypervisor for every domain once and joins that
with the table, so ``xm list`` costs one hypervisor call however many
domains there are.
"""

from __future__ import annotations

import os
import platform
import time
from typing import Any

from xend.domains.base import DOM0_ID, DOM0_NAME, DomainServiceBase
from xend.domains.numainfo import format_cpu_topology, format_numa_info
from xend.domains.records import build_record, matches_state
from xend.domains.table import DomainEntry
from xend.errors import DomainNotFound
from xend.hv.base import DomainInfo

XEND_CONFIG_FORMAT = 4


class QueriesMixin(DomainServiceBase):

    def _record(self, entry: DomainEntry | None, info: DomainInfo | None,
                full: bool, now: float | None = None) -> dict[str, Any]:
        suspended = entry is not None and info is None and \
            self.suspended(entry)  # type: ignore[attr-defined]
        rec = build_record(entry, info, suspended, now)
        # 4.4's pause flag: xm domstate says "paused by admin".
        rec["paused_by_admin"] = info is not None and info.paused and \
            info.domid in self.admin_paused
        if full:
            rec.update(self._full_fields(entry, info, rec))
        return rec

    def _full_fields(self, entry: DomainEntry | None,
                     info: DomainInfo | None,
                     rec: dict[str, Any]) -> dict[str, Any]:
        from xend.domains.sxpview import domain_sxp_for
        weight, cap = -1, -1
        if info is not None:
            try:
                params = self.hv.sched_get(info.domid)
                weight, cap = params.weight, params.cap
            except Exception:   # a domain dying under us: show -1
                pass
        elif entry is not None:
            weight = getattr(entry.config, "cpu_weight", None) or 256
            cap = getattr(entry.config, "cpu_cap", None) or 0
        rec = dict(rec, cpu_weight=weight, cpu_cap=cap)
        return {"cpu_weight": weight, "cpu_cap": cap,
                "sxp": domain_sxp_for(entry, info, rec)}

    def list_records(self, state: str = "all",
                     full: bool = False) -> list[dict[str, Any]]:
        """Every domain, sorted by name, whose Xen-API power state is
        ``state`` (any case; see :func:`matches_state`)."""
        state = state.lower()
        infos = {i.domid: i for i in self.hv.list_domains()}
        now = time.time()       # one clock for every record's uptime
        records = []
        seen: set[int] = set()
        with self.table.lock:
            entries = list(self.table.entries.values())
        for entry in entries:
            info = infos.get(entry.domid) if entry.domid is not None else None
            if info is not None:
                seen.add(info.domid)
            records.append(self._record(entry, info, full, now))
        for domid, info in infos.items():
            if domid not in seen and not info.dying:
                records.append(self._record(None, info, full, now))
        records = [r for r in records if matches_state(r, state)]
        records.sort(key=lambda r: str(r["name"]).encode())
        return records

    def record(self, ref: str | int, full: bool = False) -> dict[str, Any]:
        entry, domid = self.resolve(ref)
        info = None
        if domid is not None:
            try:
                info = self.hv.domain_info(domid)
            except DomainNotFound:
                # It died a moment ago (a restart policy is at work): a
                # managed domain shows as halted, any other one is gone.
                if entry is None or not entry.managed:
                    raise DomainNotFound(ref) from None
        return self._record(entry, info, full)

    def names(self, state: str = "all") -> list[str]:
        return [str(r["name"]) for r in self.list_records(state)]

    def restart_count(self, ref: str | int) -> int:
        entry, _ = self.resolve(ref)
        return entry.restart_count if entry is not None else 0

    # -- host ------------------------------------------------------------------
    def node_info(self, numa_flag: bool = False) -> list[list[Any]]:
        """``xm info``'s rows; with ``numa_flag`` (``xm info -n``) also
        cpu_topology and numa_info, after free_cpus as in 4.4."""
        host = self.hv.host_info()
        uname = platform.uname()
        free_cpus = 0
        rows: list[tuple[str, Any]] = [
            ("host", uname.node), ("release", uname.release),
            ("version", uname.version), ("machine", uname.machine),
            ("nr_cpus", host.nr_cpus), ("nr_nodes", host.nr_nodes),
            ("cores_per_socket", host.cores_per_socket),
            ("threads_per_core", host.threads_per_core),
            ("cpu_mhz", host.cpu_mhz), ("hw_caps", host.hw_caps),
            ("virt_caps", host.virt_caps),
            ("total_memory", host.total_memory_kb // 1024),
            ("free_memory", host.free_memory_kb // 1024),
            ("free_cpus", free_cpus),
            *(self._numa_rows() if numa_flag else []),
            ("xen_major", host.xen_major), ("xen_minor", host.xen_minor),
            ("xen_extra", host.xen_extra), ("xen_caps", host.xen_caps),
            ("xen_scheduler", host.xen_scheduler),
            ("xen_pagesize", host.xen_pagesize),
            ("platform_params", host.platform_params),
            ("xen_changeset", host.xen_changeset),
            ("xen_commandline", host.xen_commandline),
            ("cc_compiler", host.cc_compiler),
            ("cc_compile_by", host.cc_compile_by),
            ("cc_compile_domain", host.cc_compile_domain),
            ("cc_compile_date", host.cc_compile_date),
            ("xend_config_format", XEND_CONFIG_FORMAT),
        ]
        return [[k, v] for k, v in rows]

    def _numa_rows(self) -> list[tuple[str, Any]]:
        topo = self.hv.host_topology()
        return [("cpu_topology", format_cpu_topology(topo.cpus)),
                ("numa_info", format_numa_info(topo.nodes))]

    @staticmethod
    def dom0_name() -> str:
        return DOM0_NAME

    @staticmethod
    def dom0_id() -> int:
        return DOM0_ID

    @staticmethod
    def read_log(path: str, limit: int = 1 << 20) -> str:
        """The last ``limit`` bytes of xend's log file."""
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - limit))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""
