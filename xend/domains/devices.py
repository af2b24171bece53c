"""Virtual disks and network interfaces of a domain, its console and VNC.

``xm block-*``/``network-*`` work the way the other domain services do: a
running domain is changed in the hypervisor first (hot-plug or unplug), then
the change is recorded in its configuration, so that a managed domain keeps
it across a restart; a halted managed domain only has its configuration
changed.  Devices are named as xm names them: a disk by its guest device
(``xvdb``) or device number (``51728``), a vif by its devid or MAC.

Listings are ``[devid, [[key, value], ...]]`` pairs holding the keys of the
device's frontend Xenstore directory that xm 4.4 printed (``backend-id``,
``state``, ``event-channel``, ``ring-ref`` ...), taken from the hypervisor's
device info so that either backend gives the same answer.  A halted domain
lists its configured devices with their xm options instead.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from xend.domains.base import DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import (ConfigError, InvalidArgument, InvalidState,
                         NotSupported, XendError)
from xend.hv.base import JSON
from xend.hv.vncinfo import VNC_BASE_PORT
# libxl's vdev numbering is a pure function; the simulator owns the one copy.
from xend.hv.sim.vdev import vdev_to_devid
from xend.model.devices import DiskSpec, VifSpec
from xend.model.libxl_json import disk_to_libxl, nic_to_libxl
from xend.model.values import random_mac

DISK_CLASSES = ("vbd", "tap", "tap2")
NIC_CLASSES = ("vif",)
DevicePairs = list[Any]          # [devid, [[key, value], ...]]


def _hv_kind(kind: str) -> str:
    if kind in DISK_CLASSES:
        return "disk"
    if kind in NIC_CLASSES:
        return "nic"
    raise InvalidArgument(f"unknown device class '{kind}' "
                          "(vbd, tap, tap2 or vif)")


def disk_number(dev: str) -> int:
    """A disk's device number from ``xvdb``, ``hdc:cdrom`` or ``51728``."""
    name = DiskSpec("", dev, "r").vdev if not dev.isdigit() else dev
    return vdev_to_devid(name)


def _is_mac(text: str) -> bool:
    return len(text.split(":")) == 6


def _same_mac(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.lower() == b.lower()


def _rate_text(nic: JSON) -> str | None:
    size = nic.get("rate_bytes_per_interval")
    usecs = nic.get("rate_interval_usecs")
    if not size or not usecs:
        return None
    return f"{size * 1_000_000 // usecs}B/s@{usecs}us"


def _present(pairs: list[list[Any]], key: str, value: Any) -> None:
    if value is not None:
        pairs.append([key, value])


def disk_pairs(disk: JSON) -> DevicePairs:
    """A running disk as ``[devid, frontend keys]`` (libxl_diskinfo)."""
    devid = int(disk.get("devid", -1))
    pairs: list[list[Any]] = []
    _present(pairs, "backend-id", disk.get("backend_id"))
    pairs.append(["virtual-device", devid])
    pairs.append(["device-type", "cdrom" if disk.get("is_cdrom") else "disk"])
    _present(pairs, "state", disk.get("state"))
    _present(pairs, "backend", disk.get("backend"))
    _present(pairs, "ring-ref", disk.get("rref"))
    _present(pairs, "event-channel", disk.get("evtch"))
    _present(pairs, "dev", disk.get("vdev"))
    _present(pairs, "params", disk.get("pdev_path"))
    pairs.append(["mode", "w" if disk.get("readwrite") else "r"])
    return [devid, pairs]


def nic_pairs(nic: JSON) -> DevicePairs:
    """A running nic as ``[devid, frontend keys]`` (libxl_nicinfo)."""
    devid = int(nic.get("devid", -1))
    pairs: list[list[Any]] = []
    _present(pairs, "backend-id", nic.get("backend_id"))
    _present(pairs, "mac", nic.get("mac"))
    pairs.append(["handle", devid])
    _present(pairs, "state", nic.get("state"))
    _present(pairs, "backend", nic.get("backend"))
    _present(pairs, "tx-ring-ref", nic.get("rref_tx"))
    _present(pairs, "rx-ring-ref", nic.get("rref_rx"))
    _present(pairs, "event-channel", nic.get("evtch"))
    # Backend settings, shown by network-list -l only.
    for key, name in (("bridge", "bridge"), ("ip", "ip"),
                      ("script", "script"), ("ifname", "vifname"),
                      ("model", "model")):
        _present(pairs, name, nic.get(key))
    _present(pairs, "rate", _rate_text(nic))
    return [devid, pairs]


class DevicesMixin(DomainServiceBase):

    def _changeable(self, ref: str | int) -> tuple[DomainEntry | None,
                                                   int | None]:
        entry, domid = self.resolve(ref)
        if domid is None:
            if entry is None or not entry.managed:
                raise InvalidState(f"Domain '{ref}' is not running")
            if os.path.exists(self.table.checkpoint_path(entry.uuid)):
                # The saved image was made with the old device set.
                raise InvalidState(f"Domain '{ref}' is suspended; resume "
                                   "it before changing its devices")
        return entry, domid

    # -- attach ---------------------------------------------------------------
    def device_create(self, ref: str | int, kind: str,
                      spec: dict[str, Any]) -> dict[str, Any]:
        """Attach a disk (``vbd``) or vif; returns ``{'devid': N, ...}``."""
        hv_kind = _hv_kind(kind)
        try:
            if hv_kind == "disk":
                return self._attach_disk(ref, DiskSpec.from_dict(spec))
            return self._attach_nic(ref, VifSpec.from_dict(spec))
        except ConfigError as exc:
            raise InvalidArgument(str(exc)) from None

    def _attach_disk(self, ref: str | int, disk: DiskSpec) -> dict[str, Any]:
        number = vdev_to_devid(disk.vdev)
        name = disk.vdev if disk.vdev == str(number) else \
            f"{disk.vdev} ({number})"
        device = disk_to_libxl(disk)    # refuses what libxl cannot serve
        entry, domid = self._changeable(ref)
        if domid is not None:
            if any(int(d.get("devid", -1)) == number
                   for d in self.hv.device_list(domid, "disk")):
                raise InvalidArgument(f"Device {name} is already connected.")
            self.hv.device_add(domid, "disk", device)
        elif entry is not None and any(vdev_to_devid(d.vdev) == number
                                       for d in entry.config.disks):
            raise InvalidArgument(f"Device {name} is already configured.")
        if entry is not None:
            # A disk the config still names (unplugged behind our back) is
            # replaced, never duplicated.
            kept = tuple(d for d in entry.config.disks
                         if vdev_to_devid(d.vdev) != number)
            self.update_config(entry, disks=kept + (disk,))
        return {"devid": number, "dev": disk.vdev}

    def _attach_nic(self, ref: str | int, vif: VifSpec) -> dict[str, Any]:
        entry, domid = self._changeable(ref)
        if domid is None:
            assert entry is not None
            if not vif.mac:     # chosen now and kept, as xend 4.4 did
                vif = dataclasses.replace(vif, mac=random_mac(
                    {str(v.mac).lower() for v in entry.config.vifs}))
            self.update_config(entry, vifs=tuple(entry.config.vifs) + (vif,))
            return {"devid": len(entry.config.vifs) - 1, "mac": vif.mac}
        added = self.hv.device_add(domid, "nic", nic_to_libxl(vif))
        mac = added.get("mac") or vif.mac
        if entry is not None:
            # Keep the MAC the hypervisor chose: the guest keeps its
            # address when the domain is restarted.
            recorded = dataclasses.replace(vif, mac=mac)
            self.update_config(
                entry, vifs=tuple(entry.config.vifs) + (recorded,))
        return {"devid": added.get("devid"), "mac": mac}

    # -- detach ---------------------------------------------------------------
    def destroy_device(self, ref: str | int, kind: str, dev: str,
                       force: bool = False) -> None:
        """Detach the disk or vif *dev* (name, number or MAC)."""
        if _hv_kind(kind) == "disk":
            self._detach_disk(ref, dev, force)
        else:
            self._detach_nic(ref, dev, force)

    def _detach_disk(self, ref: str | int, dev: str, force: bool) -> None:
        try:
            number = disk_number(dev)
        except (InvalidArgument, ConfigError):
            raise InvalidArgument(f"Invalid device: {dev}") from None
        entry, domid = self._changeable(ref)
        if domid is not None:
            found = [d for d in self.hv.device_list(domid, "disk")
                     if int(d.get("devid", -1)) == number]
            if not found:
                raise XendError(f"Device {dev} not connected")
            self.hv.device_remove(domid, "disk", {"vdev": found[0]["vdev"]},
                                  force)
        if entry is None:
            return
        kept = tuple(d for d in entry.config.disks
                     if vdev_to_devid(d.vdev) != number)
        if domid is None and len(kept) == len(entry.config.disks):
            raise XendError(f"Device {dev} not connected")
        self.update_config(entry, disks=kept)

    def _detach_nic(self, ref: str | int, dev: str, force: bool) -> None:
        by_mac = _is_mac(dev)
        if not by_mac and not (dev.isascii() and dev.isdigit()):
            raise InvalidArgument(f"Invalid device: {dev}")
        entry, domid = self._changeable(ref)
        mac: str | None = dev if by_mac else None
        devid = None if by_mac else int(dev)
        if domid is not None:
            found = [n for n in self.hv.device_list(domid, "nic")
                     if _same_mac(n.get("mac"), mac)
                     or n.get("devid") == devid]
            if not found:
                raise XendError(f"Device {dev} not connected")
            devid, mac = found[0].get("devid"), found[0].get("mac")
            self.hv.device_remove(domid, "nic", {"devid": devid}, force)
        if entry is None:
            return
        vifs = list(entry.config.vifs)
        index = next((i for i, v in enumerate(vifs)
                      if _same_mac(v.mac, mac)), None)
        if index is None and devid is not None and devid < len(vifs) and \
                (domid is None or vifs[devid].mac is None):
            # Unnamed vifs are numbered by their place in the config.
            index = devid
        if index is None:
            if domid is None:
                raise XendError(f"Device {dev} not connected")
            return
        del vifs[index]
        self.update_config(entry, vifs=tuple(vifs))

    # -- list -----------------------------------------------------------------
    def device_sxprs(self, ref: str | int, kind: str) -> list[DevicePairs]:
        """The domain's disks or vifs as ``[devid, [[key, value], ...]]``."""
        hv_kind = _hv_kind(kind)
        entry, domid = self.resolve(ref)
        if domid is not None:
            devices = self.hv.device_list(domid, hv_kind)
            if hv_kind == "disk":
                return [disk_pairs(d) for d in devices]
            return [nic_pairs(n) for n in devices]
        assert entry is not None
        if hv_kind == "disk":
            return [[vdev_to_devid(d.vdev), [list(p) for p in
                                             d.to_dict().items()]]
                    for d in entry.config.disks]
        return [[i, [list(p) for p in v.items()]]
                for i, v in enumerate(entry.config.vifs)]

    # -- console --------------------------------------------------------------
    def console_path(self, ref: str | int, num: int = 0) -> str:
        """The pty of the domain's console; xm opens it, not xend."""
        entry, domid = self.resolve(ref)
        if domid is None:
            raise InvalidState(f"Domain '{ref}' is not started")
        self.refuse_dom0(domid, "attach to the console of")
        if num != 0:
            raise NotSupported(f"Console {num} is not available: only the "
                               "primary console (0) is supported")
        return self.hv.console_path(domid)

    def vnc_display(self, ref: str | int, password: bool = False) -> JSON:
        """Where the domain's VNC server listens (``listen``, ``port``,
        ``display`` = port - 5900), for xm to point a viewer at it; its
        ``password`` only when asked for (xm vncviewer --autopass)."""
        entry, domid = self.resolve(ref)
        if domid is None:
            raise InvalidState(f"Domain '{ref}' is not started")
        found = self.hv.vnc_display(domid) if domid != 0 else None
        if found is None:
            raise NotSupported(f"Domain '{ref}' has no VNC display")
        return {"listen": found["listen"], "port": found["port"],
                "display": found["port"] - VNC_BASE_PORT,
                "password": found.get("password") if password else None}
