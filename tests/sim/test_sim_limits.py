"""Simulator-only: libxl's defaults, limits and memory accounting."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sim_helpers import KERNEL, MakeSim, hvm_config, pv_config

from xend.errors import (DomainExists, HypervisorError, InvalidArgument,
                         NotEnoughMemory, NotSupported)
from xend.hv.sim import SimHypervisor
from xend.hv.sim.host import XEN_RESERVED_KB
from xend.hv.sim.vdev import vdev_to_devid

MiB = 1024


@pytest.fixture
def sim(make_sim: MakeSim) -> SimHypervisor:
    return make_sim(host_memory_mib=4096, host_cpus=4, dom0_memory_mib=1024)


@pytest.mark.parametrize("vdev,devid", [
    ("xvda", 51712), ("xvdb", 51728), ("xvda1", 51713), ("xvdp", 51952),
    ("xvdq", (1 << 28) | (16 << 8)), ("xvdaa", (1 << 28) | (26 << 8)),
    ("hda", 768), ("hdb", 832), ("hdc", 5632), ("hdd", 5696),
    ("sda", 2048), ("sdb1", 2065), ("d0p0", 51712), ("d1", 51728),
    ("51712", 51712),
])
def test_vdev_numbers(vdev: str, devid: int) -> None:
    assert vdev_to_devid(vdev) == devid


@pytest.mark.parametrize("vdev", ["", "xvd", "fd0", "hdz", "sdq", "xvda16x",
                                  "sda16", "0"])
def test_bad_vdevs(vdev: str) -> None:
    with pytest.raises(InvalidArgument):
        vdev_to_devid(vdev)


def test_free_memory_formula(sim: SimHypervisor) -> None:
    info = sim.host_info()
    assert info.total_memory_kb == 4096 * MiB
    assert info.free_memory_kb == (4096 - 1024) * MiB - XEN_RESERVED_KB
    sim.create(pv_config(mem_mib=512))
    assert sim.host_info().free_memory_kb == \
        (4096 - 1024 - 512) * MiB - XEN_RESERVED_KB


def test_create_needs_what_libxl_domain_need_memory_says(
        sim: SimHypervisor) -> None:
    free_kb = sim.host_info().free_memory_kb
    # target + shadow (4 * (256 * vcpus + 2 * maxmem MiB)) + 1 MiB PV
    # extra, rounded up to 2 MiB.
    for mem_mib in range(free_kb // MiB, 0, -1):
        need = mem_mib * MiB + 4 * (256 * 2 + 2 * mem_mib) + 1024
        need += -need % 2048
        if need <= free_kb:
            break
    with pytest.raises(NotEnoughMemory, match="failed to free memory"):
        sim.create(pv_config(mem_mib=mem_mib + 1))
    sim.create(pv_config(mem_mib=mem_mib))
    config = pv_config(mem_mib=64)
    config["b_info"]["shadow_memkb"] = 10 ** 9     # an explicit shadow
    with pytest.raises(NotEnoughMemory):
        sim.create(config)


def test_balloon_limited_by_free_memory(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(mem_mib=256, maxmem_mib=8192))
    free_kb = sim.host_info().free_memory_kb
    sim.set_memory_target(domid, 4000 * MiB)
    info = sim.domain_info(domid)
    assert info.target_memkb == 4000 * MiB
    assert info.current_memkb == 256 * MiB + free_kb
    assert sim.host_info().free_memory_kb == 0


def test_max_memory_is_xens_limit(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(mem_mib=256, maxmem_mib=512))
    # libxl__build_pre sets Xen's limit to target + LIBXL_MAXMEM_CONSTANT.
    assert sim.domain_info(domid).max_memkb == 256 * MiB + 1024
    sim.set_max_memory(domid, 300 * MiB)
    assert sim.domain_info(domid).max_memkb == 300 * MiB + 1024
    # ... and it does not raise memory/static-max (still 512 MiB).
    with pytest.raises(InvalidArgument, match="maxmem"):
        sim.set_memory_target(domid, 600 * MiB)
    sim.set_memory_target(domid, 500 * MiB)
    assert sim.domain_config(domid)["b_info"]["max_memkb"] == 512 * MiB


def test_dom0_memory_floor(sim: SimHypervisor) -> None:
    with pytest.raises(InvalidArgument, match="dom0"):
        sim.set_memory_target(0, 64 * MiB)
    sim.set_memory_target(0, 512 * MiB)
    assert sim.domain_info(0).current_memkb == 512 * MiB


def test_config_defaults_like_libxl(sim: SimHypervisor) -> None:
    domid = sim.create({"c_info": {"type": "pv", "name": "min"},
                        "b_info": {"type.pv": {}, "kernel": KERNEL}})
    info = sim.domain_info(domid)
    assert (info.target_memkb, info.vcpu_max, info.vcpu_online) == \
        (32 * MiB, 1, 1)
    config = sim.domain_config(domid)
    assert len(config["c_info"]["uuid"]) == 36
    assert config["b_info"]["max_memkb"] == 32 * MiB


def test_wrong_json_types_are_ignored_like_libxl(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(unknown_key={"x": 1}) | {
        "b_info": {"type.pv": {}, "kernel": KERNEL, "max_memkb": "262144",
                   "max_vcpus": "4"}})
    info = sim.domain_info(domid)
    assert (info.target_memkb, info.vcpu_max) == (32 * MiB, 1)


def test_deprecated_pv_kernel_alias(sim: SimHypervisor) -> None:
    sim.create({"c_info": {"type": "pv", "name": "old"},
                "b_info": {"type.pv": {"kernel": KERNEL}}})
    sim.create({"c_info": {"type": "pv", "name": "grub"},
                "b_info": {"type.pv": {}, "bootloader": "pygrub"}})


def test_duplicate_uuid_is_allowed_as_by_libxl(sim: SimHypervisor) -> None:
    """libxl checks names, not uuids: a localhost migration (xl's or ours)
    runs two domains of one uuid until the old one is destroyed.  Keeping
    uuids unique among the domains it manages is xend's job."""
    config = pv_config()
    first = sim.create(config)
    config["c_info"]["name"] = "other"
    second = sim.create(config)
    assert second != first
    assert sim.domain_info(first).uuid == sim.domain_info(second).uuid


def test_requested_domid(sim: SimHypervisor) -> None:
    config = pv_config()
    config["c_info"]["domid"] = 42
    assert sim.create(config) == 42
    again = pv_config()
    again["c_info"]["domid"] = 42
    with pytest.raises(HypervisorError):
        sim.create(again)


def test_duplicate_disk_in_config(sim: SimHypervisor) -> None:
    disks = [{"pdev_path": "/a", "vdev": "xvda"},
             {"pdev_path": "/b", "vdev": "d0p0"}]
    with pytest.raises(InvalidArgument, match="duplicate"):
        sim.create(pv_config(disks=disks))


def test_affinity_from_config(sim: SimHypervisor) -> None:
    config = pv_config(vcpus=2)
    config["b_info"]["vcpu_hard_affinity"] = [[2, 3]]
    domid = sim.create(config)
    vcpus = sim.list_vcpus(domid)
    assert vcpus[0].affinity == (2, 3)
    assert vcpus[1].affinity == (0, 1, 2, 3)
    config = pv_config(vcpus=2)
    config["b_info"]["cpumap"] = [1]
    domid = sim.create(config)
    assert [v.affinity for v in sim.list_vcpus(domid)] == [(1,), (1,)]


def test_cap_range_scales_with_vcpus(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(vcpus=1, maxvcpus=3))
    sim.sched_set(domid, cap=300)
    with pytest.raises(InvalidArgument, match="0 to 300"):
        sim.sched_set(domid, cap=301)
    sim.sched_set(domid, weight=-1, cap=-1)     # -1: leave unchanged
    assert sim.sched_get(domid).cap == 300


def test_credit2_has_weight_and_cap(make_sim: MakeSim) -> None:
    sim = make_sim(scheduler="credit2")
    domid = sim.create(pv_config())
    sim.sched_set(domid, weight=100, cap=50)
    params = sim.sched_get(domid)
    assert (params.scheduler, params.weight, params.cap) == \
        ("credit2", 100, 50)
    assert sim.host_info().xen_scheduler == "credit2"


def test_null_and_rtds_schedulers(make_sim: MakeSim, tmp_path) -> None:
    sim = make_sim(scheduler="null")
    domid = sim.create(pv_config())
    sim.sched_set(domid, weight=5)      # libxl: nothing per domain, rc 0
    assert sim.sched_get(domid).weight == -1
    sim.close()
    rtds = make_sim(state_dir=str(tmp_path / "rtds"), scheduler="rtds")
    domid = rtds.create(pv_config())
    with pytest.raises(NotSupported):
        rtds.sched_set(domid, weight=5)


def test_devices_need_a_live_domain_and_known_kinds(
        sim: SimHypervisor) -> None:
    domid = sim.create(pv_config())
    with pytest.raises(NotSupported):
        sim.device_add(domid, "vtpm", {})
    with pytest.raises(InvalidArgument):
        sim.device_add(domid, "nic", {"mac": "00:16:3e:00:00:01",
                                      "nictype": "bogus"})
    sim.device_add(domid, "nic", {"devid": 5})
    with pytest.raises(InvalidArgument, match="in use"):
        sim.device_add(domid, "nic", {"devid": 5})
    # libxl's next id is the highest in use + 1, not the lowest free one.
    assert sim.device_add(domid, "nic", {})["devid"] == 6


def test_device_state_follows_the_guest(sim: SimHypervisor) -> None:
    domid = sim.create(pv_config(disks=[{"pdev_path": "/dev/x",
                                         "vdev": "xvda"}]))
    disk = sim.device_list(domid, "disk")[0]
    assert (disk["state"], disk["evtch"]) == (1, -1)
    sim.unpause(domid)
    disk = sim.device_list(domid, "disk")[0]
    assert disk["state"] == 4 and disk["evtch"] > 0 and disk["rref"] > 0


def test_hvm_video_ram(sim: SimHypervisor) -> None:
    config = hvm_config(mem_mib=256)
    domid = sim.create(config)
    info = sim.domain_info(domid)
    # memory/target (what libxl reports) leaves the 8 MiB of cirrus out.
    assert info.target_memkb == 248 * MiB
    assert info.current_memkb == 256 * MiB
    assert sim.domain_config(domid)["b_info"]["target_memkb"] == 256 * MiB
    sim.set_memory_target(domid, 200 * MiB)
    assert sim.domain_info(domid).target_memkb == 192 * MiB
    std = hvm_config()
    std["b_info"]["type.hvm"]["vga"] = {"kind": "std"}
    std["b_info"]["video_memkb"] = 8 * MiB
    with pytest.raises(InvalidArgument, match="16 MB for STD"):
        sim.create(std)
    bad = hvm_config()
    bad["b_info"]["type.hvm"]["vga"] = {"kind": "vesa"}
    with pytest.raises(InvalidArgument):
        sim.create(bad)
    below_max = hvm_config(mem_mib=256)
    below_max["b_info"]["max_memkb"] = 512 * MiB
    domid = sim.create(below_max)
    # ... and an HVM guest started below its maximum loses 1 MiB more.
    assert sim.domain_info(domid).target_memkb == 247 * MiB



def test_boot_files_are_looked_for_only_where_libxl_reads_them(
        sim: SimHypervisor, tmp_path: Path) -> None:
    missing = str(tmp_path / "gone")
    # the deprecated type.pv alias is read as well
    with pytest.raises(HypervisorError, match="Kernel image does not exist"):
        sim.create({"c_info": {"type": "pv", "name": "old"},
                    "b_info": {"type.pv": {"kernel": missing}}})
    # a bootloader finds the kernel inside the guest's disk
    sim.create({"c_info": {"type": "pv", "name": "grub"},
                "b_info": {"type.pv": {}, "bootloader": "pygrub",
                           "kernel": missing}})
    # a restore does not boot the kernel again
    domid = sim.create(pv_config("sv"))
    config = sim.domain_config(domid)
    stream = io.BytesIO()
    sim.save(domid, stream)
    sim.destroy(domid)
    config["b_info"]["kernel"] = missing
    restored = sim.restore(config, io.BytesIO(stream.getvalue()))
    assert sim.domain_info(restored).name == "sv"


def test_created_affinity_keeps_only_host_cpus(sim: SimHypervisor) -> None:
    config = pv_config(vcpus=2)
    config["b_info"]["vcpu_hard_affinity"] = [[0, 1, 2, 3, 4, 63], [9, 1]]
    domid = sim.create(config)
    assert [v.affinity for v in sim.list_vcpus(domid)] == [(0, 1, 2, 3), (1,)]
    config = pv_config(vcpus=1)
    config["b_info"]["vcpu_hard_affinity"] = [[4, 63]]
    with pytest.raises(InvalidArgument, match="cpu 4 does not exist"):
        sim.create(config)
