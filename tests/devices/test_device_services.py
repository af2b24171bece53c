"""The device and console services of xend, in-process, on the simulator
(and, for the shapes libxl returns, on a fake libxl-like hypervisor)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from xend.domains.devices import disk_number, disk_pairs, nic_pairs
from xend.domains.manager import DomainManager
from xend.domains.table import DomainTable
from xend.errors import (DomainNotFound, InvalidArgument, InvalidState,
                         NotSupported, XendError)
from xend.hv.sim import SimHypervisor
from tests.bootfiles import KERNEL


@pytest.fixture
def m(tmp_path: Path):
    hv = SimHypervisor(state_dir=str(tmp_path / "state"),
                       host_memory_mib=4096, guest_shutdown_delay=0.01)
    manager = DomainManager(hv, DomainTable(str(tmp_path / "domains"),
                                            str(tmp_path / "state")))
    manager.attach()
    yield manager
    hv.close()


def cfg(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kernel": KERNEL, "memory": 64, **extra}


def ids(m: DomainManager, ref: str, kind: str) -> list[int]:
    return [dev[0] for dev in m.device_sxprs(ref, kind)]


def keys(device: list[Any]) -> dict[str, Any]:
    return dict(device[1])


DISK = {"uname": "phy:/dev/vg/data", "dev": "xvdb", "mode": "w"}


def test_disk_hotplug_is_recorded_in_the_config(m: DomainManager):
    m.create(cfg("a", disks=[{"uname": "file:/a.img", "dev": "xvda"}]))
    assert m.device_create("a", "vbd", DISK) == {"devid": 51728,
                                                 "dev": "xvdb"}
    assert ids(m, "a", "vbd") == [51712, 51728]
    entry = m.table.lookup("a")
    assert [d.vdev for d in entry.config.disks] == ["xvda", "xvdb"]
    info = keys(m.device_sxprs("a", "vbd")[1])
    assert info["virtual-device"] == 51728 and info["state"] == 4
    assert info["backend"] == "/local/domain/0/backend/vbd/1/51728"
    m.destroy_device("a", "vbd", "51728")
    assert ids(m, "a", "vbd") == [51712]
    assert [d.vdev for d in m.table.lookup("a").config.disks] == ["xvda"]


def test_duplicate_and_missing_disks_are_clear_errors(m: DomainManager):
    m.create(cfg("a"))
    m.device_create("a", "vbd", DISK)
    with pytest.raises(InvalidArgument, match="xvdb .51728. is already "
                       "connected"):
        m.device_create("a", "vbd", DISK)
    with pytest.raises(InvalidArgument, match="Device 51728 is already "
                       "connected"):
        m.device_create("a", "vbd", dict(DISK, dev="51728"))
    with pytest.raises(XendError, match="Device xvdc not connected"):
        m.destroy_device("a", "vbd", "xvdc")
    with pytest.raises(InvalidArgument, match="Invalid device: sdzz9"):
        m.destroy_device("a", "vbd", "sdzz9")
    with pytest.raises(InvalidArgument, match="type prefix"):
        m.device_create("a", "vbd", {"uname": "/x", "dev": "xvdc",
                                     "mode": "w"})
    with pytest.raises(InvalidArgument, match="unknown device class"):
        m.device_create("a", "pci", DISK)
    with pytest.raises(DomainNotFound):
        m.device_create("nosuch", "vbd", DISK)


def test_nic_hotplug_keeps_the_mac_and_rate(m: DomainManager):
    m.create(cfg("a", vifs=[{"bridge": "xenbr0"}]))
    added = m.device_create("a", "vif", {"bridge": "xenbr1",
                                         "rate": "10Mb/s"})
    assert added["devid"] == 1 and added["mac"].startswith("00:16:3e:")
    nic = m.hv.device_list(m.table.lookup("a").domid, "nic")[1]
    assert (nic["rate_bytes_per_interval"], nic["rate_interval_usecs"]) == \
        (62500, 50000)
    recorded = m.table.lookup("a").config.vifs[1]
    assert (recorded.mac, recorded.rate) == (added["mac"], "10Mb/s")
    assert keys(m.device_sxprs("a", "vif")[1])["rate"] == \
        "1250000B/s@50000us"
    m.destroy_device("a", "vif", added["mac"].upper())
    assert ids(m, "a", "vif") == [0]
    assert len(m.table.lookup("a").config.vifs) == 1
    # a vif without a MAC in the config is found by its place
    m.destroy_device("a", "vif", "0", True)
    assert ids(m, "a", "vif") == [] and m.table.lookup("a").config.vifs == ()
    with pytest.raises(XendError, match="Device 0 not connected"):
        m.destroy_device("a", "vif", "0")
    with pytest.raises(InvalidArgument, match="Invalid device: eth0"):
        m.destroy_device("a", "vif", "eth0")
    with pytest.raises(InvalidArgument, match="Invalid vif rate"):
        m.device_create("a", "vif", {"rate": "fast"})
    with pytest.raises(InvalidArgument, match="unknown key .colour."):
        m.device_create("a", "vif", {"colour": "red"})


def test_halted_managed_domain_only_changes_its_config(m: DomainManager):
    m.new(cfg("h"))
    m.device_create("h", "vbd", DISK)
    added = m.device_create("h", "vif", {"bridge": "xenbr0"})
    # the MAC is chosen now and kept in the config (xend 4.4)
    mac = added["mac"]
    assert added == {"devid": 0, "mac": mac}
    assert re.fullmatch(r"00:16:3e:[0-7][0-9a-f](:[0-9a-f]{2}){2}", mac)
    assert m.device_sxprs("h", "vbd") == [
        [51728, [["uname", "phy:/dev/vg/data"], ["dev", "xvdb"],
                 ["mode", "w"]]]]
    assert m.device_sxprs("h", "vif") == [
        [0, [["bridge", "xenbr0"], ["mac", mac]]]]
    with pytest.raises(InvalidArgument, match="already configured"):
        m.device_create("h", "vbd", DISK)
    with pytest.raises(InvalidArgument, match="not supported by libxl"):
        m.device_create("h", "vbd", {"uname": "tap:vmdk:/x.vmdk",
                                     "dev": "xvdc", "mode": "w"})
    m.start("h")
    assert ids(m, "h", "vbd") == [51728] and ids(m, "h", "vif") == [0]
    m.destroy("h")
    m.destroy_device("h", "vbd", "xvdb")
    m.destroy_device("h", "vif", "0")
    assert m.device_sxprs("h", "vbd") == [] == m.device_sxprs("h", "vif")
    with pytest.raises(XendError, match="not connected"):
        m.destroy_device("h", "vbd", "xvdb")


def test_unmanaged_stopped_and_suspended_domains(m: DomainManager, tmp_path):
    with pytest.raises(DomainNotFound):
        m.device_sxprs("gone", "vbd")
    m.new(cfg("s"))
    entry = m.table.lookup("s")
    path = Path(m.table.checkpoint_path(entry.uuid))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"image")
    with pytest.raises(InvalidState, match="suspended"):
        m.device_create("s", "vbd", DISK)


def test_console_path(m: DomainManager):
    m.create(cfg("c"))
    path = m.console_path("c")
    assert path.startswith("/dev/pts/") and m.console_path("c", 0) == path
    with pytest.raises(NotSupported, match="Console 1"):
        m.console_path("c", 1)
    with pytest.raises(XendError, match="privileged domain 0"):
        m.console_path("0")
    m.new(cfg("off"))
    with pytest.raises(InvalidState, match="Domain 'off' is not started"):
        m.console_path("off")
    with pytest.raises(DomainNotFound):
        m.console_path("nosuch")


def test_vnc_display(m: DomainManager):
    m.create(cfg("v", vfbs=[{"vnc": "1", "vnclisten": "0.0.0.0",
                             "vncpasswd": "pw"}]))
    m.create(cfg("w", vfbs=[{"vnc": "1", "vncdisplay": "5"}]))
    assert m.vnc_display("v") == {"listen": "0.0.0.0", "port": 5900,
                                  "display": 0, "password": None}
    assert m.vnc_display("v", True)["password"] == "pw"
    assert m.vnc_display("w", True) == {"listen": "127.0.0.1",
                                        "port": 5905, "display": 5,
                                        "password": None}
    m.create(cfg("plain"))
    for ref in ("plain", "0", "Domain-0"):
        with pytest.raises(NotSupported, match="has no VNC display"):
            m.vnc_display(ref)
    m.new(cfg("off", vfbs=[{"vnc": "1"}]))
    with pytest.raises(InvalidState, match="Domain 'off' is not started"):
        m.vnc_display("off")
    with pytest.raises(DomainNotFound):
        m.vnc_display("nosuch")


@pytest.mark.parametrize("dev,number", [("xvda", 51712), ("xvdb", 51728),
                                        ("51728", 51728), ("hdc:cdrom", 5632),
                                        ("ioemu:hda", 768), ("sdb", 2064)])
def test_disk_number(dev, number):
    assert disk_number(dev) == number


# -- the shapes libxl_diskinfo / libxl_nicinfo give (bindings.devices) ------

LIBXL_DISK = {"pdev_path": "/dev/vg/x", "vdev": "xvdb", "format": "raw",
              "readwrite": 1, "backend_type": "phy",
              "backend": "/local/domain/0/backend/vbd/3/51728",
              "backend_id": 0, "frontend": "/local/domain/3/device/vbd/51728",
              "frontend_id": 3, "devid": 51728, "state": 4, "evtch": 17,
              "rref": 9}
LIBXL_NIC = {"devid": 2, "mac": "00:16:3e:aa:bb:cc", "bridge": "xenbr0",
             "rate_bytes_per_interval": 62500, "rate_interval_usecs": 50000,
             "backend": "/local/domain/0/backend/vif/3/2", "backend_id": 0,
             "frontend": "/local/domain/3/device/vif/2", "frontend_id": 3,
             "state": 4, "evtch": 18, "rref_tx": 1280, "rref_rx": 1281}


def test_libxl_device_info_becomes_frontend_keys():
    from xm.render_devices import block_list, network_list
    disk = disk_pairs(LIBXL_DISK)
    assert disk[0] == 51728
    assert block_list([disk]).splitlines()[1].split() == [
        "51728", "0", "0", "4", "17", "9",
        "/local/domain/0/backend/vbd/3/51728"]
    nic = nic_pairs(LIBXL_NIC)
    assert network_list([nic]).splitlines()[1].split() == [
        "2", "0", "00:16:3e:aa:bb:cc", "2", "4", "18", "1280", "/1281",
        "/local/domain/0/backend/vif/3/2"]
    assert dict(nic[1])["rate"] == "1250000B/s@50000us"


class LibxlShapedHv:
    """Just enough of a hypervisor that answers like bindings.devices."""

    kind = "libxl"

    def __init__(self) -> None:
        self.disks = [dict(LIBXL_DISK)]
        self.removed: list[tuple[str, dict[str, Any], bool]] = []

    def domain_info(self, domid: int) -> Any:
        if domid != 3:
            raise DomainNotFound(domid)
        return type("Info", (), {"domid": 3})()

    def list_domains(self) -> list[Any]:
        return [self.domain_info(3)]

    def device_list(self, domid: int, kind: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self.disks] if kind == "disk" else \
            [dict(LIBXL_NIC)]

    def device_remove(self, domid: int, kind: str, device: dict[str, Any],
                      force: bool = False) -> None:
        self.removed.append((kind, device, force))

    def device_add(self, domid: int, kind: str,
                   device: dict[str, Any]) -> dict[str, Any]:
        return dict(device, devid=3, mac="00:16:3e:00:00:03")


def test_unknown_libxl_domain_is_changed_in_the_hypervisor_only(tmp_path):
    hv = LibxlShapedHv()
    m = DomainManager(hv, DomainTable(str(tmp_path / "d"),  # type: ignore
                                      str(tmp_path / "s")))
    assert [d[0] for d in m.device_sxprs("3", "vbd")] == [51728]
    with pytest.raises(InvalidArgument, match="already connected"):
        m.device_create("3", "vbd", DISK)
    m.destroy_device("3", "vbd", "xvdb", True)
    m.destroy_device("3", "vif", "00:16:3E:AA:BB:CC")
    assert hv.removed == [("disk", {"vdev": "xvdb"}, True),
                          ("nic", {"devid": 2}, False)]
    assert m.device_create("3", "vif", {"bridge": "xenbr1"}) == \
        {"devid": 3, "mac": "00:16:3e:00:00:03"}
