"""Disk and NIC hotplug through libxl, with devices as libxl JSON.

A device crosses the boundary as the JSON of ``libxl_device_disk`` or
``libxl_device_nic``.  To remove a device we look it up in libxl's own view
first, as ``xl block-detach`` / ``network-detach`` do (disk by ``vdev``,
nic by ``mac`` or ``devid``), so the caller need not repeat every field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bindings.context import JSON, Context
from bindings.errors import ERROR_FAIL, check
from xend.errors import InvalidArgument

# kind: (device type, info type)
DEVICE_KINDS: dict[str, tuple[str, str]] = {
    "disk": ("device_disk", "diskinfo"),
    "nic": ("device_nic", "nicinfo"),
}
ERROR_NOTFOUND = -23


def _types(kind: str) -> tuple[str, str]:
    try:
        return DEVICE_KINDS[kind]
    except KeyError:
        raise InvalidArgument(f"unknown device kind '{kind}' (choose from: "
                              f"{', '.join(DEVICE_KINDS)})") from None


class DeviceOps(Context):
    """Device operations of :class:`bindings.libxl.Libxl`."""

    def device_add(self, domid: int, kind: str, device: JSON) -> JSON:
        """Hot-plug; returns the device with libxl's defaults filled in."""
        devtype, _ = _types(kind)
        with self.struct(devtype, device) as dev:
            check(getattr(self.lib, f"libxl_{devtype}_add")(
                self.ctx, domid, dev, self.ffi.NULL),
                f"libxl_{devtype}_add", domid)
            return self.to_dict(devtype, dev)

    def device_remove(self, domid: int, kind: str, device: JSON,
                      force: bool = False) -> None:
        """Orderly unplug (guest cooperates, 10 s), or destroy if forced."""
        devtype, _ = _types(kind)
        op = "destroy" if force else "remove"
        with self._lookup(domid, kind, device) as dev:
            check(getattr(self.lib, f"libxl_{devtype}_{op}")(
                self.ctx, domid, dev, self.ffi.NULL),
                f"libxl_{devtype}_{op}", domid)

    def device_lookup(self, domid: int, kind: str, device: JSON) -> JSON:
        """The device as libxl knows it, found by vdev / mac / devid."""
        devtype, _ = _types(kind)
        with self._lookup(domid, kind, device) as dev:
            return self.to_dict(devtype, dev)

    def device_list(self, domid: int, kind: str) -> list[JSON]:
        """Devices with their frontend/backend info merged in.

        The info keys (``frontend``, ``backend`` Xenstore paths, ``state``,
        ``evtch``, ``rref`` ...) are added to each device dict; a disk's
        own ``backend`` (phy, qdisk, ...) moves to ``backend_type``.
        """
        devtype, infotype = _types(kind)
        count = self.ffi.new("int *")
        array = getattr(self.lib, f"libxl_{devtype}_list")(
            self.ctx, domid, count)
        if array == self.ffi.NULL:
            # NULL with count 0 is an empty list, else a failure
            if count[0] == 0:
                self.domain_exists_or_raise(domid)
                return []
            check(ERROR_FAIL, f"libxl_{devtype}_list", domid)
        try:
            return [self._with_info(domid, devtype, infotype, array + i)
                    for i in range(count[0])]
        finally:
            getattr(self.lib, f"libxl_{devtype}_list_free")(array, count[0])

    def domain_exists_or_raise(self, domid: int) -> None:
        check(self.lib.libxl_domain_info(self.ctx, self.ffi.NULL, domid),
              "libxl_domain_info", domid)

    def _with_info(self, domid: int, devtype: str, infotype: str,
                   dev: Any) -> JSON:
        doc = self.to_dict(devtype, dev)
        with self.struct(infotype) as info:
            rc = getattr(self.lib, f"libxl_{devtype}_getinfo")(
                self.ctx, domid, dev, info)
            if rc < 0:
                # a device being torn down has no info; list it without
                return doc
            extra = self.to_dict(infotype, info)
        if "backend" in doc:
            doc["backend_type"] = doc.pop("backend")
        doc.update(extra)
        return doc

    @contextmanager
    def _lookup(self, domid: int, kind: str,
                device: JSON) -> Iterator[Any]:
        devtype, _ = _types(kind)
        with self.struct(devtype) as dev:
            if kind == "disk":
                vdev = device.get("vdev")
                if not isinstance(vdev, str) or not vdev:
                    raise InvalidArgument("a disk is named by its 'vdev'")
                rc = self.lib.libxl_vdev_to_device_disk(
                    self.ctx, domid, vdev.encode(), dev)
                ident = vdev
            elif isinstance(device.get("mac"), str):
                ident = device["mac"]
                rc = self.lib.libxl_mac_to_device_nic(
                    self.ctx, domid, ident.encode(), dev)
            elif isinstance(device.get("devid"), int):
                ident = str(device["devid"])
                rc = self.lib.libxl_devid_to_device_nic(
                    self.ctx, domid, device["devid"], dev)
            else:
                raise InvalidArgument("a nic is named by its 'mac' or 'devid'")
            if rc < 0:
                self.domain_exists_or_raise(domid)
                # libxl says ERROR_FAIL (or INVAL) for "no such device"
                check(ERROR_NOTFOUND, f"finding {kind} {ident}", domid)
            yield dev
