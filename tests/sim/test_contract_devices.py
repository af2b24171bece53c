"""The hypervisor contract, continued: device hot-plug and the console.

Backend-agnostic like test_contract.py: only the Hypervisor interface and
the ``hv`` fixture.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sim_helpers import running

from xend.errors import InvalidArgument
from xend.hv.base import Hypervisor


def _images(tmp_path: Path, *names: str) -> list[str]:
    """Sparse disk images: a real host's block script needs files that exist."""
    paths = []
    for name in names:
        path = tmp_path / f"{name}.img"
        with open(path, "wb") as f:
            f.truncate(8 * 1024 * 1024)
        paths.append(str(path))
    return paths


def test_disk_hotplug(hv: Hypervisor, tmp_path: Path) -> None:
    a, b, c = _images(tmp_path, "a", "b", "c")
    domid = running(hv, disks=[{"pdev_path": a, "vdev": "xvda",
                                "format": "raw", "readwrite": 1}])
    # format raw, as xl and xm give it: libxl then picks the kernel's
    # blkback (vbd); without a format it falls back to QEMU's qdisk.
    added = hv.device_add(domid, "disk", {"pdev_path": b, "vdev": "xvdb",
                                          "format": "raw", "readwrite": 1})
    assert added["vdev"] == "xvdb"
    disks = {d["vdev"]: d for d in hv.device_list(domid, "disk")}
    assert disks["xvda"]["devid"] == 51712
    assert disks["xvdb"]["devid"] == 51728
    assert disks["xvdb"]["frontend"].endswith("/device/vbd/51728")
    assert "backend" in disks["xvdb"] and "state" in disks["xvdb"]
    with pytest.raises(InvalidArgument):
        hv.device_add(domid, "disk", {"pdev_path": c, "vdev": "xvdb",
                                      "format": "raw"})
    hv.device_remove(domid, "disk", {"vdev": "xvdb"})
    assert [d["vdev"] for d in hv.device_list(domid, "disk")] == ["xvda"]
    with pytest.raises(InvalidArgument):
        hv.device_remove(domid, "disk", {"vdev": "xvdz"})


def test_nic_hotplug(hv: Hypervisor) -> None:
    domid = running(hv, nics=[{"bridge": "xenbr0"}])
    nic = hv.device_add(domid, "nic", {"bridge": "xenbr0"})
    assert nic["devid"] == 1
    assert nic["mac"].startswith("00:16:3e:")
    fixed = hv.device_add(domid, "nic", {"mac": "00:16:3e:01:02:03"})
    assert fixed["mac"] == "00:16:3e:01:02:03"
    listed = hv.device_list(domid, "nic")
    assert [n["devid"] for n in listed] == [0, 1, 2]
    assert all("rref_tx" in n and "rref_rx" in n for n in listed)
    hv.device_remove(domid, "nic", {"devid": 1})
    assert [n["devid"] for n in hv.device_list(domid, "nic")] == [0, 2]
    with pytest.raises(InvalidArgument):
        hv.device_remove(domid, "nic", {"devid": 9})


def test_console_path_is_a_tty(hv: Hypervisor) -> None:
    domid = running(hv)
    path = hv.console_path(domid)
    assert os.path.exists(path)
    assert hv.console_path(domid) == path
