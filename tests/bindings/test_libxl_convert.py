"""libxl JSON -> Hypervisor dataclasses, on literal documents (no Xen)."""

from __future__ import annotations

from xend.hv import libxl_convert as convert
from xend.hv.base import SchedParams


def test_domain_info_from_full_dominfo() -> None:
    doc = {"uuid": "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab", "domid": 3,
           "running": True, "shutdown": True, "shutdown_reason": "crash",
           "current_memkb": 1048576, "max_memkb": 2098176,
           "cpu_time": 123456789, "vcpu_max_id": 3, "vcpu_online": 2,
           "domain_type": "hvm"}
    info = convert.domain_info(doc, name="web1", target_memkb=1000000,
                               start_time=1700000000)
    assert info.domid == 3 and info.name == "web1"
    assert info.uuid == "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"
    assert info.running and info.shutdown and info.crashed
    assert info.shutdown_reason == "crash"
    assert (info.current_memkb, info.target_memkb, info.max_memkb) == \
        (1048576, 1000000, 2098176)
    assert info.cpu_time_ns == 123456789
    assert (info.vcpu_max, info.vcpu_online) == (4, 2)
    assert info.domain_type == "hvm"
    assert info.start_time == 1700000000.0
    assert info.state_string == "r---c-"


def test_defaults_omitted_by_libxl_are_restored() -> None:
    # libxl omits false, 0, and enum init values ("unknown", "invalid")
    info = convert.domain_info({}, name=None, target_memkb=None,
                               start_time=0)
    assert info.domid == 0 and info.name == "Domain-0"
    assert info.uuid == convert.ZERO_UUID
    assert not (info.running or info.blocked or info.paused or info.shutdown)
    assert info.shutdown_reason is None
    assert info.vcpu_max == 1 and info.vcpu_online == 0
    assert info.domain_type == "pv"
    assert info.start_time is None          # dom0 has none


def test_reason_only_when_shut_down() -> None:
    info = convert.domain_info({"domid": 4, "shutdown_reason": "poweroff"})
    assert info.shutdown_reason is None
    info = convert.domain_info({"domid": 4, "shutdown": True,
                                "shutdown_reason": "poweroff"})
    assert info.shutdown_reason == "poweroff"
    assert info.state_string == "---s--"


def test_unknown_start_time_is_none() -> None:
    for raw in (0, 0xFFFFFFFF, None):
        assert convert.domain_info({"domid": 9},
                                   start_time=raw).start_time is None


def test_target_defaults_to_current_memory() -> None:
    info = convert.domain_info({"domid": 2, "current_memkb": 524288})
    assert info.target_memkb == 524288


def test_vcpu_info() -> None:
    v = convert.vcpu_info({"vcpuid": 1, "cpu": 3, "online": True,
                           "running": True, "vcpu_time": 5000,
                           "cpumap": [2, 3], "cpumap_soft": [0, 1, 2, 3]})
    assert (v.vcpuid, v.cpu, v.online, v.blocked, v.running, v.time_ns,
            v.affinity) == (1, 3, True, False, True, 5000, (2, 3))
    # vcpu 0 on cpu 0: both omitted by libxl
    v0 = convert.vcpu_info({"online": True, "blocked": True, "cpumap": [0]})
    assert (v0.vcpuid, v0.cpu, v0.blocked) == (0, 0, True)
    off = convert.vcpu_info({"vcpuid": 2, "cpu": 1})
    assert off.cpu == -1 and not off.online


def test_sched_params() -> None:
    assert convert.sched_params("credit2", 256, 0) == \
        SchedParams("credit2", 256, 0)
    assert convert.sched_params("rtds", -1, -1) == SchedParams("rtds")


def test_host_info_pages_and_caps() -> None:
    phys = {"nr_cpus": 4, "cpu_khz": 2999999, "total_pages": 262144,
            "free_pages": 1000, "hw_cap": [1, 2], "cap_pv": True,
            "cap_hvm": True, "cap_hvm_directio": True,
            "cap_iommu_hap_pt_share": True, "cap_vpmu": True,
            "cap_gnttab_v2": True}
    ver = {"xen_version_major": 4, "xen_version_minor": 17,
           "pagesize": 4096, "virt_start": 0}
    h = convert.host_info(phys, ver, "credit")
    assert h.nr_cpus == 4 and h.cpu_mhz == 2999
    assert h.total_memory_kb == 1048576 and h.free_memory_kb == 4000
    assert h.hw_caps.startswith("00000001:00000002:00000000")
    assert h.hw_caps.count(":") == 7
    assert h.virt_caps == ("pv hvm hvm_directio pv_directio "
                           "iommu_hap_pt_share vpmu gnttab-v2")
    assert h.nr_nodes == 1 and h.threads_per_core == 1
    assert h.xen_scheduler == "credit"
    assert h.platform_params == "virt_start=0x0"
