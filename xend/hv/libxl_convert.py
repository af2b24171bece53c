"""Pure conversions from libxl JSON to the Hypervisor dataclasses.

The libxl backend gets state as libxl JSON (``libxl_dominfo``,
``libxl_vcpuinfo``, ``libxl_physinfo``, ``libxl_version_info``); these
functions turn it into :mod:`xend.hv.base` values.  They need no Xen and are
unit-tested on literal documents.  Remember libxl's JSON omits every field
at its default: false, 0, and for enums their init value ("unknown" for
``shutdown_reason``, "invalid" for ``domain_type``).
"""

from __future__ import annotations

from typing import Any

from xend.hv.base import (SHUTDOWN_REASONS, DomainInfo, HostInfo, JSON,
                          SchedParams, VcpuInfo)

ZERO_UUID = "00000000-0000-0000-0000-000000000000"
NO_START_TIME = (0, 0xFFFFFFFF)   # libxl_vm_get_start_time: unknown / error


def _int(doc: JSON, key: str, default: int = 0) -> int:
    value = doc.get(key, default)
    return int(value) if isinstance(value, (int, float)) else default


def domain_info(dominfo: JSON, *, name: str | None = None,
                target_memkb: int | None = None,
                start_time: int | None = None) -> DomainInfo:
    """A :class:`DomainInfo` from ``libxl_dominfo`` JSON plus extras.

    ``name`` comes from Xenstore (libxl_domid_to_name), ``target_memkb``
    from memory/target (current memory when unknown), ``start_time`` from
    /vm/<uuid>/start_time (None for dom0 and when unknown).
    """
    domid = _int(dominfo, "domid")
    shutdown = bool(dominfo.get("shutdown", False))
    reason = dominfo.get("shutdown_reason")
    current = _int(dominfo, "current_memkb")
    dtype = dominfo.get("domain_type")
    return DomainInfo(
        domid=domid,
        uuid=str(dominfo.get("uuid", ZERO_UUID)),
        name=name if name is not None else
        ("Domain-0" if domid == 0 else f"Domain-{domid}"),
        running=bool(dominfo.get("running", False)),
        blocked=bool(dominfo.get("blocked", False)),
        paused=bool(dominfo.get("paused", False)),
        shutdown=shutdown,
        dying=bool(dominfo.get("dying", False)),
        shutdown_reason=reason if shutdown and reason in SHUTDOWN_REASONS
        else None,
        current_memkb=current,
        target_memkb=target_memkb if target_memkb is not None else current,
        max_memkb=_int(dominfo, "max_memkb"),
        cpu_time_ns=_int(dominfo, "cpu_time"),
        vcpu_max=_int(dominfo, "vcpu_max_id") + 1,
        vcpu_online=_int(dominfo, "vcpu_online"),
        domain_type=dtype if dtype in ("pv", "pvh", "hvm") else "pv",
        start_time=None if domid == 0 or start_time is None
        or start_time in NO_START_TIME else float(start_time),
    )


def vcpu_info(vcpuinfo: JSON) -> VcpuInfo:
    """A :class:`VcpuInfo` from ``libxl_vcpuinfo`` JSON."""
    online = bool(vcpuinfo.get("online", False))
    cpumap = vcpuinfo.get("cpumap", [])
    return VcpuInfo(
        vcpuid=_int(vcpuinfo, "vcpuid"),
        cpu=_int(vcpuinfo, "cpu") if online else -1,
        online=online,
        blocked=bool(vcpuinfo.get("blocked", False)),
        running=bool(vcpuinfo.get("running", False)),
        time_ns=_int(vcpuinfo, "vcpu_time"),
        affinity=tuple(int(c) for c in cpumap) if isinstance(cpumap, list)
        else (),
    )


def sched_params(scheduler: str, weight: int, cap: int) -> SchedParams:
    """SchedParams; weight/cap only mean something for credit/credit2."""
    if scheduler not in ("credit", "credit2"):
        return SchedParams(scheduler=scheduler)
    return SchedParams(scheduler=scheduler, weight=weight, cap=cap)


# The flags `xl info` prints as virt_caps, in its order.
def _virt_caps(p: JSON) -> str:
    caps = [
        ("pv", p.get("cap_pv")),
        ("hvm", p.get("cap_hvm")),
        ("hvm_directio", p.get("cap_hvm") and p.get("cap_hvm_directio")),
        ("pv_directio", p.get("cap_pv") and p.get("cap_hvm_directio")),
        ("hap", p.get("cap_hap")),
        ("shadow", p.get("cap_shadow")),
        ("iommu_hap_pt_share", p.get("cap_iommu_hap_pt_share")),
        ("vmtrace", p.get("cap_vmtrace")),
        ("vpmu", p.get("cap_vpmu")),
        ("gnttab-v1", p.get("cap_gnttab_v1")),
        ("gnttab-v2", p.get("cap_gnttab_v2")),
    ]
    return " ".join(name for name, on in caps if on)


def _hw_caps(p: JSON) -> str:
    words: list[Any] = list(p.get("hw_cap", []))
    words += [0] * (8 - len(words))
    return ":".join(f"{int(w):08x}" for w in words)


def host_info(physinfo: JSON, version: JSON, scheduler: str) -> HostInfo:
    """HostInfo from ``libxl_physinfo`` and ``libxl_version_info`` JSON."""
    pagesize = _int(version, "pagesize", 4096) or 4096
    kb_per_page = pagesize // 1024

    def pages_kb(key: str) -> int:
        return _int(physinfo, key) * kb_per_page

    extra = {
        "max_cpu_id": str(_int(physinfo, "max_cpu_id")),
        "scrub_memory_kb": str(pages_kb("scrub_pages")),
        "outstanding_claims_kb": str(pages_kb("outstanding_pages")),
        "sharing_freed_memory_kb": str(pages_kb("sharing_freed_pages")),
        "sharing_used_memory_kb": str(pages_kb("sharing_used_frames")),
        "build_id": str(version.get("build_id", "")),
    }
    return HostInfo(
        nr_cpus=_int(physinfo, "nr_cpus"),
        nr_nodes=_int(physinfo, "nr_nodes", 1) or 1,
        cores_per_socket=_int(physinfo, "cores_per_socket", 1) or 1,
        threads_per_core=_int(physinfo, "threads_per_core", 1) or 1,
        cpu_mhz=_int(physinfo, "cpu_khz") // 1000,
        hw_caps=_hw_caps(physinfo),
        virt_caps=_virt_caps(physinfo),
        total_memory_kb=pages_kb("total_pages"),
        free_memory_kb=pages_kb("free_pages"),
        xen_major=_int(version, "xen_version_major"),
        xen_minor=_int(version, "xen_version_minor"),
        xen_extra=str(version.get("xen_version_extra", "")),
        xen_caps=str(version.get("capabilities", "")),
        xen_scheduler=scheduler,
        xen_pagesize=pagesize,
        platform_params=f"virt_start=0x{_int(version, 'virt_start'):x}",
        xen_changeset=str(version.get("changeset", "")),
        xen_commandline=str(version.get("commandline", "")),
        cc_compiler=str(version.get("compiler", "")),
        cc_compile_by=str(version.get("compile_by", "")),
        cc_compile_domain=str(version.get("compile_domain", "")),
        cc_compile_date=str(version.get("compile_date", "")),
        extra=extra,
    )
