"""The Xenstore keys libxl (and the guest) write for a domain, for the sim.

Paths and permissions follow libxl 4.17 (libxl_create.c libxl__domain_make,
libxl_dom.c libxl__build_post, libxl_device.c libxl__device_generic_add,
libxl_mem.c, libxl_domain.c) and docs/misc/xenstore-paths.pandoc:

* ``/local/domain/<id>`` owned by dom0, readable by the guest
  (``["n0", "r<id>"]``); guest-writable subtrees (control, device, data,
  drivers, feature, attr, error) owned by the guest (``["n<id>"]``);
* ``/vm/<uuid>``: uuid, name, start_time (``SEC.CS``), image/*;
* ``/libxl/<id>``: toolstack-private (``["n0"]``): type, device copies;
* frontends ``~/device/<kind>/<devid>`` (``["n<id>", "r0"]``), backends
  ``/local/domain/0/backend/<kind>/<id>/<devid>`` (``["n0", "r<id>"]``).

Keys a real guest writes (control/feature-*, ring refs, event channels,
state 4) are written when the simulated guest "boots" (first unpause).
Every multi-key update runs in one transaction.
"""

from __future__ import annotations

from typing import Callable

from xenstore.store import Store, StoreOps

from xend.hv import vncinfo
from xend.hv.base import JSON
from xend.hv.sim.display import display_of
from xend.hv.sim.state import DomainState
from xend.hv.sim.vdev import vdev_to_devid

DOM0_UUID = "00000000-0000-0000-0000-000000000000"
# XenbusState: Initialising 1, InitWait 2, Connected 4, Closed 6.
XENBUS_INITIALISING, XENBUS_INITWAIT, XENBUS_CONNECTED = 1, 2, 4
GUEST_FEATURES = ("feature-poweroff", "feature-reboot", "feature-suspend")


def dom_path(domid: int) -> str:
    return f"/local/domain/{domid}"


def _store_ring(domid: int) -> tuple[int, int]:
    """Plausible (gfn, event channel) of a guest's xenstore ring."""
    return 0xFEFFF - domid % 0x100, 1


def disk_paths(domid: int, devid: int) -> tuple[str, str]:
    return (f"{dom_path(domid)}/device/vbd/{devid}",
            f"{dom_path(0)}/backend/vbd/{domid}/{devid}")


def nic_paths(domid: int, devid: int) -> tuple[str, str]:
    return (f"{dom_path(domid)}/device/vif/{devid}",
            f"{dom_path(0)}/backend/vif/{domid}/{devid}")


def device_paths(domid: int, kind: str, device: JSON) -> tuple[str, str]:
    if kind == "disk":
        return disk_paths(domid, vdev_to_devid(device["vdev"]))
    return nic_paths(domid, int(device["devid"]))


def _write_all(t: StoreOps, base: str, values: dict[str, str]) -> None:
    for key, value in values.items():
        t.write(f"{base}/{key}", value)


def _device(t: StoreOps, dom: DomainState, kind: str, device: JSON,
            index: int) -> None:
    domid = dom.domid
    front, back = device_paths(domid, kind, device)
    connected = dom.booted and dom.shutdown_reason is None
    state = str(XENBUS_CONNECTED if connected else XENBUS_INITIALISING)
    bstate = str(XENBUS_CONNECTED if connected else XENBUS_INITWAIT)
    if kind == "disk":
        cdrom = bool(device.get("is_cdrom"))
        devid = vdev_to_devid(device["vdev"])
        _write_all(t, front, {
            "backend": back, "backend-id": "0", "state": state,
            "virtual-device": str(devid),
            "device-type": "cdrom" if cdrom else "disk"})
        _write_all(t, back, {
            "frontend": front, "frontend-id": str(domid), "online": "1",
            "removable": str(int(bool(device.get("removable")))),
            "bootable": "1", "state": bstate, "dev": device["vdev"],
            "type": "phy" if device.get("backend") == "phy" else "qdisk",
            "mode": "w" if device.get("readwrite") else "r",
            "device-type": "cdrom" if cdrom else "disk",
            "params": str(device.get("pdev_path") or "")})
    else:
        devid = int(device["devid"])
        _write_all(t, front, {
            "backend": back, "backend-id": "0", "state": state,
            "handle": str(devid), "mac": device["mac"]})
        _write_all(t, back, {
            "frontend": front, "frontend-id": str(domid), "online": "1",
            "state": bstate, "script": str(device.get("script")
                                          or "vif-bridge"),
            "mac": device["mac"], "handle": str(devid), "type": "vif",
            "bridge": str(device.get("bridge") or "xenbr0")})
        if device.get("ip"):
            t.write(f"{back}/ip", str(device["ip"]))
    # Permissions before the keys the guest and the hotplug script add, so
    # those inherit them, however late (or, rebuilding a store, early) they
    # are written.
    t.set_perms(front, [f"n{domid}", "r0"])
    t.set_perms(back, ["n0", f"r{domid}"])
    if connected:
        t.write(f"{back}/hotplug-status", "connected")
        t.write(f"{front}/event-channel", str(10 + index))
        if kind == "disk":
            t.write(f"{front}/ring-ref", str(8 + 2 * index))
        else:
            t.write(f"{front}/tx-ring-ref", str(768 + 2 * index))
            t.write(f"{front}/rx-ring-ref", str(769 + 2 * index))
    kind_xs = "vbd" if kind == "disk" else "vif"
    libxl = f"/libxl/{domid}/device/{kind_xs}/{front.rsplit('/', 1)[1]}"
    t.write(f"{libxl}/frontend", front)
    t.write(f"{libxl}/backend", back)


def write_domain(store: Store, dom: DomainState) -> None:
    """Everything libxl writes when it creates (or restores) ``dom``."""
    domid, path = dom.domid, dom_path(dom.domid)
    vm = f"/vm/{dom.uuid}"
    b_info = dom.config.get("b_info", {})

    def body(t: StoreOps) -> None:
        t.mkdir(path)
        t.set_perms(path, ["n0", f"r{domid}"])
        t.mkdir(vm)
        t.set_perms(vm, ["n0", f"r{domid}"])
        # libxl__domain_make: empty nodes ("mknod"); the read-only ones
        # belong to dom0, the ones the guest writes belong to the guest.
        readonly = ["cpu", "memory", "device", "control"]
        if dom.domain_type == "hvm":
            readonly.append("hvmloader")
        for sub in readonly:
            t.write(f"{path}/{sub}", "")
            t.set_perms(f"{path}/{sub}", ["n0", f"r{domid}"])
        features = list(GUEST_FEATURES)
        if dom.domain_type == "hvm":
            features += ["feature-s3", "feature-s4"]
        for sub in (["control/shutdown"] + [f"control/{f}" for f in features]
                    + ["control/sysrq", "device/suspend/event-channel",
                       "data", "drivers", "feature", "attr", "error"]):
            t.write(f"{path}/{sub}", "")
            t.set_perms(f"{path}/{sub}", [f"n{domid}"])
        for feature in ("platform-feature-multiprocessor-suspend",
                        "platform-feature-xs_reset_watches"):
            t.write(f"{path}/control/{feature}", "1")
        _write_all(t, vm, {"uuid": dom.uuid, "name": dom.name,
                           "start_time": f"{dom.start_time or 0:.2f}"})
        # libxl__domain_build: what each type puts under /vm and ~.
        if dom.domain_type == "hvm":
            _write_all(t, vm, {"rtc/timeoffset": str(
                b_info.get("type.hvm", {}).get("timeoffset") or ""),
                "image/ostype": "hvm"})
            _write_all(t, path, {
                "platform/acpi": "1", "platform/acpi_s3": "1",
                "platform/acpi_s4": "1", "platform/acpi_laptop_slate": "0",
                "platform/device-model": "qemu_xen"})
        elif dom.domain_type == "pv":
            image = {"image/ostype": "linux"}
            for key in ("kernel", "ramdisk", "cmdline"):
                value = b_info.get(key) or b_info.get("type.pv", {}).get(key)
                if value:
                    image[f"image/{key}"] = str(value)
            _write_all(t, vm, image)
        gfn, port = _store_ring(domid)
        # libxl__build_post (all types), then the console device.
        _write_all(t, path, {
            "vm": vm, "name": dom.name, "domid": str(domid),
            "memory/static-max": str(dom.static_max_kb),
            "memory/target": str(dom.target_kb),
            "memory/videoram": str(dom.video_kb),
            "store/port": str(port), "store/ring-ref": str(gfn),
            "console/backend": f"{dom_path(0)}/backend/console/{domid}/0",
            "console/backend-id": "0", "console/limit": "1048576",
            "console/type": "xenconsoled", "console/output": "pty",
            "console/tty": "", "console/port": "2",
            "console/ring-ref": str(gfn - 1)})
        # The primary console's backend, served by xenconsoled in dom0.
        console = f"{dom_path(0)}/backend/console/{domid}/0"
        _write_all(t, console, {
            "frontend": f"{path}/console", "frontend-id": str(domid),
            "online": "1", "state": "1", "protocol": "vt100"})
        t.set_perms(console, ["n0", f"r{domid}"])
        # The device model's VNC server, as libxl learns it from QEMU.
        display = display_of(dom.config, dom.vnc_port)
        if display is not None:
            for key, value in vncinfo.to_keys(domid, display).items():
                t.write(key, value)
        for vcpu in range(dom.max_vcpus):
            t.write(f"{path}/cpu/{vcpu}/availability",
                    "online" if vcpu in dom.avail else "offline")
        for sub in (f"/libxl/{domid}", f"/libxl/{domid}/device"):
            t.write(sub, "")
            t.set_perms(sub, ["n0"])
        t.write(f"/libxl/{domid}/type", dom.domain_type)
        # store_libxl_entry: every guest gets the default device model.
        t.write(f"/libxl/{domid}/dm-version", "qemu_xen")
        for index, disk in enumerate(dom.disks):
            _device(t, dom, "disk", disk, index)
        for index, nic in enumerate(dom.nics):
            _device(t, dom, "nic", nic, len(dom.disks) + index)

    store.run_transaction(body)
    store.introduce_domain(domid, gfn_of(domid), _store_ring(domid)[1])


def gfn_of(domid: int) -> int:
    return _store_ring(domid)[0]


def write_dom0(store: Store, memory_kb: int,
               max_kb: int | None = None) -> None:
    """What xen-init-dom0 writes for dom0 at boot, if it is not there."""
    def body(t: StoreOps) -> None:
        if t.read("/local/domain/0/name") is None:
            _write_all(t, "/local/domain/0", {
                "name": "Domain-0", "domid": "0",
                "memory/static-max": str(max_kb or memory_kb),
                "memory/target": str(memory_kb)})
        if t.read(f"/vm/{DOM0_UUID}/name") is None:
            _write_all(t, f"/vm/{DOM0_UUID}",
                       {"uuid": DOM0_UUID, "name": "Domain-0"})
    store.run_transaction(body)


def guest_booted(store: Store, dom: DomainState) -> None:
    """The guest's PV drivers came up: features, devices connected."""
    def body(t: StoreOps) -> None:
        path = dom_path(dom.domid)
        for feature in GUEST_FEATURES:
            t.write(f"{path}/control/{feature}", "1")
        for index, disk in enumerate(dom.disks):
            _device(t, dom, "disk", disk, index)
        for index, nic in enumerate(dom.nics):
            _device(t, dom, "nic", nic, len(dom.disks) + index)
    store.run_transaction(body)


def update(store: Store, writes: dict[str, str]) -> None:
    """Write several keys (absolute paths) in one transaction."""
    def body(t: StoreOps) -> None:
        for key, value in writes.items():
            t.write(key, value)
    store.run_transaction(body)


def write_vcpus(store: Store, dom: DomainState) -> None:
    if dom.domain_type == "hvm":    # HVM vcpus are hot-plugged through QMP
        return
    update(store, {f"{dom_path(dom.domid)}/cpu/{v}/availability":
                   "online" if v in dom.avail else "offline"
                   for v in range(dom.max_vcpus)})


def rename(store: Store, dom: DomainState) -> None:
    update(store, {f"{dom_path(dom.domid)}/name": dom.name,
                   f"/vm/{dom.uuid}/name": dom.name})


def write_runtime(store: Store, dom: DomainState) -> None:
    """Keys set after creation that :func:`write_domain` does not restore
    (for a store rebuilt from the simulator's state)."""
    path = dom_path(dom.domid)
    writes = {f"{path}/control/shutdown": dom.control_request or "",
              f"{path}/control/sysrq": dom.last_sysrq or ""}
    if dom.vm_memory_mib is not None:
        writes[f"/vm/{dom.uuid}/memory"] = str(dom.vm_memory_mib)
    update(store, writes)


def resume_domain(store: Store, domid: int) -> None:
    """RESUME, where the store offers it (the Store interface does not)."""
    resume = getattr(store, "resume_domain", None)
    if resume is not None:
        resume(domid)


def add_device(store: Store, dom: DomainState, kind: str, device: JSON,
               index: int) -> None:
    store.run_transaction(lambda t: _device(t, dom, kind, device, index))


def remove_device(store: Store, domid: int, kind: str,
                  device: JSON) -> None:
    front, back = device_paths(domid, kind, device)
    kind_xs = "vbd" if kind == "disk" else "vif"
    libxl = f"/libxl/{domid}/device/{kind_xs}/{front.rsplit('/', 1)[1]}"
    _remove(store, [front, back, libxl])


def _remove(store: Store, paths: list[str]) -> None:
    def body(t: StoreOps) -> None:
        for path in paths:
            if t.exists(path):
                t.rm(path)
    store.run_transaction(body)


def remove_domain(store: Store, dom: DomainState) -> None:
    """libxl's destroy: the domain's trees, its backends, then release."""
    domid = dom.domid
    backends = [f"{dom_path(0)}/backend/{kind}/{domid}"
                for kind in ("vbd", "qdisk", "vif", "console")]
    _remove(store, [dom_path(domid), f"/vm/{dom.uuid}",
                    f"/libxl/{domid}"] + backends)
    store.release_domain(domid)


def guarded(action: Callable[[], None]) -> Exception | None:
    """Run a Xenstore update; return its error instead of raising."""
    try:
        action()
    except Exception as exc:    # the Store may raise anything (OSError...)
        return exc
    return None
