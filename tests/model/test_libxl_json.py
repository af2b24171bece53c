"""DomainConfig -> libxl JSON: golden documents from the reference's
``xl -N create`` captures (Xen 4.17.7), key order included, and the way
back (from_libxl_json)."""

from __future__ import annotations

import json

import pytest

from xend.errors import ConfigError
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import from_libxl_json, to_libxl_json

UUID = "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"


def same(doc: object, expected: object) -> None:
    """Equal, and in the same key order (json.dumps keeps order)."""
    assert json.dumps(doc) == json.dumps(expected)


def pv_guest() -> DomainConfig:
    """The reference's PV sample, written the xm way."""
    return DomainConfig(
        name="pv-guest", uuid=UUID, kernel="/boot/vmlinuz-6.1.0-13-amd64",
        ramdisk="/boot/initrd.img-6.1.0-13-amd64", root="/dev/xvda1 ro",
        extra="console=hvc0", memory=1024, maxmem=2048, vcpus=2,
        maxvcpus=4, cpus="2-3", cpu_weight=512, cpu_cap=50,
        disks=[DiskSpec.parse("phy:/dev/vg0/pv-guest-disk,xvda,w"),
               DiskSpec.parse("tap:qcow2:/srv/images/data.qcow2,xvdb,r")],
        vifs=[VifSpec.parse("mac=00:16:3e:11:22:33, bridge=xenbr0, "
                            "ip=192.0.2.10, rate=10Mb/s"),
              VifSpec.parse("bridge=xenbr1, script=vif-bridge")],
        on_poweroff="destroy", on_reboot="restart", on_crash="preserve")


def test_pv_golden() -> None:
    same(to_libxl_json(pv_guest()), {
        "c_info": {"type": "pv", "name": "pv-guest", "uuid": UUID,
                   "run_hotplug_scripts": "True"},
        "b_info": {
            "max_vcpus": 4, "avail_vcpus": [0, 1],
            "vcpu_hard_affinity": [[2, 3], [2, 3], [2, 3], [2, 3]],
            "max_memkb": 2097152, "target_memkb": 1048576,
            "sched_params": {"weight": 512, "cap": 50},
            "claim_mode": "True",
            "kernel": "/boot/vmlinuz-6.1.0-13-amd64",
            "cmdline": "root=/dev/xvda1 ro console=hvc0",
            "ramdisk": "/boot/initrd.img-6.1.0-13-amd64",
            "type.pv": {}, "arch_arm": {}, "arch_x86": {}},
        "disks": [
            {"pdev_path": "/dev/vg0/pv-guest-disk", "vdev": "xvda",
             "format": "raw", "readwrite": 1},
            {"pdev_path": "/srv/images/data.qcow2", "vdev": "xvdb",
             "format": "qcow2"}],
        "nics": [
            {"devid": 0, "mac": "00:16:3e:11:22:33", "ip": "192.0.2.10",
             "bridge": "xenbr0", "rate_bytes_per_interval": 62500,
             "rate_interval_usecs": 50000},
            {"devid": 1, "bridge": "xenbr1", "script": "vif-bridge"}],
        "on_reboot": "restart", "on_crash": "preserve",
        "on_soft_reset": "soft_reset"})


def test_hvm_golden() -> None:
    cfg = DomainConfig(
        name="hvm-guest", uuid="76e4433a-7db4-4275-bffc-92e60b33a638",
        builder="hvm", kernel="hvmloader", memory=2048, vcpus=2,
        disks=[DiskSpec.parse("file:/var/lib/xen/images/hvm-guest.img,"
                              "hda,w"),
               DiskSpec.parse("file:/srv/iso/debian.iso,hdc:cdrom,r")],
        vifs=[VifSpec.parse("mac=00:16:3e:44:55:66,bridge=xenbr0,"
                            "model=e1000")],
        platform={"boot": "dc", "vnc": 1, "vnclisten": "0.0.0.0",
                  "serial": "pty"})
    same(to_libxl_json(cfg), {
        "c_info": {"type": "hvm", "name": "hvm-guest",
                   "uuid": "76e4433a-7db4-4275-bffc-92e60b33a638",
                   "run_hotplug_scripts": "True"},
        "b_info": {
            "max_vcpus": 2, "avail_vcpus": [0, 1],
            "max_memkb": 2097152, "target_memkb": 2097152,
            "sched_params": {}, "claim_mode": "True",
            "type.hvm": {
                "vga": {}, "vnc": {"enable": "True", "listen": "0.0.0.0"},
                "sdl": {}, "spice": {}, "serial": "pty", "boot": "dc",
                "rdm": {}},
            "arch_arm": {}, "arch_x86": {}},
        "disks": [
            {"pdev_path": "/var/lib/xen/images/hvm-guest.img",
             "vdev": "hda", "format": "raw", "readwrite": 1},
            {"pdev_path": "/srv/iso/debian.iso", "vdev": "hdc",
             "format": "raw", "removable": 1, "is_cdrom": 1}],
        "nics": [{"devid": 0, "model": "e1000", "mac": "00:16:3e:44:55:66",
                  "bridge": "xenbr0"}],
        "on_reboot": "restart", "on_crash": "restart",
        "on_soft_reset": "soft_reset"})


def test_pv_pygrub_pci_vfb_golden() -> None:
    """The reference's abridged pv2 sample (pygrub, PCI, vfb)."""
    cfg = DomainConfig(
        name="pv-pygrub", uuid=UUID, bootloader="pygrub", memory=512,
        vifs=[VifSpec.parse("mac=00:16:3e:aa:bb:cc, bridge=xenbr0, "
                            "vifname=vif-pv2")],
        pci=PciSpec.parse("0000:03:00.0,permissive=1"),
        vfbs=[VfbSpec.parse("vnc=1, vnclisten=127.0.0.1")],
        on_poweroff="preserve", on_crash="destroy")
    doc = to_libxl_json(cfg)
    assert doc["b_info"]["bootloader"] == "pygrub"
    assert doc["b_info"]["type.pv"] == {"e820_host": "True"}
    same(doc["nics"], [{"devid": 0, "mac": "00:16:3e:aa:bb:cc",
                        "bridge": "xenbr0", "ifname": "vif-pv2"}])
    same(doc["pcidevs"], [{"bus": 3, "vfunc_mask": 1, "permissive": True,
                           "rdm_policy": "strict"}])
    same(doc["vfbs"], [{"devid": 0, "vnc": {"enable": "True",
                                            "listen": "127.0.0.1"},
                        "sdl": {}}])
    assert doc["vkbs"] == [{"devid": 0}]
    assert [k for k in doc if k.startswith("on_")] == [
        "on_poweroff", "on_reboot", "on_soft_reset"]


def test_minimal_defaults() -> None:
    doc = to_libxl_json(DomainConfig(name="a", kernel="/k"))
    same(doc, {
        "c_info": {"type": "pv", "name": "a", "run_hotplug_scripts": "True"},
        "b_info": {"max_vcpus": 1, "avail_vcpus": [0], "max_memkb": 131072,
                   "target_memkb": 131072, "sched_params": {},
                   "claim_mode": "True", "kernel": "/k", "type.pv": {},
                   "arch_arm": {}, "arch_x86": {}},
        "on_reboot": "restart", "on_crash": "restart",
        "on_soft_reset": "soft_reset"})


@pytest.mark.parametrize("action, libxl", [
    ("destroy", None), ("restart", "restart"),
    ("rename-restart", "restart_rename"), ("preserve", "preserve"),
    ("coredump-destroy", "coredump_destroy"),
    ("coredump-restart", "coredump_restart"),
])
def test_actions(action: str, libxl: str | None) -> None:
    doc = to_libxl_json(DomainConfig(name="a", kernel="/k", on_crash=action))
    assert doc.get("on_crash") == libxl


def test_pvh_and_options() -> None:
    cfg = DomainConfig(name="a", builder="pvh", kernel="/grub.bin",
                       tsc_mode=2, nomigrate=1, shadow_memory=8,
                       localtime=True, hap=0, pool="p", cpus=["0", "1"],
                       vcpus=2, kernel_ip="1.2.3.4::::h:eth0:off",
                       bootloader="", extra="x")
    doc = to_libxl_json(cfg)
    assert doc["c_info"]["type"] == "pvh"
    assert doc["c_info"]["hap"] == "False"
    assert doc["c_info"]["pool_name"] == "p"
    b = doc["b_info"]
    assert b["type.pvh"] == {} and "type.pv" not in b
    assert b["tsc_mode"] == "native" and b["disable_migrate"] == "True"
    assert b["shadow_memkb"] == 8192 and b["localtime"] == "True"
    assert b["vcpu_hard_affinity"] == [[0], [1]]
    assert b["numa_placement"] == "False"
    assert b["cmdline"] == "ip=1.2.3.4::::h:eth0:off x"


def test_cpuid_golden() -> None:
    """xend's cpuid syntax -> b_info.cpuid: the leaves xl -N create
    prints for the same entries, as the bare array every libxl 4.17 reads
    (tests/bindings/test_libxl_mock.py has libxl read it)."""
    cfg = DomainConfig(name="a", kernel="/k", nomigrate=1, cpuid=[
        "0x1:eax=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1,edx=0x80000000",
        "7,0:ebx=ssssssssssssssssssssssssssssssss",
        "1:ecx=0000000000000000000000000000000x"])
    doc = to_libxl_json(cfg)
    same(doc["b_info"], {
        "max_vcpus": 1, "avail_vcpus": [0], "max_memkb": 131072,
        "target_memkb": 131072, "disable_migrate": "True",
        "cpuid": [
            {"leaf": 1, "eax": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1",
             "ecx": "0000000000000000000000000000000x",
             "edx": "10000000000000000000000000000000"},
            {"leaf": 7, "subleaf": 0,
             "ebx": "ssssssssssssssssssssssssssssssss"}],
        "sched_params": {}, "claim_mode": "True", "kernel": "/k",
        "type.pv": {}, "arch_arm": {}, "arch_x86": {}})


def test_no_cpuid_no_key() -> None:
    assert "cpuid" not in to_libxl_json(
        DomainConfig(name="a", kernel="/k"))["b_info"]


@pytest.mark.parametrize("flags", [{"blkif": True}, {"netif": True},
                                   {"blkif": True, "netif": True}])
def test_backend_flags_make_a_driver_domain(flags: dict[str, bool]) -> None:
    c_info = to_libxl_json(DomainConfig(name="a", kernel="/k",
                                        **flags))["c_info"]
    same(c_info, {"type": "pv", "name": "a", "run_hotplug_scripts": "True",
                  "driver_domain": "True"})


def test_no_backend_flags_no_driver_domain() -> None:
    c_info = to_libxl_json(DomainConfig(name="a", kernel="/k"))["c_info"]
    assert "driver_domain" not in c_info


def test_bad_cpuid_is_refused() -> None:
    with pytest.raises(ConfigError, match="cpuid"):
        to_libxl_json(DomainConfig(name="a", kernel="/k",
                                   cpuid=["1:eax=101"]))


def test_cpus_all_needs_host_size() -> None:
    cfg = DomainConfig(name="a", kernel="/k", vcpus=2, cpus="all,^0")
    assert to_libxl_json(cfg, max_cpus=3)["b_info"][
        "vcpu_hard_affinity"] == [[1, 2], [1, 2]]
    with pytest.raises(ConfigError, match="needs the host CPU count"):
        to_libxl_json(cfg)


def test_unsupported_tap_driver_is_an_error() -> None:
    cfg = DomainConfig(name="a", kernel="/k",
                       disks=[DiskSpec("tap:vmdk:/x.vmdk", "xvda", "w")])
    with pytest.raises(ConfigError, match="not supported by libxl"):
        to_libxl_json(cfg)


def test_invalid_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="Invalid domain name"):
        to_libxl_json(DomainConfig(name="a b", kernel="/k"))


def test_from_libxl_json_round_trip_pv() -> None:
    cfg = pv_guest()
    back = from_libxl_json(to_libxl_json(cfg))
    # the command line comes back whole, in extra
    assert back.extra == "root=/dev/xvda1 ro console=hvc0"
    assert back.root == ""
    assert to_libxl_json(back) == to_libxl_json(cfg)
    assert (back.name, back.uuid, back.memory, back.maxmem, back.vcpus,
            back.maxvcpus, back.cpus) == ("pv-guest", UUID, 1024, 2048, 2,
                                          4, "2,3")
    assert [d.uname for d in back.disks] == [
        "phy:/dev/vg0/pv-guest-disk", "tap:qcow2:/srv/images/data.qcow2"]


def test_from_libxl_json_round_trip_hvm() -> None:
    cfg = DomainConfig(
        name="h", builder="hvm", kernel="hvmloader", vcpus=2,
        cpus=["0", "1"], on_poweroff="rename-restart", on_crash="destroy",
        disks=[DiskSpec.parse("phy:/dev/vg/h,hda,w"),
               DiskSpec.parse(",hdc:cdrom,r")],
        vifs=[VifSpec.parse("type=ioemu, bridge=br0, backend=drv")],
        platform={"boot": "dc", "acpi": 0, "stdvga": 1, "vnc": 1,
                  "vncdisplay": 2, "serial": "pty", "timer_mode": 2,
                  "usb": 1, "sdl": 0, "videoram": 8})
    doc = to_libxl_json(cfg)
    back = from_libxl_json(doc)
    assert to_libxl_json(back) == doc


def test_from_libxl_json_minimal_document() -> None:
    """The reference's minimal hand-written document libxl accepts."""
    back = from_libxl_json({
        "c_info": {"type": "pv", "name": "a"},
        "b_info": {"type.pv": {}, "max_memkb": 262144,
                   "target_memkb": 262144, "max_vcpus": 1,
                   "avail_vcpus": [0], "kernel": "/k"}})
    assert (back.name, back.memory, back.maxmem, back.vcpus, back.kernel) \
        == ("a", 256, None, 1, "/k")
    # absent actions are libxl's default, destroy
    assert (back.on_poweroff, back.on_reboot, back.on_crash) == (
        "destroy", "destroy", "destroy")


def test_from_libxl_json_needs_a_name() -> None:
    with pytest.raises(ConfigError, match="no name"):
        from_libxl_json({"c_info": {}, "b_info": {}})
