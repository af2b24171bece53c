"""DomainConfig and its devices: parsing, validation, dict round trip."""

from __future__ import annotations

import dataclasses
import json

import pytest

from xend.errors import ConfigError
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig


def full_config() -> DomainConfig:
    return DomainConfig(
        name="web1", uuid="5f3c8e2a-1b2c-4d5e-8f90-0123456789ab",
        description="front end", kernel="/boot/vmlinuz", ramdisk="/boot/i",
        root="/dev/xvda1 ro", kernel_ip="10.0.0.2:127.0.255.255::::eth0:off",
        extra="quiet", memory=512, maxmem=1024, vcpus=2, maxvcpus=4,
        cpus="0-3,^1", cpu_weight=512, cpu_cap=50, pool="p1",
        on_crash="preserve", on_xend_start="start", localtime=True,
        tsc_mode=1, cpuid=("1:eax=0x1",),
        disks=[DiskSpec.parse("phy:vg0/web1,xvda,w"),
               DiskSpec.parse(",hdc:cdrom,r")],
        vifs=[VifSpec.parse("mac=00:16:3e:00:00:01, bridge=xenbr0, "
                            "rate=10Mb/s")],
        pci=PciSpec.parse("0000:03:00.0,msitranslate=1"),
        vfbs=[VfbSpec.parse("vnc=1, vnclisten=0.0.0.0")],
        irq=[5], ioports=["2f8-2ff"],
        platform={"serial": "pty", "vnc": 1}, other={"vhpt": 3})


def test_lists_become_tuples_and_config_is_frozen() -> None:
    cfg = full_config()
    assert isinstance(cfg.disks, tuple) and isinstance(cfg.irq, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.memory = 1  # type: ignore[misc]
    assert dataclasses.replace(cfg, memory=256).memory == 256


def test_derived_values() -> None:
    cfg = full_config()
    assert cfg.max_memory == 1024 and cfg.max_vcpus == 4
    assert cfg.kernel_cmdline == \
        "root=/dev/xvda1 ro ip=10.0.0.2:127.0.255.255::::eth0:off quiet"
    assert cfg.vcpu_affinity() == [[0, 2, 3]] * 4
    plain = DomainConfig(name="a", kernel="/k")
    assert plain.max_memory == 128 and plain.max_vcpus == 1
    assert plain.vcpu_affinity() is None
    per_vcpu = DomainConfig(name="a", kernel="/k", vcpus=2, cpus=["2", "3"])
    assert per_vcpu.vcpu_affinity() == [[2], [3]]


def test_cmdline_does_not_repeat_root_given_in_extra() -> None:
    cfg = DomainConfig(name="a", kernel="/k", root="/dev/sda1",
                       extra="root=/dev/sdb1 ro")
    assert cfg.kernel_cmdline == "root=/dev/sdb1 ro"


def test_dict_round_trip_is_json() -> None:
    cfg = full_config()
    data = json.loads(json.dumps(cfg.to_dict()))
    assert data["version"] == 1
    assert data["disks"][0] == {"uname": "phy:vg0/web1", "dev": "xvda",
                                "mode": "w"}
    assert DomainConfig.from_dict(data) == cfg


def test_dict_round_trip_minimal() -> None:
    cfg = DomainConfig(name="a", kernel="/k")
    assert DomainConfig.from_dict(cfg.to_dict()) == cfg
    assert DomainConfig.from_dict({"name": "a", "kernel": "/k"}) == cfg


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "Unsupported domain config version"),
    ({"bogus": 1}, "unknown key 'bogus'"),
    ({"memory": "512"}, "memory must be an integer"),
    ({"memory": True}, "memory must be an integer"),
    ({"localtime": 1}, "localtime must be true or false"),
    ({"disks": {}}, "disks must be a list"),
    ({"disks": [{"uname": "phy:x", "dev": "xvda", "mode": "q"}]},
     "mode must be r, w or w!"),
    ({"disks": [{"uname": "phy:x", "dev": "xvda", "colour": "red"}]},
     "unknown key 'colour'"),
    ({"vifs": [{"mac": "zz"}]}, "Invalid MAC"),
    ({"platform": {"warp": 9}}, "Unknown platform option"),
    ({"cpus": 3}, "cpus must be a string"),
    ({"memory": 0}, "memory: 0"),
])
def test_from_dict_rejects_bad_data(change: dict[str, object],
                                    message: str) -> None:
    data = DomainConfig(name="a", kernel="/k").to_dict()
    data.update(change)
    with pytest.raises(ConfigError, match=message):
        DomainConfig.from_dict(data)


def test_from_dict_needs_an_object_with_a_name() -> None:
    with pytest.raises(ConfigError, match="expected an object"):
        DomainConfig.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no name"):
        DomainConfig.from_dict({"kernel": "/k"})


@pytest.mark.parametrize("fields, message", [
    ({"name": "bad name"}, "Invalid domain name"),
    ({"uuid": "nope"}, "Invalid uuid"),
    ({"builder": "xen"}, "Invalid builder"),
    ({"kernel": ""}, "no kernel and no bootloader"),
    ({"memory": 0}, "memory"),
    ({"maxmem": 64}, r"maxmem \(64\) must not be less than memory"),
    ({"vcpus": 0}, "vcpus"),
    ({"vcpus": 4, "maxvcpus": 2}, "maxvcpus"),
    ({"cpus": "0-x"}, "Invalid cpus"),
    ({"cpu_weight": 0}, "cpu_weight"),
    ({"on_reboot": "explode"}, "Invalid value for on_reboot"),
    ({"on_crash": "coredump-destroy"}, None),
    ({"tsc_mode": 4}, "tsc_mode"),
    ({"disks": [DiskSpec("phy:a", "xvda"), DiskSpec("phy:b", "xvda")]},
     "Duplicate disk device xvda"),
    ({"builder": "hvm", "kernel": ""}, None),
    ({"kernel": "", "bootloader": "pygrub"}, None),
])
def test_validate(fields: dict[str, object], message: str | None) -> None:
    kwargs: dict[str, object] = {"name": "a", "kernel": "/k", "memory": 128}
    kwargs.update(fields)
    cfg = DomainConfig(**kwargs)  # type: ignore[arg-type]
    if message is None:
        assert cfg.validate() is cfg
    else:
        with pytest.raises(ConfigError, match=message):
            cfg.validate()


@pytest.mark.parametrize("spec, disk", [
    ("phy:hda1,hda1,w", DiskSpec("phy:hda1", "hda1", "w")),
    ("file:/img,xvda,r,2", DiskSpec("file:/img", "xvda", "r", "2")),
    ("tap:aio:/img,xvda,w!,,x86_64-abi",
     DiskSpec("tap:aio:/img", "xvda", "w!", None, "x86_64-abi")),
    (",hdc:cdrom,r", DiskSpec("", "hdc:cdrom", "r")),
])
def test_disk_parse(spec: str, disk: DiskSpec) -> None:
    assert DiskSpec.parse(spec) == disk


@pytest.mark.parametrize("spec, message", [
    ("phy:hda1,hda1", "Invalid disk specifier: phy:hda1,hda1"),
    ("a,b,c,d,e,f", "Invalid disk specifier: a,b,c,d,e,f"),
    (",hda,w", "empty source is allowed only for a cdrom"),
    ("phy:x,xvda,rw", "mode must be r, w or w!"),
    ("/no/prefix,xvda,w", "needs a type prefix"),
    ("tap:foo:/x,xvda,w", "unknown tap driver"),
])
def test_disk_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DiskSpec.parse(spec)


@pytest.mark.parametrize("uname, dev, source, vdev, cls", [
    ("phy:hda1", "hda1", ("phy", "/dev/hda1", "raw"), "hda1", "vbd"),
    ("phy:/dev/vg/x", "xvda", ("phy", "/dev/vg/x", "raw"), "xvda", "vbd"),
    ("file:/i.img", "ioemu:hda", ("file", "/i.img", "raw"), "hda", "vbd"),
    ("tap:qcow2:/q", "xvdb", ("tap", "/q", "qcow2"), "xvdb", "tap"),
    ("tap2:vhd:/v", "xvdc", ("tap", "/v", "vhd"), "xvdc", "tap2"),
    ("tap:vmdk:/v", "xvdc", ("tap", "/v", ""), "xvdc", "tap"),
    ("nbd:host:1234", "xvdd", ("nbd", "host:1234", "raw"), "xvdd", "vbd"),
    ("", "hdc:cdrom", ("phy", "", "empty"), "hdc", "vbd"),
])
def test_disk_source(uname: str, dev: str, source: tuple[str, str, str],
                     vdev: str, cls: str) -> None:
    disk = DiskSpec(uname, dev, "r")
    assert disk.source() == source
    assert disk.vdev == vdev
    assert disk.device_class == cls


def test_vif_parse() -> None:
    vif = VifSpec.parse("type=ioemu, bridge=xenbr0, mac=00:16:3E:01:02:03")
    assert vif == VifSpec(type="ioemu", bridge="xenbr0",
                          mac="00:16:3E:01:02:03")
    assert vif.items() == [("bridge", "xenbr0"),
                           ("mac", "00:16:3E:01:02:03"), ("type", "ioemu")]
    assert VifSpec.parse("") == VifSpec()


@pytest.mark.parametrize("spec, message", [
    ("colour=red", "Invalid vif option: colour"),
    ("mac=00:16", "Invalid MAC"),
    ("rate=fast", "Invalid vif rate"),
    ("bridge", "should be a pair"),
])
def test_vif_parse_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VifSpec.parse(spec)


def test_pci_parse() -> None:
    assert PciSpec.parse("07:00.0") == [PciSpec(0, 7, 0, 0)]
    devs = PciSpec.parse("0001:0a:1f.0-2@5,power_mgmt=1")
    assert [d.func for d in devs] == [0, 1, 2]
    assert devs[0] == PciSpec(1, 10, 31, 0, 5, power_mgmt=1)
    assert devs[0].bdf == "0001:0a:1f.0"
    for bad, message in [("7:0", "Failed to parse"),
                         ("07:00.*", "not supported"),
                         ("07:00.0,speed=1", "Invalid pci option")]:
        with pytest.raises(ConfigError, match=message):
            PciSpec.parse(bad)


def test_vfb_parse() -> None:
    vfb = VfbSpec.parse("type=vnc, vncdisplay=1")
    assert vfb.options == (("vnc", "1"), ("vncdisplay", "1"))
    assert vfb.enabled("vnc") and not vfb.enabled("sdl")
    with pytest.raises(ConfigError, match="unknown to vfbs"):
        VfbSpec.parse("colour=1")
