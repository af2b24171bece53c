"""DomainConfig -> SXP (xm create -n, xm list -l) and back."""

from __future__ import annotations

import re

import pytest

from xend.errors import ConfigError
from xend.model import sxp
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.from_sxp import config_from_sxp
from xend.model.to_sxp import config_sxp, domain_sxp

EXAMPLE1 = DomainConfig(
    name="ExampleDomain", kernel="/boot/vmlinuz-2.6.10-xenU", memory=64,
    root="/dev/hda1 ro", extra="4", vifs=[VifSpec()],
    disks=[DiskSpec.parse("phy:hda1,hda1,w")])

EXAMPLE1_SXP = """\
(vm
    (name ExampleDomain)
    (memory 64)
    (on_xend_start ignore)
    (on_xend_stop ignore)
    (vcpus 1)
    (oos 1)
    (image
        (linux
            (kernel /boot/vmlinuz-2.6.10-xenU)
            (root '/dev/hda1 ro')
            (videoram 4)
            (args 4)
            (tsc_mode 0)
            (nomigrate 0)
        )
    )
    (s3_integrity 1)
    (device (vbd (uname phy:hda1) (dev hda1) (mode w)))
    (device (vif))
)
"""


def test_config_sxp_golden() -> None:
    """What xm 4.4's make_config printed for xmexample1 (same keys, same
    order, same layout)."""
    assert sxp.pretty(config_sxp(EXAMPLE1)) == EXAMPLE1_SXP


def test_config_sxp_actions_printed_when_not_default() -> None:
    cfg = DomainConfig(name="a", kernel="/k", on_poweroff="restart",
                       on_crash="preserve")
    keys = [item[0] for item in config_sxp(cfg)[1:]]
    assert keys[:4] == ["name", "memory", "on_poweroff", "on_crash"]


def test_config_sxp_name_line_for_xendomains() -> None:
    # xendomains: sed 's/^.*(name \\(.*\\))$/\\1/p' on `xm create -n`
    out = sxp.pretty(config_sxp(EXAMPLE1))
    names = [m.group(1) for line in out.splitlines()
             if (m := re.match(r"^.*\(name (.*)\)$", line))]
    assert names == ["ExampleDomain"]


def test_config_sxp_vcpus_and_options() -> None:
    cfg = DomainConfig(name="a", kernel="/k", vcpus=2, maxvcpus=4,
                       cpus=["0", "1"], cpu_weight=512, cpu_cap=0,
                       bootloader="/usr/bin/pygrub", pool="p",
                       uuid="5f3c8e2a-1b2c-4d5e-8f90-0123456789ab",
                       description="d e", localtime=True, blkif=True)
    doc = config_sxp(cfg)
    assert ["vcpu_avail", 3] in doc and ["vcpus", 4] in doc
    assert ["cpus", ["0", "1"]] in doc
    assert ["cpu_cap", 0] in doc and ["cpu_weight", 512] in doc
    assert ["bootloader_args", "-q"] in doc   # xm's default for pygrub
    assert ["backend", ["blkif"]] in doc and ["localtime", 1] in doc
    assert ["pool_name", "p"] in doc and ["description", "d e"] in doc


def test_config_sxp_hvm_image_has_xm_defaults() -> None:
    cfg = DomainConfig(name="h", builder="hvm", kernel="hvmloader",
                       platform={"vnc": 1, "serial": "pty", "boot": "dc"})
    image = sxp.child_value(config_sxp(cfg), "image")
    assert isinstance(image, list) and image[0] == "hvm"
    assert sxp.child_value(image, "boot") == "dc"
    assert sxp.child_value(image, "acpi") == 1          # default shown
    assert sxp.child_value(image, "vnc") == 1
    assert sxp.child_value(image, "vncpasswd") is None  # unset: absent
    assert sxp.child_value(image, "cpuid") == []


def test_config_sxp_devices() -> None:
    cfg = DomainConfig(
        name="a", kernel="/k",
        disks=[DiskSpec.parse("tap:aio:/i,xvda,w,1,x86_32-abi")],
        pci=PciSpec.parse("07:00.1@3"), ioports=["2f8-2ff"], irq=[7],
        vifs=[VifSpec.parse("bridge=br0, mac=00:16:3e:00:00:01")],
        vfbs=[VfbSpec.parse("vnc=1")])
    devices = [d[1] for d in sxp.children(config_sxp(cfg), "device")]
    assert devices == [
        ["tap", ["uname", "tap:aio:/i"], ["dev", "xvda"], ["mode", "w"],
         ["backend", "1"], ["protocol", "x86_32-abi"]],
        ["pci", ["dev", ["domain", "0x0000"], ["bus", "0x07"],
                 ["slot", "0x00"], ["func", "0x1"], ["vdevfn", "0x18"],
                 ["key", "07:00.1"]]],
        ["ioports", ["from", "0x2f8"], ["to", "0x2ff"]],
        ["irq", ["irq", 7]],
        ["vif", ["bridge", "br0"], ["mac", "00:16:3e:00:00:01"]],
        ["vkbd"], ["vfb", ["vnc", "1"]]]


RUNTIME = {"domid": 7, "state": "-b----", "status": 2,
           "start_time": 1398765432.123, "cpu_time": 12.345678901,
           "online_vcpus": 1, "store_mfn": 1234567, "console_mfn": 1234566}


def test_domain_sxp_key_order() -> None:
    doc = domain_sxp(EXAMPLE1, RUNTIME)
    keys = [item[0] for item in doc[1:]]
    assert keys == [
        "domid", "cpu_weight", "cpu_cap", "pool_name", "bootloader",
        "vcpus", "cpus", "on_poweroff", "description", "on_crash", "uuid",
        "bootloader_args", "name", "on_reboot", "maxmem", "memory",
        "shadow_memory", "features", "on_xend_start", "on_xend_stop",
        "start_time", "cpu_time", "online_vcpus", "image", "status",
        "state", "store_mfn", "console_mfn", "device", "device"]


def test_domain_sxp_lines_for_xendomains() -> None:
    out = sxp.pretty(domain_sxp(EXAMPLE1, RUNTIME))
    lines = out.splitlines()
    assert lines[0] == "(domain"
    assert "    (domid 7)" in lines
    assert "    (name ExampleDomain)" in lines
    assert "    (start_time 1398765432.12)" in lines
    assert "    (cpus (()))" in lines
    assert "    (state -b----)" in lines
    # the xendomains parser: (domid N) and (name X) end their lines
    assert any(re.search(r"\(domid 7\)$", line) for line in lines)
    assert any(re.search(r"\(name ExampleDomain\)$", line) for line in lines)
    image = out[out.index("    (image"):out.index("    (status")]
    assert "(args 'root=/dev/hda1 ro 4')" in image   # composed command line


def test_domain_sxp_inactive_managed_domain() -> None:
    doc = domain_sxp(EXAMPLE1, {})
    keys = {item[0] for item in doc[1:]}
    assert not keys & {"domid", "state", "store_mfn", "console_mfn",
                       "start_time"}
    assert sxp.child_value(doc, "status") == 0
    assert sxp.child_value(doc, "online_vcpus") == 0


def test_domain_sxp_runtime_overrides() -> None:
    doc = domain_sxp(EXAMPLE1, {"domid": 3, "memory": 48, "maxmem": 96,
                                "vcpu_affinity": [[0, 1]], "cpu_weight": 9,
                                "uuid": "u", "devices": [["vkbd"]]})
    assert sxp.child_value(doc, "memory") == 48
    assert sxp.child_value(doc, "maxmem") == 96
    assert sxp.child_value(doc, "cpus") == [[0, 1]]
    assert sxp.child_value(doc, "cpu_weight") == 9
    assert sxp.child_value(doc, "uuid") == "u"
    assert [d[1] for d in sxp.children(doc, "device")] == [["vkbd"]]


def test_config_round_trip_through_text() -> None:
    cfg = DomainConfig(
        name="rt", uuid="5f3c8e2a-1b2c-4d5e-8f90-0123456789ab",
        kernel="/k", ramdisk="/r", root="/dev/xvda1", extra="quiet x=1",
        kernel_ip="1.2.3.4:127.0.255.255::::eth0:off", memory=256,
        maxmem=512, vcpus=2, maxvcpus=3, cpus="0-1", cpu_weight=300,
        cpu_cap=20, pool="p", on_poweroff="preserve", on_crash="destroy",
        bootloader="pygrub", bootargs="", description="it's mine",
        tsc_mode=1, nomigrate=1, shadow_memory=4, localtime=True,
        disks=[DiskSpec.parse("phy:vg/a,xvda,w"),
               DiskSpec.parse("tap:qcow2:/b,xvdb,r,2")],
        vifs=[VifSpec.parse("mac=00:16:3e:00:00:01, rate=1MB/s")],
        pci=PciSpec.parse("0000:03:00.0@4,msitranslate=1"),
        vfbs=[VfbSpec.parse("vnc=1, vnclisten=0.0.0.0")],
        ioports=["2f8-2ff", "3f8"], irq=[4],
        access_control=("policy=p,label=l",))
    text = sxp.pretty(config_sxp(cfg))
    assert config_from_sxp(sxp.parse_one(text)) == cfg


def test_hvm_round_trip_through_text() -> None:
    cfg = DomainConfig(
        name="h", builder="hvm", kernel="hvmloader", hap=0,
        disks=[DiskSpec.parse(",hdc:cdrom,r")],
        platform={"boot": "dc", "acpi": 0, "vnc": 1, "vncpasswd": "",
                  "serial": "pty", "stdvga": 1, "device_model": "qemu-dm"})
    text = sxp.pretty(config_sxp(cfg))
    assert config_from_sxp(sxp.parse_one(text)) == cfg


def test_config_from_domain_record() -> None:
    cfg = DomainConfig(name="g", kernel="/k", vcpus=2, cpus="1",
                       memory=64, vifs=[VifSpec.parse("bridge=br0")],
                       disks=[DiskSpec.parse("phy:/dev/x,xvda,w")])
    text = sxp.pretty(domain_sxp(cfg, {"domid": 5, "memory": 60}))
    back = config_from_sxp(sxp.parse_one(text))
    assert (back.name, back.vcpus, back.cpus, back.memory) == ("g", 2,
                                                               "1", 60)
    assert back.disks == cfg.disks and back.vifs == cfg.vifs


def test_hand_written_sxp_config() -> None:
    text = """
    # a pure SXP config, as for xm create -F
    (vm (name sxpguest) (memory 96) (vcpus 2)
        (image (linux (kernel /boot/k) (root /dev/xvda1) (args 'ro quiet')))
        (device (vbd (uname phy:/dev/vg/s) (dev xvda) (mode w)))
        (device (vif (mac 00:16:3e:00:00:02) (bridge xenbr0))))
    """
    cfg = config_from_sxp(sxp.parse_one(text))
    assert cfg.kernel_cmdline == "root=/dev/xvda1 ro quiet"
    assert cfg.memory == 96 and cfg.vcpus == 2
    assert cfg.vifs[0].mac == "00:16:3e:00:00:02"


@pytest.mark.parametrize("text, message", [
    ("(domainx (name a))", "expected \\(vm ...\\)"),
    ("(vm (memory 5))", "no \\(name"),
    ("(vm (name a) (memory lots) (image (linux (kernel /k))))",
     "Invalid value for memory"),
    ("(vm (name a) (image (plan9 (kernel /k))))", "unknown image"),
    ("(vm (name a) (image (linux (kernel /k))) "
     "(device (vbd (uname phy:x) (dev xvda) (mode q))))", "mode"),
])
def test_config_from_sxp_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_sxp(sxp.parse_one(text))
