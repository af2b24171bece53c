"""Finding config files, VAR=VALUE assignments, and building the model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from xend.errors import ConfigError
from xend.model import sxp
from xend.model.devices import DiskSpec, VifSpec
from xend.model.to_sxp import config_sxp
from xm.config.loader import (build_config, find_config_file, help_config,
                              parse_assignments)
from xm.config.variables import VARIABLE_LIST, VARIABLES

DATA = Path(__file__).parent / "data"


@pytest.fixture
def etc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A search directory holding the example configs; cwd elsewhere."""
    conf = tmp_path / "etc-xen"
    shutil.copytree(DATA, conf)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return conf


def test_find_config_file_search_order(etc: Path) -> None:
    path = ".:" + str(etc)
    assert find_config_file("xmexample1", path) == str(etc / "xmexample1")
    Path("xmexample1").write_text("name = 'local'\n")
    assert find_config_file("xmexample1", path) == "./xmexample1"
    assert find_config_file(str(etc / "xmexample2"), "") == \
        str(etc / "xmexample2")
    with pytest.raises(ConfigError) as info:
        find_config_file("nosuch", path)
    assert str(info.value) == "Unable to open config file: nosuch"


def test_build_xmexample1(etc: Path) -> None:
    cfg, path = build_config("xmexample1", None, [], search_path=str(etc),
                             environ={})
    assert path == str(etc / "xmexample1")
    assert cfg.name == "ExampleDomain" and cfg.memory == 64
    assert cfg.disks == (DiskSpec("phy:hda1", "hda1", "w"),)
    assert cfg.vifs == (VifSpec(),)
    assert cfg.kernel_cmdline == "root=/dev/hda1 ro 4"
    assert sxp.pretty(config_sxp(cfg)).splitlines()[1] == \
        "    (name ExampleDomain)"


def test_build_xmexample2_with_and_without_vmid(etc: Path) -> None:
    cfg, _ = build_config("xmexample2", None, ["vmid=3"],
                          search_path=str(etc), environ={})
    assert cfg.name == "VM3" and cfg.vcpus == 4
    assert [d.uname for d in cfg.disks] == ["phy:sda10", "phy:sda6"]
    with pytest.raises(ConfigError, match="^vmid - int\\(\\) argument"):
        build_config("xmexample2", None, [], search_path=str(etc),
                     environ={})


def test_build_xmexample_hvm(etc: Path) -> None:
    cfg, _ = build_config("xmexample.hvm", None, [], search_path=str(etc),
                          environ={"DISPLAY": ":0"})
    assert cfg.builder == "hvm" and cfg.is_hvm
    assert cfg.platform == {"device_model": "qemu-dm", "sdl": 0,
                            "opengl": 1, "vnc": 1, "vncpasswd": "",
                            "stdvga": 0, "serial": "pty"}
    assert cfg.disks[1].is_cdrom and cfg.vifs[0].type == "ioemu"


def test_command_line_wins_and_lists_collect(etc: Path) -> None:
    cfg, _ = build_config(
        "xmexample1", None,
        ["memory=256", "name=other", "disk=phy:sdb,xvdb,r",
         "disk=phy:sdc,xvdc,w", "vif=bridge=br1", "extra=single"],
        search_path=str(etc), environ={})
    assert (cfg.memory, cfg.name, cfg.extra) == (256, "other", "single")
    # like xm: the command-line list replaces the file's
    assert [d.vdev for d in cfg.disks] == ["xvdb", "xvdc"]
    assert cfg.vifs == (VifSpec(bridge="br1"),)


def test_name_defaults_to_file_basename(tmp_path: Path) -> None:
    conf = tmp_path / "web7"
    conf.write_text("kernel = '/k'\nmemory = '96'\n")
    cfg, _ = build_config(str(conf), None, [], environ={})
    assert cfg.name == "web7"
    assert cfg.memory == 96            # numeric strings are accepted


def test_parse_assignments() -> None:
    known, script = parse_assignments(
        ["vmid=3", "memory=64", " disk = phy:a,xvda,w ", "localtime=yes",
         "extra=a=b c"])
    assert known == {"memory": 64, "disk": ["phy:a,xvda,w"], "localtime": 1,
                     "extra": "a=b c"}
    assert script == {"vmid": "3"}


@pytest.mark.parametrize("words, message", [
    (["memory=lots"], "Invalid value: lots"),
    (["localtime=maybe"], "Invalid value:maybe"),
    (["justaword"], "expected VAR=VALUE"),
])
def test_parse_assignments_errors(words: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_assignments(words)


@pytest.mark.parametrize("body, message", [
    ("kernel = '/k'\nmemory = 'lots'", "Invalid value for memory"),
    ("kernel = '/k'\ndisk = ['phy:a,xvda']", "Invalid disk specifier"),
    ("kernel = '/k'\nvif = ['speed=fast']", "Invalid vif option: speed"),
    ("kernel = '/k'\non_crash = 'explode'", "Invalid value for on_crash"),
    ("kernel = '/k'\nname = 'bad name'", "Invalid domain name"),
    ("kernel = '/k'\nmemory = 256\nmaxmem = 128", "maxmem"),
    ("kernel = '/k'\ncpus = '0-x'", "Invalid cpus"),
    ("kernel = '/k'\nrestart = 'sometimes'", "Invalid value for restart"),
    ("kernel = '/k'\nnfs_root = '/srv'", "Must set nfs root and nfs server"),
    ("memory = 64", "no kernel and no bootloader"),
    ("<vm/>", "Xen-API XML"),
])
def test_bad_configs(tmp_path: Path, body: str, message: str) -> None:
    conf = tmp_path / "guest"
    conf.write_text(body + "\n")
    with pytest.raises(ConfigError, match=message):
        build_config(str(conf), None, [], environ={})


def test_derived_kernel_arguments(tmp_path: Path) -> None:
    conf = tmp_path / "nfsguest"
    conf.write_text("kernel = '/k'\nroot = 'root=/dev/nfs'\n"
                    "nfs_server = '192.0.2.1'\nnfs_root = '/srv/root'\n"
                    "ip = '192.0.2.9'\nnetmask = '255.255.255.0'\n"
                    "hostname = 'g'\nextra = 'quiet'\n"
                    "restart = 'onreboot'\nnics = 2\nvif = ['bridge=br0']\n"
                    "acpi = False\nbuilder = 'hvm'\n")
    cfg, _ = build_config(str(conf), None, [], environ={})
    assert cfg.root == "/dev/nfs"
    assert cfg.kernel_ip == "192.0.2.9:192.0.2.1::255.255.255.0:g:eth0:off"
    assert cfg.extra == "nfsroot=192.0.2.1:/srv/root quiet"
    assert cfg.kernel_cmdline == ("root=/dev/nfs ip=192.0.2.9:192.0.2.1::"
                                  "255.255.255.0:g:eth0:off nfsroot="
                                  "192.0.2.1:/srv/root quiet")
    assert (cfg.on_poweroff, cfg.on_reboot, cfg.on_crash) == (
        "destroy", "restart", "destroy")
    assert cfg.vifs == (VifSpec(bridge="br0"), VifSpec())   # nics padding
    assert cfg.platform["acpi"] == 0       # bools are honoured (see docs)


def test_sdl_takes_display_from_environment(tmp_path: Path) -> None:
    conf = tmp_path / "sdlguest"
    conf.write_text("kernel = 'hvmloader'\nbuilder = 'hvm'\nsdl = 1\n")
    cfg, _ = build_config(str(conf), None, [],
                          environ={"DISPLAY": ":3", "HOME": "/home/u"})
    assert cfg.platform["display"] == ":3"
    assert cfg.platform["xauthority"] == "/home/u/.Xauthority"


def test_sxp_config_file(tmp_path: Path) -> None:
    conf = tmp_path / "guest.sxp"
    conf.write_text("(vm (name sx) (memory 80)\n"
                    "    (image (linux (kernel /boot/k) (args quiet))))\n")
    cfg, path = build_config(None, str(conf), ["memory=1"], environ={})
    assert path == str(conf)
    assert (cfg.name, cfg.memory, cfg.extra) == ("sx", 80, "quiet")
    conf.write_text("(vm (name sx)")
    with pytest.raises(ConfigError, match="unexpected EOF"):
        build_config(None, str(conf), [], environ={})


def test_python_config_opt_in(tmp_path: Path) -> None:
    conf = tmp_path / "py"
    conf.write_text("import os\nkernel = os.path.join('/boot', 'k')\n")
    with pytest.raises(ConfigError, match="import is not allowed"):
        build_config(str(conf), None, [], environ={})
    cfg, _ = build_config(str(conf), None, [], allow_python=True,
                          environ={})
    assert cfg.kernel == "/boot/k"


def test_relative_kernel_made_absolute_when_present(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("vmlinuz").write_text("")
    Path("guest").write_text("kernel = 'vmlinuz'\nramdisk = 'missing.img'\n")
    cfg, _ = build_config("guest", None, [], environ={})
    assert cfg.kernel == os.path.join(str(tmp_path), "vmlinuz")
    assert cfg.ramdisk == "missing.img"     # xend reports missing files


def test_help_config_lists_every_variable() -> None:
    text = help_config()
    for var in VARIABLE_LIST:
        assert f" {var.name}={var.placeholder}" in text
    for name in ("disk", "vif", "memory", "on_crash", "vnc", "maxvcpus",
                 "xen_extended_power_mgmt", "cpus", "pool", "tsc_mode"):
        assert name in VARIABLES


def test_every_reference_variable_is_known() -> None:
    # reference §3.3, every table
    names = """name uuid description builder kernel ramdisk loader root
    extra bootloader bootargs bootentry features ip gateway netmask hostname
    interface dhcp nfs_server nfs_root superpages vhpt memory maxmem
    shadow_memory memory_sharing vcpus vcpu_avail cpu cpus cpu_cap
    cpu_weight pool on_poweroff on_reboot on_crash restart on_xend_start
    on_xend_stop target tsc_mode nomigrate machine_address_size
    suppress_spurious_page_faults s3_integrity oos hap nestedhvm cpuid
    cpuid_check blkif netif access_control disk vif vif2 nics vfb pci vscsi
    vusb ioports irq device_model boot acpi apic pae hpet timer_mode
    vpt_align viridian localtime rtc_timeoffset vnc vncdisplay vnclisten
    vncunused vncpasswd vncconsole vncviewer sdl opengl display xauthority
    nographic stdvga videoram serial parallel monitor monitor_path usb
    usbdevice soundhw keymap fda fdb isa guest_os_type gfx_passthru
    xen_platform_pci pci_msitranslate pci_power_mgmt
    xen_extended_power_mgmt maxvcpus""".split()
    assert sorted(set(names) - set(VARIABLES)) == []


# A value for every variable, as it would be written on the command line.
SAMPLE_VALUES = {
    "name": "other", "uuid": "5f3c8e2a-1b2c-4d5e-8f90-0123456789ab",
    "description": "d", "builder": "hvm", "kernel": "/k2",
    "ramdisk": "/r", "loader": "/usr/lib/xen/boot/hvmloader",
    "root": "/dev/sda1", "extra": "quiet", "bootloader": "pygrub",
    "bootargs": "-q", "bootentry": "1", "features": "f", "ip": "1.2.3.4",
    "dhcp": "dhcp", "superpages": "1", "vhpt": "2", "memory": "64",
    "maxmem": "256", "shadow_memory": "4", "memory_sharing": "yes",
    "vcpus": "2", "maxvcpus": "4", "vcpu_avail": "3", "cpu": "1",
    "cpus": "0-1", "cpu_cap": "10", "cpu_weight": "300", "pool": "p",
    "restart": "never", "on_poweroff": "preserve", "on_reboot": "destroy",
    "on_crash": "destroy", "on_xend_start": "start",
    "on_xend_stop": "shutdown", "target": "1", "tsc_mode": "1",
    "nomigrate": "1", "machine_address_size": "36",
    "suppress_spurious_page_faults": "yes", "s3_integrity": "0",
    "oos": "0", "hap": "0", "nestedhvm": "1", "cpuid": "1:eax=0x1",
    "cpuid_check": "1:eax=0x1", "blkif": "yes", "netif": "yes",
    "access_control": "policy=p,label=l", "disk": "phy:sdb,xvdb,r",
    "vif": "bridge=br1", "vif2": "bridge=br2", "nics": "3",
    "vfb": "vnc=1", "pci": "07:00.0", "vscsi": "/dev/sdx,0:0:0:0",
    "vusb": "usbver=2", "ioports": "2f8-2ff", "irq": "7",
    "device_model": "qemu-dm", "boot": "d", "acpi": "0", "apic": "0",
    "pae": "0", "hpet": "1", "timer_mode": "0", "vpt_align": "0",
    "viridian": "1", "localtime": "yes", "rtc_timeoffset": "10",
    "vnc": "1", "vncdisplay": "2", "vnclisten": "0.0.0.0",
    "vncunused": "no", "vncpasswd": "pw", "vncconsole": "yes",
    "vncviewer": "yes", "sdl": "1", "opengl": "1", "display": ":1",
    "xauthority": "/x", "nographic": "yes", "stdvga": "yes",
    "videoram": "8", "serial": "pty", "parallel": "none",
    "monitor": "yes", "monitor_path": "/m", "usb": "yes",
    "usbdevice": "tablet", "soundhw": "sb16", "keymap": "de",
    "fda": "/f", "fdb": "/g", "isa": "yes", "guest_os_type": "linux",
    "gfx_passthru": "1", "xen_platform_pci": "0", "pci_msitranslate": "0",
    "pci_power_mgmt": "1", "xen_extended_power_mgmt": "2",
}
# ip= parts only matter together with ip/dhcp (as in xm)
NEEDS_IP = ("gateway", "netmask", "hostname", "interface", "nfs_server",
            "nfs_root")


@pytest.mark.parametrize("name", sorted(set(VARIABLES) - set(NEEDS_IP)))
def test_every_variable_is_kept(tmp_path: Path, name: str) -> None:
    conf = tmp_path / "base"
    conf.write_text("kernel = '/k'\n")
    base, _ = build_config(str(conf), None, [], environ={})
    cfg, _ = build_config(str(conf), None, [f"{name}={SAMPLE_VALUES[name]}"],
                          environ={})
    assert cfg != base, f"{name} was dropped"


@pytest.mark.parametrize("name, value", [
    ("gateway", "1.2.3.1"), ("netmask", "255.0.0.0"), ("hostname", "h"),
    ("interface", "eth1"), ("nfs_server", "1.2.3.5")])
def test_ip_parts_are_kept_with_ip(tmp_path: Path, name: str,
                                   value: str) -> None:
    conf = tmp_path / "base"
    conf.write_text("kernel = '/k'\nip = '1.2.3.4'\n")
    base, _ = build_config(str(conf), None, [], environ={})
    cfg, _ = build_config(str(conf), None, [f"{name}={value}"], environ={})
    assert cfg.kernel_ip != base.kernel_ip and value in cfg.kernel_ip


def test_nfs_root_needs_server(tmp_path: Path) -> None:
    conf = tmp_path / "base"
    conf.write_text("kernel = '/k'\nnfs_server = '1.2.3.5'\n")
    cfg, _ = build_config(str(conf), None, ["nfs_root=/srv"], environ={})
    assert cfg.extra == "nfsroot=1.2.3.5:/srv"


def test_config_encodings(tmp_path: Path) -> None:
    conf = tmp_path / "latin"
    conf.write_bytes(b"# -*- coding: latin-1 -*-\nkernel = '/k'\n"
                     b"description = 'caf\xe9'\n")
    cfg, _ = build_config(str(conf), None, [], environ={})
    assert cfg.description == "caf\u00e9"
    conf.write_bytes(b"kernel = '/k'\ndescription = 'caf\xe9'\n")
    with pytest.raises(ConfigError, match="Errors were found at line"):
        build_config(str(conf), None, [], environ={})


def test_absurd_nics_is_one_config_error(tmp_path: Path) -> None:
    """nics pads the vif list: a count beyond any guest is refused before
    the list is built (10**30 used to be an OverflowError in xm)."""
    conf = tmp_path / "many"
    for nics in ("10**30", "1025"):
        conf.write_text(f"kernel = '/k'\nnics = {nics}\n")
        with pytest.raises(ConfigError, match="at most 1024 network interfaces"):
            build_config(str(conf), None, [], environ={})
    conf.write_text("kernel = '/k'\nnics = 1024\n")
    cfg, _ = build_config(str(conf), None, [], environ={})
    assert len(cfg.vifs) == 1024


def test_cpuid_entries_are_checked_at_once(tmp_path: Path) -> None:
    """cpuid reaches libxl: a bad entry is refused by xm create/new, not
    only when xend translates the config at start."""
    conf = tmp_path / "c"
    conf.write_text("kernel = '/k'\ncpuid = ['1:eax=0x1']\n")
    cfg, _ = build_config(str(conf), None, [], environ={})
    assert cfg.cpuid == ("1:eax=0x1",)
    with pytest.raises(ConfigError, match="Invalid cpuid entry '1:ebx=1'"):
        build_config(str(conf), None, ["cpuid=1:ebx=1"], environ={})
