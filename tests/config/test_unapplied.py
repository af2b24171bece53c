"""No xm variable is dropped silently: each one either has an effect (on
the libxl JSON, or on what xend itself keeps and acts on) or is in the
table of unapplied variables, whose settings xm create reports.

The walk below sets every variable of the variable table, one at a time,
to a value that asks for something (SAMPLES), on a PV and an HVM guest,
and compares the libxl JSON and xend's Xenstore mirror (the keys xend
writes, and acts on: on_xend_start/on_xend_stop, description ...) with
and without it.  A new variable needs a sample here, and then either a
mapping or an entry in xm.config.unapplied; a mapping added for a listed
variable fails the walk until its entry is removed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xend.domains.table import DomainEntry
from xend.errors import ConfigError
from xend.model.libxl_json import to_libxl_json
from xend.xs.mirror import domain_values, vm_values
from xm.config.build import make_domain_config
from xm.config.loader import build_config
from xm.config.unapplied import (UNAPPLIED, asks_for_effect,
                                 ignored_variables, warning_lines)
from xm.config.variables import VARIABLE_LIST, VARIABLES

HOST_CPUS = 4
BITS = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1"
PV = {"name": "g", "kernel": "/boot/vmlinuz", "bootloader": "/usr/bin/pygrub",
      "vif": ["bridge=xenbr0"], "pci": ["02:00.0"]}
HVM = {"name": "g", "builder": "hvm", "kernel": "/usr/lib/xen/boot/hvmloader",
       "pci": ["02:00.0"]}

#: variable -> (a value that asks for something, other variables it needs)
SAMPLES: dict[str, tuple[Any, dict[str, Any]]] = {
    "name": ("other", {}),
    "uuid": ("6a9c1f5e-4b7d-4c1a-9d2e-0123456789ab", {}),
    "description": ("web server", {}),
    "builder": ("pvh", {}),
    "kernel": ("/boot/vmlinuz-2", {}),
    "ramdisk": ("/boot/initrd", {}),
    "loader": ("/usr/lib/xen/boot/ovmf.bin", {}),
    "root": ("/dev/xvda1", {}),
    "extra": ("quiet", {}),
    "bootloader": ("/usr/local/bin/pygrub", {}),
    "bootargs": ("--entry=1", {}),
    "bootentry": ("1", {}),
    "features": ("writable_page_tables", {}),
    "ip": ("192.0.2.1", {}),
    "gateway": ("192.0.2.254", {"ip": "192.0.2.1"}),
    "netmask": ("255.255.255.0", {"ip": "192.0.2.1"}),
    "hostname": ("web", {"ip": "192.0.2.1"}),
    "interface": ("eth1", {"ip": "192.0.2.1"}),
    "dhcp": ("dhcp", {}),
    "nfs_server": ("192.0.2.9", {"ip": "192.0.2.1"}),
    "nfs_root": ("/srv/nfs", {"nfs_server": "192.0.2.9"}),
    "superpages": (1, {}),
    "vhpt": (20, {}),
    "memory": (256, {}),
    "maxmem": (512, {}),
    "shadow_memory": (8, {}),
    "memory_sharing": (1, {}),
    "vcpus": (2, {}),
    "maxvcpus": (4, {}),
    "vcpu_avail": (3, {"vcpus": 2}),
    "cpu": (1, {}),
    "cpus": ("0-1", {}),
    "cpu_cap": (50, {}),
    "cpu_weight": (512, {}),
    "pool": ("pool1", {}),
    "restart": ("never", {}),
    "on_poweroff": ("restart", {}),
    "on_reboot": ("destroy", {}),
    "on_crash": ("preserve", {}),
    "on_xend_start": ("start", {}),
    "on_xend_stop": ("shutdown", {}),
    "target": (3, {}),
    "tsc_mode": (1, {}),
    "nomigrate": (1, {}),
    "machine_address_size": (32, {}),
    "suppress_spurious_page_faults": (1, {}),
    "s3_integrity": (1, {}),
    "oos": (0, {}),
    "hap": (0, {}),
    "nestedhvm": (1, {}),
    "cpuid": ([f"1:eax={BITS}"], {}),
    "cpuid_check": ([f"1:eax={BITS}"], {}),
    "blkif": (1, {}),
    "netif": (1, {}),
    "access_control": (["policy=p,label=l"], {}),
    "disk": (["phy:sdb,xvdb,w"], {}),
    "vif": (["bridge=xenbr1"], {}),
    "vif2": (["bridge=xenbr1"], {}),
    "nics": (3, {}),
    "vfb": (["vnc=1"], {}),
    "pci": (["01:00.0"], {}),
    "vscsi": (["/dev/sdb,0:0:0:0"], {}),
    "vusb": (["usbver=2, numports=4"], {}),
    "ioports": (["2f8-2ff"], {}),
    "irq": ([3], {}),
    "device_model": ("stubdom-dm", {}),
    "boot": ("d", {}),
    "acpi": (0, {}),
    "apic": (0, {}),
    "pae": (0, {}),
    "hpet": (1, {}),
    "timer_mode": (2, {}),
    "vpt_align": (0, {}),
    "viridian": (1, {}),
    "localtime": (1, {}),
    "rtc_timeoffset": (3600, {}),
    "vnc": (1, {}),
    "vncdisplay": (3, {}),
    "vnclisten": ("0.0.0.0", {}),
    "vncunused": (0, {}),
    "vncpasswd": ("secret", {}),
    "vncconsole": (1, {"vnc": 1}),
    "vncviewer": (1, {"vnc": 1}),
    "sdl": (1, {}),
    "opengl": (1, {}),
    "display": (":1", {}),
    "xauthority": ("/root/.Xauthority", {}),
    "nographic": (1, {}),
    "stdvga": (1, {}),
    "videoram": (16, {}),
    "serial": ("pty", {}),
    "parallel": ("/dev/lp0", {}),
    "monitor": (1, {}),
    "monitor_path": ("/run/qemu-monitor", {"monitor": 1}),
    "usb": (1, {}),
    "usbdevice": ("tablet", {}),
    "soundhw": ("sb16", {}),
    "keymap": ("de", {}),
    "fda": ("/srv/floppy.img", {}),
    "fdb": ("/srv/floppy2.img", {}),
    "isa": (1, {}),
    "guest_os_type": ("windows", {}),
    "gfx_passthru": (1, {}),
    "xen_platform_pci": (0, {}),
    "pci_msitranslate": (1, {}),
    "pci_power_mgmt": (1, {}),
    "xen_extended_power_mgmt": (1, {}),
}


def _effects(values: dict[str, Any]) -> str:
    """What the domain gets from *values*: its libxl JSON and xend's
    Xenstore keys (without ``image``, the 4.4 SXP copy of the config)."""
    cfg = make_domain_config(values, environ={})
    entry = DomainEntry(cfg, domid=1)
    keys = {**vm_values(entry), **domain_values(entry)}
    del keys["image"]
    return json.dumps([to_libxl_json(cfg, HOST_CPUS), keys], sort_keys=True)


def _has_effect(name: str) -> bool:
    value, needs = SAMPLES[name]
    tried = 0
    for base in (PV, HVM):
        without = {**base, **needs}
        try:
            before = _effects(without)
            after = _effects({**without, name: value})
        except ConfigError:
            continue            # e.g. a stub device model for a PV guest
        tried += 1
        if before != after:
            return True
    assert tried, f"{name}: no guest takes the sample value {value!r}"
    return False


def test_every_variable_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(VARIABLES)


def test_unapplied_names_are_variables_in_table_order() -> None:
    order = [v.name for v in VARIABLE_LIST if v.name in UNAPPLIED]
    assert list(UNAPPLIED) == order


@pytest.mark.parametrize("name", [v.name for v in VARIABLE_LIST])
def test_variable_is_mapped_or_reported(name: str) -> None:
    if name in UNAPPLIED:
        assert not _has_effect(name), (
            f"{name} now reaches libxl or xend: remove it from "
            "xm.config.unapplied.UNAPPLIED")
        assert asks_for_effect(name, SAMPLES[name][0])
    else:
        assert _has_effect(name), (
            f"{name} changes nothing: map it, or list it with its reason "
            "in xm.config.unapplied.UNAPPLIED")


def test_the_classification() -> None:
    # the table as it stands (Xen 4.17); update with the table
    assert set(UNAPPLIED) == {
        "bootentry", "features", "superpages", "vhpt", "memory_sharing",
        "vcpu_avail", "target", "machine_address_size",
        "suppress_spurious_page_faults", "s3_integrity", "cpuid_check",
        "access_control", "vif2", "vscsi", "vusb", "vncconsole",
        "vncviewer", "parallel", "monitor", "monitor_path", "fda", "fdb",
        "isa", "guest_os_type", "xen_extended_power_mgmt"}


def test_reasons_are_one_short_clause() -> None:
    for name, reason in UNAPPLIED.items():
        line = f"Warning: {name} was ignored: {reason}"
        assert "\n" not in reason and not reason.endswith(".")
        assert len(line) <= 110, line


@pytest.mark.parametrize("name, value", [
    ("vscsi", []), ("vscsi", None), ("fda", ""), ("fda", "  "),
    ("superpages", 0), ("s3_integrity", 0), ("vncconsole", 0),
    ("guest_os_type", "default"), ("parallel", "none"), ("vhpt", 0),
    ("target", 0), ("machine_address_size", 0),
])
def test_values_that_ask_for_nothing(name: str, value: Any) -> None:
    assert not asks_for_effect(name, value)
    assert warning_lines({name: value}) == []


def test_warning_lines() -> None:
    values = {"vscsi": ["/dev/sdb,0:0:0:0"], "memory": 256, "fda": "/f",
              "superpages": 1, "guest_os_type": "default"}
    assert ignored_variables(values) == ["superpages", "vscsi", "fda"]
    assert warning_lines(values) == [
        "Warning: superpages was ignored: Xen 4.17 has no PV superpages "
        "(HVM guests get superpages anyway)",
        "Warning: vscsi was ignored: libxl 4.17 has no PV SCSI devices",
        "Warning: fda was ignored: libxl 4.17 gives HVM guests no floppy "
        "drive"]


def test_build_config_reports_file_and_command_line(tmp_path: Path) -> None:
    path = tmp_path / "g.cfg"
    path.write_text("name = 'g'\nkernel = '/k'\nvscsi = ['/dev/sdb,0:0:0:0']\n"
                    "s3_integrity = 1\nmemory_sharing = 0\n")
    lines: list[str] = []
    cfg, _ = build_config(str(path), None,
                          ["isa=yes", "vscsi=/dev/sdc,0:0:1:0"],
                          environ={}, warn=lines.append)
    assert [line.split()[1] for line in lines] == \
        ["s3_integrity", "vscsi", "isa"]
    assert cfg.vscsi == ("/dev/sdc,0:0:1:0",)   # kept, for the record
    # without a warn callback, nothing changes for other callers
    assert build_config(str(path), None, [], environ={})[0].name == "g"


def test_build_config_says_nothing_for_defaults(tmp_path: Path) -> None:
    path = tmp_path / "g.cfg"
    path.write_text("name = 'g'\nkernel = '/k'\nvscsi = []\nfda = ''\n"
                    "guest_os_type = 'default'\nsuperpages = None\n")
    lines: list[str] = []
    build_config(str(path), None, [], environ={}, warn=lines.append)
    assert lines == []
