"""libxl JSON -> DomainConfig: the inverse of to_libxl_json.

Round trips: for each config, ``from_libxl_json(to_libxl_json(cfg))``
describes the same domain (the fields compared below) and translates to
the same document.  And the document ``xl save`` puts in its header for a
PV guest (libxl's retrieved config, defaults filled in), written here from
the format's facts, comes back as the guest its xl config described.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from xend.errors import ConfigError
from xend.model.cpuid import cpuid_policy_json
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.libxl_back import checked_config_from_libxl, rate_text
from xend.model.libxl_json import from_libxl_json, to_libxl_json
from xend.model.values import parse_vif_rate

UUID = "6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab"
HOST_CPUS = 4


def _pv() -> DomainConfig:
    return DomainConfig(
        name="pv-guest", uuid=UUID, kernel="/boot/vmlinuz",
        ramdisk="/boot/initrd.img", root="/dev/xvda1 ro",
        extra="console=hvc0", memory=1024, maxmem=2048, vcpus=2,
        maxvcpus=4, cpus="2-3", cpu_weight=512, cpu_cap=50,
        disks=[DiskSpec.parse("phy:vg0/pv-guest,xvda,w"),
               DiskSpec.parse("tap:qcow2:/srv/data.qcow2,xvdb,r"),
               DiskSpec.parse("file:/srv/raw.img,xvdc,w"),
               DiskSpec.parse("nbd:server:1234,xvdd,r")],
        vifs=[VifSpec.parse("mac=00:16:3e:11:22:33, bridge=xenbr0, "
                            "ip=192.0.2.10, rate=10Mb/s"),
              VifSpec.parse("bridge=xenbr1, script=vif-bridge, "
                            "vifname=v1, rate=1234567B/s@20ms"),
              VifSpec.parse("type=netfront, backend=netdom")],
        on_poweroff="destroy", on_reboot="restart", on_crash="preserve")


def _pv_extras() -> DomainConfig:
    return DomainConfig(
        name="pv-extras", bootloader="/usr/bin/pygrub",
        bootargs="--kernel=/vmlinuz --args=quiet", memory=256, vcpus=2,
        cpus=["0", "1"], pool="pool1", localtime=True, nomigrate=1,
        tsc_mode=2, shadow_memory=8, blkif=True,
        cpuid=["1:eax=0x1,ecx=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1",
               "0x7,0:ebx=kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"],
        ioports=["3f8-3ff", "2f8"],
        irq=[4, 3], pci=PciSpec.parse("0000:01:00.0@5,permissive=1"),
        vfbs=[VfbSpec.parse("vnc=1, vnclisten=0.0.0.0, vncdisplay=3, "
                            "vncunused=0, keymap=de")],
        platform={"videoram": 8, "rtc_timeoffset": -3600},
        on_poweroff="rename-restart", on_reboot="preserve",
        on_crash="coredump-restart")


def _hvm() -> DomainConfig:
    return DomainConfig(
        name="hvm-guest", uuid=UUID, builder="hvm", kernel="hvmloader",
        loader="/usr/lib/xen/boot/ovmf.bin", memory=512, vcpus=2,
        hap=0, oos=0,
        disks=[DiskSpec.parse("phy:/dev/vg/h,hda,w"),
               DiskSpec.parse("file:/iso/d.iso,hdc:cdrom,r"),
               DiskSpec.parse(",hdd:cdrom,r")],
        vifs=[VifSpec.parse("type=ioemu, bridge=br0, model=e1000, "
                            "mac=00:16:3e:00:00:01")],
        platform={"boot": "dc", "acpi": 0, "apic": 1, "pae": 1,
                  "viridian": 1, "hpet": 1, "stdvga": 1, "vnc": 1,
                  "vncdisplay": 2, "vnclisten": "127.0.0.1",
                  "vncpasswd": "s3cret", "serial": "pty", "timer_mode": 2,
                  "usb": 1, "usbdevice": "tablet", "sdl": 0, "videoram": 16,
                  "nestedhvm": 1, "keymap": "fr", "soundhw": "ac97",
                  "xen_platform_pci": 1, "nographic": 0,
                  "gfx_passthru": "igd", "device_model": "stubdom-dm",
                  "rtc_timeoffset": 7200})


def _pvh() -> DomainConfig:
    return DomainConfig(name="pvh-guest", builder="pvh", kernel="/k",
                        extra="console=hvc0", memory=128, tsc_mode=3)


def _pinned_vcpu0() -> DomainConfig:
    return DomainConfig(name="cpu0", kernel="/k", vcpus=3, cpu=2)


def _same_per_vcpu() -> DomainConfig:
    return DomainConfig(name="same", kernel="/k", vcpus=2, cpus=["1", "1"])


CONFIGS = [_pv, _pv_extras, _hvm, _pvh, _pinned_vcpu0, _same_per_vcpu]


def _disk_view(d: DiskSpec) -> tuple[Any, ...]:
    kind, path, fmt = d.source()
    return (d.vdev, d.readwrite, d.is_cdrom, path, fmt,
            kind if kind not in ("phy", "file", "tap") else "", d.backend)


def _vif_view(v: VifSpec) -> tuple[Any, ...]:
    rate = parse_vif_rate(v.rate) if v.rate else None
    kind = {"vif": "netfront"}.get(str(v.type), v.type)
    return (v.mac, v.bridge, v.ip, v.script, kind, v.vifname, rate,
            v.model, v.backend)


def _view(cfg: DomainConfig) -> dict[str, Any]:
    """What makes the domain: the fields to_libxl_json translates."""
    return {
        "name": cfg.name, "uuid": cfg.uuid, "builder": cfg.builder,
        "kernel": "" if cfg.is_hvm else cfg.kernel, "ramdisk": cfg.ramdisk,
        "cmdline": cfg.kernel_cmdline, "bootloader": cfg.bootloader,
        "bootargs": cfg.bootargs, "memory": cfg.memory,
        "maxmem": cfg.max_memory, "vcpus": cfg.vcpus,
        "maxvcpus": cfg.max_vcpus,
        "affinity": cfg.vcpu_affinity(HOST_CPUS),
        "weight": cfg.cpu_weight, "cap": cfg.cpu_cap, "pool": cfg.pool,
        "actions": (cfg.on_poweroff, cfg.on_reboot, cfg.on_crash),
        "features": (cfg.localtime, cfg.tsc_mode, cfg.nomigrate, cfg.hap,
                     cfg.oos, cfg.shadow_memory),
        "driver_domain": cfg.blkif or cfg.netif,
        "cpuid": cpuid_policy_json(cfg.cpuid),
        "loader": cfg.loader if cfg.is_hvm else "",
        "ioports": tuple(cfg.ioports), "irq": tuple(cfg.irq),
        "disks": [_disk_view(d) for d in cfg.disks],
        "vifs": [_vif_view(v) for v in cfg.vifs],
        "pci": list(cfg.pci),
        "vfbs": [dict(v.options) for v in cfg.vfbs],
        "platform": {k: str(v) for k, v in cfg.platform.items()},
    }


@pytest.mark.parametrize("make", CONFIGS, ids=lambda f: f.__name__[1:])
def test_round_trip(make: Any) -> None:
    cfg = make()
    doc = to_libxl_json(cfg, HOST_CPUS)
    back = from_libxl_json(doc)
    assert json.dumps(to_libxl_json(back, HOST_CPUS)) == json.dumps(doc)
    view, back_view = _view(cfg), _view(back)
    if cfg.cpu is not None:      # xm's "vcpu 0 on cpu N" is a pin list
        back_view["affinity"] = view["affinity"]
        assert back.vcpu_affinity(HOST_CPUS) == [[2], [0, 1, 2, 3],
                                                 [0, 1, 2, 3]]
    for key in view:
        assert back_view[key] == view[key], key
    # ... and it passes the strict checks of an outside document
    assert _view(checked_config_from_libxl(doc)) == back_view


def test_the_command_line_comes_back_whole_in_extra() -> None:
    back = from_libxl_json(to_libxl_json(_pv(), HOST_CPUS))
    assert (back.root, back.extra) == ("", "root=/dev/xvda1 ro console=hvc0")


def test_vfb_options_keep_their_meaning() -> None:
    back = from_libxl_json(to_libxl_json(_pv_extras(), HOST_CPUS))
    assert dict(back.vfbs[0].options) == {
        "vnc": "1", "vnclisten": "0.0.0.0", "vncdisplay": "3",
        "vncunused": "0", "keymap": "de"}
    assert back.platform["rtc_timeoffset"] == -3600


@pytest.mark.parametrize("per_interval, usecs", [
    (62500, 50000), (24691, 20000), (1, 1), (7, 3), (999999, 1000000),
    (123456789, 987654)])
def test_rate_text_parses_back_exactly(per_interval: int, usecs: int) -> None:
    assert parse_vif_rate(rate_text(per_interval, usecs)) == (per_interval,
                                                              usecs)


# -- what xl save carries ------------------------------------------------

#: The libxl_domain_config of a running PV guest as `xl save` writes it into
#: its header (libxl_retrieve_domain_configuration: xl's config with libxl's
#: defaults filled in, domid left out), for this xl config:
#:   name="lab-xl"; kernel=".../vmlinuz"; ramdisk=".../initramfs.gz"
#:   extra="console=hvc0 loglevel=4"; memory=128; maxmem=256; vcpus=2
#:   disk=['file:/var/lib/xen-lab/run/lab-xl-xvda.img,xvda,w']
#:   vif=['bridge=xenbr0,mac=00:16:3e:5a:01:02']
#:   on_poweroff="destroy"; on_reboot="restart"; on_crash="destroy"
XL_SAVED_PV = """
{
    "c_info": {
        "type": "pv",
        "name": "lab-xl",
        "uuid": "0b6d3bd1-6b2b-4b59-a5e0-7f4f2a9b8c11",
        "run_hotplug_scripts": "True"
    },
    "b_info": {
        "max_vcpus": 2,
        "avail_vcpus": [0, 1],
        "numa_placement": "True",
        "max_memkb": 262144,
        "target_memkb": 131072,
        "video_memkb": 0,
        "shadow_memkb": 0,
        "device_model_version": "qemu_xen",
        "sched_params": {"sched": "credit2", "weight": 256},
        "claim_mode": "True",
        "event_channels": 1023,
        "kernel": "/var/lib/xen-lab/guest/vmlinuz",
        "cmdline": "console=hvc0 loglevel=4",
        "ramdisk": "/var/lib/xen-lab/guest/initramfs.gz",
        "max_grant_frames": 64,
        "max_maptrack_frames": 1024,
        "type.pv": {},
        "arch_arm": {},
        "arch_x86": {"msr_relaxed": "False"}
    },
    "disks": [
        {
            "pdev_path": "/var/lib/xen-lab/run/lab-xl-xvda.img",
            "vdev": "xvda",
            "backend": "qdisk",
            "format": "raw",
            "readwrite": 1,
            "discard_enable": "True"
        }
    ],
    "nics": [
        {
            "devid": 0,
            "mac": "00:16:3e:5a:01:02",
            "bridge": "xenbr0",
            "script": "vif-bridge",
            "nictype": "vif"
        }
    ],
    "vkbs": [{"devid": 0}],
    "on_reboot": "restart",
    "on_soft_reset": "soft_reset"
}
"""


def test_xl_saved_pv_guest() -> None:
    cfg = checked_config_from_libxl(json.loads(XL_SAVED_PV))
    assert (cfg.name, cfg.uuid, cfg.builder) == (
        "lab-xl", "0b6d3bd1-6b2b-4b59-a5e0-7f4f2a9b8c11", "linux")
    assert (cfg.memory, cfg.maxmem, cfg.vcpus, cfg.maxvcpus) == (
        128, 256, 2, None)
    assert cfg.kernel == "/var/lib/xen-lab/guest/vmlinuz"
    assert cfg.ramdisk == "/var/lib/xen-lab/guest/initramfs.gz"
    assert cfg.kernel_cmdline == "console=hvc0 loglevel=4"
    assert [(d.uname, d.dev, d.mode) for d in cfg.disks] == [
        ("file:/var/lib/xen-lab/run/lab-xl-xvda.img", "xvda", "w")]
    assert [(v.mac, v.bridge, v.script, v.type) for v in cfg.vifs] == [
        ("00:16:3e:5a:01:02", "xenbr0", "vif-bridge", "netfront")]
    assert (cfg.on_poweroff, cfg.on_reboot, cfg.on_crash) == (
        "destroy", "restart", "destroy")
    assert cfg.cpus is None and cfg.platform == {}
    assert cfg.cpu_weight == 256
    # and what we would build it from again says the same
    doc = to_libxl_json(cfg, HOST_CPUS)
    assert doc["c_info"] == {"type": "pv", "name": "lab-xl",
                             "uuid": "0b6d3bd1-6b2b-4b59-a5e0-7f4f2a9b8c11",
                             "run_hotplug_scripts": "True"}
    b = doc["b_info"]
    assert (b["max_memkb"], b["target_memkb"], b["max_vcpus"],
            b["avail_vcpus"]) == (262144, 131072, 2, [0, 1])
    assert doc["disks"] == [{"pdev_path":
                             "/var/lib/xen-lab/run/lab-xl-xvda.img",
                             "vdev": "xvda", "format": "raw",
                             "readwrite": 1}]
    assert doc["nics"] == [{"devid": 0, "mac": "00:16:3e:5a:01:02",
                            "bridge": "xenbr0", "script": "vif-bridge",
                            "nictype": "vif"}]


def test_libxls_default_marker_is_not_a_size() -> None:
    doc = json.loads(XL_SAVED_PV)
    doc["b_info"].update(video_memkb=(1 << 64) - 1, shadow_memkb=-1)
    cfg = checked_config_from_libxl(doc)
    assert (cfg.platform, cfg.shadow_memory, cfg.memory) == ({}, 0, 128)


@pytest.mark.parametrize("doc, message", [
    ([], "not an object"),
    ({"c_info": [], "b_info": {}}, "Invalid libxl domain config"),
    ({"c_info": {"name": "a"}, "b_info": {"kernel": ["x"]}},
     "kernel must be a string"),
    ({"c_info": {"name": "a"}, "b_info": {"kernel": "/k"}, "nics": [5]},
     "Invalid libxl domain config"),
    ({"c_info": {"name": "a b"}, "b_info": {"kernel": "/k"}},
     "Invalid domain name"),
    ({"c_info": {"name": "a"}, "b_info": {}}, "no kernel"),
    ({"c_info": {"name": "a", "uuid": "nope"}, "b_info": {"kernel": "/k"}},
     "Invalid uuid"),
    ({"c_info": {"name": "a"}, "b_info": {"kernel": "/k",
                                          "max_vcpus": 10**6}},
     "vcpus"),
])
def test_bad_documents_are_one_config_error(doc: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        checked_config_from_libxl(doc)
