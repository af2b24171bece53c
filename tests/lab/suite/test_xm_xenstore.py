"""The Xenstore keys of a domain xm created, against those xl leaves for the
same config: libxl writes its keys for both, xend adds only its own (the 4.4
toolstack keys under /vm/<uuid>/ and the description) and never rewrites
libxl's.  Both domains are created paused, so the guests have written
nothing yet and the trees differ only by toolstack.
"""
from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import pytest

import lab_bench
import lab_guest
import lab_xl as xl
from lab_xend import XendProcess

pytestmark = pytest.mark.lab

# xend's keys (README "Xenstore"): the 4.4 toolstack keys libxl does not write.
XEND_VM_KEYS = {"vcpus", "vcpu_avail", "maxmem", "shadow_memory", "on_poweroff", "on_reboot",
                "on_crash", "on_xend_start", "on_xend_stop", "bootloader", "bootloader_args",
                "pool_name", "image", "xend", "xend/restart_count"}
XEND_DOMAIN_KEYS = {"description"}
REQUIRED_XEND_VM_KEYS = {"vcpus", "vcpu_avail", "maxmem", "on_poweroff", "on_reboot", "on_crash", "image"}
# Values that differ between any two domains, whoever created them.
# /vm/U/image is libxl's directory whose value xend sets to 4.4's SXP.
# Each file disk gets its own loop device.
VOLATILE = re.compile(r"/start_time$|/vm/U/image$|/frontend-id$|/backend-id$|/tty$|/port$|/ring-ref$"
                      r"|/store/port$|/console/port$|/node$|/physical-device(-path)?$")


def tree(domid: int, uuid: str, name: str, macs: list[str]) -> dict[str, str]:
    """The domain's keys anywhere in the store, with its id, uuid, name and
    MACs replaced by D, U, N, M so two domains' trees can be compared."""
    out = subprocess.run(["xenstore-ls", "-f", "/"], capture_output=True, text=True, timeout=60,
                         check=True).stdout
    mine = re.compile(rf"^(/local/domain/{domid}(/|$)|/local/domain/0/backend/[\w-]+/{domid}(/|$)"
                      rf"|/vm/{uuid}(/|$)|/libxl/{domid}(/|$))")
    keys = {}
    for line in out.splitlines():
        path, _, value = line.partition(" = ")
        if not mine.match(path):
            continue
        value = value.strip().strip('"')
        path = re.sub(rf"/{domid}(?=/|$)", "/D", path, count=1)
        path = path.replace(uuid, "U")
        path = re.sub(rf"/backend/([\w-]+)/{domid}(?=/|$)", r"/backend/\1/D", path)
        value = value.replace(uuid, "U").replace(name, "N")
        for i, mac in enumerate(macs):
            value = value.replace(mac, f"M{i}")
        if value == str(domid):
            value = "D"
        value = re.sub(rf"/local/domain/{domid}(?=/|$)", "/local/domain/D", value)
        value = re.sub(rf"/backend/([\w-]+)/{domid}(?=/|$)", r"/backend/\1/D", value)
        keys[path] = value
    return keys


@pytest.fixture
def pair() -> Iterator[tuple[lab_guest.LabGuest, lab_guest.LabGuest]]:
    a = lab_guest.LabGuest("lab-xs-xm", memory_mb=128, maxmem_mb=256, vcpus=2)
    b = lab_guest.LabGuest("lab-xs-xl", memory_mb=128, maxmem_mb=256, vcpus=2)
    for g in (a, b):
        lab_guest.force_destroy(g.name)
    a.write_config()
    b.macs = list(a.macs)
    b.write_config()
    yield a, b
    for g in (a, b):
        lab_guest.force_destroy(g.name)
        g.remove_files()


@pytest.mark.scenario("xenstore-keys")
def test_xenstore_keys(xend: XendProcess, pair: tuple[lab_guest.LabGuest, lab_guest.LabGuest]) -> None:
    a, b = pair
    t = time.monotonic()
    xend.xm("create", "-p", str(a.config_path))
    lab_bench.record("xm create -p", time.monotonic() - t)
    t = time.monotonic()
    xl.run("create", "-p", str(b.config_path), timeout=180)
    lab_bench.record("xl create -p", time.monotonic() - t)
    time.sleep(2)        # xend's mirror writes after create returns
    trees = {}
    for g in (a, b):
        info = xl.long_info(g.name)
        trees[g.name] = tree(info["domid"], info["config"]["c_info"]["uuid"], g.name, g.macs)
    ours, theirs = trees[a.name], trees[b.name]

    allowed = {f"/vm/U/{k}" for k in XEND_VM_KEYS} | {f"/local/domain/D/{k}" for k in XEND_DOMAIN_KEYS}
    extra = sorted(set(ours) - set(theirs))
    missing = sorted(set(theirs) - set(ours))
    differ = sorted(k for k in set(ours) & set(theirs)
                    if ours[k] != theirs[k] and not VOLATILE.search(k))
    report = "\n".join([f"xm-only keys not xend's: {[k for k in extra if k not in allowed]}",
                        f"keys xl has and xm's domain lacks: {missing}",
                        "libxl keys whose values differ: "
                        + str([(k, ours[k], theirs[k]) for k in differ])])
    assert not [k for k in extra if k not in allowed], report
    assert not missing, report
    assert not differ, report
    assert {f"/vm/U/{k}" for k in REQUIRED_XEND_VM_KEYS} <= set(ours), (sorted(extra), report)
    assert ours["/vm/U/maxmem"] == "256"
    assert ours["/vm/U/on_poweroff"] == "destroy"
