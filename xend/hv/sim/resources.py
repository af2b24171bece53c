"""Memory, vcpus, scheduling, devices, console and host queries (sim).

Memory follows libxl_mem.c:

* ``set_memory_target`` refuses a target above ``memory/static-max`` (the
  config's maxmem; ``set_max_memory`` does not raise it) and a dom0 target
  below 128 MiB; like ``xl mem-set`` it enforces the new limit
  (Xen's max = target + 1 MiB slack).  The guest balloons to the target at
  once, as far as free host memory allows.
* ``set_max_memory`` refuses a maximum below the current target and only
  changes Xen's limit (``DomainInfo.max_memkb``), never ``static-max``.

``DomainInfo.max_memkb`` is, as from libxl_dominfo, Xen's limit: target +
1024 KiB after create.  Vcpu placement (``VcpuInfo.cpu``) is a
deterministic pick from the vcpu's hard affinity.
"""

from __future__ import annotations

import copy

from xend.errors import InvalidArgument, NotSupported
from xend.hv.base import JSON, HostInfo, HostTopology, SchedParams, VcpuInfo
from xend.hv.sim import host, xs_keys
from xend.hv.sim.core import SimCore
from xend.hv.sim.display import display_of
from xend.hv.sim.lifecycle import assign_nic
from xend.hv.sim.state import DomainState
from xend.hv.sim.validate import (check_mac, check_sched, normalize_disk,
                                  normalize_nic)
from xend.hv.sim.vdev import vdev_to_devid
from xend.limits import memory_error

MIN_DOM0_KB = 128 * 1024     # LIBXL_MIN_DOM0_MEM
MAXMEM_SLACK_KB = 1024       # LIBXL_MAXMEM_CONSTANT
DEVICE_KINDS = ("disk", "nic")


def _check_memkb(what: str, kb: int) -> None:
    """Xen's limit, before anything is computed from the size."""
    problem = memory_error(what, kb, "KiB")
    if problem:
        raise InvalidArgument(problem)


class ResourceOps(SimCore):
    # -- memory --------------------------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None:
        if isinstance(target_kb, bool) or not isinstance(target_kb, int) \
                or target_kb < 0:
            raise InvalidArgument(f"invalid memory target {target_kb!r}")
        _check_memkb("memory target", target_kb)
        with self._change():
            dom = self._get(domid)
            # libxl_set_memory_target: the video RAM is not ballooned.
            new_target = max(0, target_kb - dom.video_kb)
            if new_target > dom.static_max_kb:
                raise InvalidArgument(
                    f"memory target {target_kb} KiB is above maxmem "
                    f"({dom.static_max_kb + dom.video_kb} KiB): "
                    "memory_dynamic_max must be less than or equal to "
                    "memory_static_max")
            if domid == 0 and new_target < MIN_DOM0_KB:
                raise InvalidArgument(
                    f"New target {new_target} for dom0 is below the minimum "
                    f"threshold ({MIN_DOM0_KB} KiB)")
            dom.target_kb = new_target
            dom.hv_max_kb = target_kb + MAXMEM_SLACK_KB
            # The balloon driver can only take what the host has free.
            if target_kb > dom.current_kb:
                dom.current_kb += min(target_kb - dom.current_kb,
                                      self._free_kb())
            else:
                dom.current_kb = target_kb
            # Kept so that a rebuilt store gets this key back.
            dom.vm_memory_mib = new_target // 1024
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.update(store, {
                    f"{xs_keys.dom_path(domid)}/memory/target":
                        str(new_target),
                    f"/vm/{dom.uuid}/memory": str(new_target // 1024)}))

    def set_max_memory(self, domid: int, max_kb: int) -> None:
        if isinstance(max_kb, bool) or not isinstance(max_kb, int) \
                or max_kb < 0:
            raise InvalidArgument(f"invalid maximum memory {max_kb!r}")
        _check_memkb("maximum memory", max_kb)
        with self._change():
            dom = self._get(domid)
            if max_kb < dom.target_kb:
                raise InvalidArgument(
                    f"maxmem {max_kb} KiB is below the memory target "
                    f"({dom.target_kb} KiB): memory_static_max must be "
                    "greater than or equal to memory_dynamic_max")
            dom.hv_max_kb = max_kb + MAXMEM_SLACK_KB

    # -- vcpus -----------------------------------------------------------
    def set_vcpus_online(self, domid: int, count: int) -> None:
        if isinstance(count, bool) or not isinstance(count, int) \
                or count < 1:
            raise InvalidArgument(f"invalid number of vcpus {count!r}")
        with self._change():
            dom = self._get(domid)
            if count > dom.max_vcpus:
                raise InvalidArgument(
                    f"Requested {count} VCPUs, however maxcpus is "
                    f"{dom.max_vcpus}!")
            # Xen only records the availability; a running guest hot-plugs
            # its vcpus at once, a paused one when it next runs.
            dom.avail = list(range(count))
            if dom.is_running:
                dom.settle(self._clock())
                dom.online = list(dom.avail)
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.write_vcpus(store, dom))

    def _placement(self, dom: DomainState, vcpu: int) -> int:
        cpus = dom.affinity[vcpu]
        return cpus[(dom.domid + vcpu) % len(cpus)]

    def list_vcpus(self, domid: int) -> list[VcpuInfo]:
        with self._lock:
            dom = self._get(domid)
            times = dom.vcpu_times(self._clock())
            out = []
            for vcpu in range(dom.max_vcpus):
                online = vcpu in dom.online
                active = online and dom.is_running
                # Dom0's first vcpu runs the toolstack; the rest idle.
                running = active and dom.domid == 0 and vcpu == 0
                out.append(VcpuInfo(
                    vcpuid=vcpu,
                    cpu=self._placement(dom, vcpu) if online else -1,
                    online=online, blocked=active and not running,
                    running=running, time_ns=times[vcpu],
                    affinity=tuple(dom.affinity[vcpu])))
            return out

    def set_vcpu_affinity(self, domid: int, vcpu: int,
                          cpus: list[int]) -> None:
        if not isinstance(cpus, (list, tuple)) or not cpus or not all(
                isinstance(c, int) and not isinstance(c, bool)
                for c in cpus):
            raise InvalidArgument("cpu list must not be empty")
        # Xen ignores CPUs the host does not have; a map with none of the
        # host's CPUs is refused.
        present = sorted({c for c in cpus if 0 <= c < self._host_cpus})
        if not present:
            raise InvalidArgument(
                f"cpu {cpus[0]} does not exist (host has {self._host_cpus} "
                f"cpus, 0-{self._host_cpus - 1})")
        with self._change():
            dom = self._get(domid)
            if isinstance(vcpu, bool) or not isinstance(vcpu, int) or \
                    not 0 <= vcpu < dom.max_vcpus:
                raise InvalidArgument(
                    f"vcpu {vcpu} out of range 0-{dom.max_vcpus - 1}")
            dom.affinity[vcpu] = present

    # -- scheduler -------------------------------------------------------
    def scheduler(self) -> str:
        return self._scheduler

    def sched_get(self, domid: int) -> SchedParams:
        with self._lock:
            dom = self._get(domid)
            if self._scheduler in ("credit", "credit2"):
                return SchedParams(self._scheduler, dom.weight, dom.cap)
            return SchedParams(self._scheduler)

    def sched_set(self, domid: int, weight: int | None = None,
                  cap: int | None = None) -> None:
        with self._change():
            dom = self._get(domid)
            if self._scheduler not in ("credit", "credit2"):
                if self._scheduler == "rtds":
                    raise NotSupported("rtds parameters are per vcpu "
                                       "(period/budget); not simulated")
                return      # null, arinc653: nothing per domain (libxl: 0)
            new_weight = dom.weight if weight in (None, -1) else weight
            new_cap = dom.cap if cap in (None, -1) else cap
            if not isinstance(new_weight, int) or \
                    not isinstance(new_cap, int):
                raise InvalidArgument("weight and cap must be integers")
            check_sched(new_weight, new_cap, dom.max_vcpus)
            dom.weight, dom.cap = new_weight, new_cap

    # -- devices ---------------------------------------------------------
    def _find_device(self, dom: DomainState, kind: str,
                     device: JSON) -> int:
        items = dom.disks if kind == "disk" else dom.nics
        if kind == "disk":
            key = device.get("vdev")
            if not isinstance(key, str):
                raise InvalidArgument("disk to remove needs its vdev")
            devid = vdev_to_devid(key)
            for index, disk in enumerate(items):
                if vdev_to_devid(disk["vdev"]) == devid:
                    return index
            raise InvalidArgument(f"Device {key} not connected")
        if "devid" in device:
            for index, nic in enumerate(items):
                if nic["devid"] == device["devid"]:
                    return index
        elif "mac" in device:
            mac = check_mac(device["mac"])
            for index, nic in enumerate(items):
                if nic["mac"] == mac:
                    return index
        else:
            raise InvalidArgument("nic to remove needs its devid or mac")
        raise InvalidArgument(
            f"Unknown nic {device.get('devid', device.get('mac'))}")

    def device_add(self, domid: int, kind: str, device: JSON) -> JSON:
        if kind not in DEVICE_KINDS:
            raise NotSupported(f"device kind '{kind}' is not simulated")
        with self._change():
            dom = self._live(domid, "add a device to")
            if kind == "disk":
                disk = normalize_disk(device)
                devid = vdev_to_devid(disk["vdev"])
                if any(vdev_to_devid(d["vdev"]) == devid for d in dom.disks):
                    raise InvalidArgument(
                        f"disk {disk['vdev']} already exists in domain "
                        f"{domid}")
                dom.disks.append(disk)
                added, index = disk, len(dom.disks) - 1
            else:
                nic = assign_nic(dom.nics, normalize_nic(device))
                dom.nics.append(nic)
                added, index = nic, len(dom.disks) + len(dom.nics) - 1
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.add_device(store, dom, kind, added,
                                                    index))
            return copy.deepcopy(added)

    def device_remove(self, domid: int, kind: str, device: JSON,
                      force: bool = False) -> None:
        if kind not in DEVICE_KINDS:
            raise NotSupported(f"device kind '{kind}' is not simulated")
        if not isinstance(device, dict):
            raise InvalidArgument("device must be a JSON object")
        with self._change():
            dom = self._guest(domid, "remove a device from")
            items = dom.disks if kind == "disk" else dom.nics
            removed = items.pop(self._find_device(dom, kind, device))
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.remove_device(store, domid, kind,
                                                       removed))

    def device_list(self, domid: int, kind: str) -> list[JSON]:
        if kind not in DEVICE_KINDS:
            raise NotSupported(f"device kind '{kind}' is not simulated")
        with self._lock:
            dom = self._get(domid)
            connected = dom.booted and dom.shutdown_reason is None
            items = dom.disks if kind == "disk" else dom.nics
            offset = 0 if kind == "disk" else len(dom.disks)
            out = []
            for index, item in enumerate(items):
                entry = copy.deepcopy(item)
                front, back = xs_keys.device_paths(domid, kind, item)
                entry.update({
                    "devid": (vdev_to_devid(item["vdev"]) if kind == "disk"
                              else item["devid"]),
                    "frontend": front, "frontend_id": domid,
                    "backend": back, "backend_id": 0,
                    "state": xs_keys.XENBUS_CONNECTED if connected
                    else xs_keys.XENBUS_INITIALISING,
                    "evtch": 10 + offset + index if connected else -1})
                if kind == "disk":
                    entry["rref"] = 8 + 2 * index if connected else -1
                else:
                    entry["rref_tx"] = (768 + 2 * (offset + index)
                                        if connected else -1)
                    entry["rref_rx"] = (769 + 2 * (offset + index)
                                        if connected else -1)
                out.append(entry)
            return out

    # -- console, host ---------------------------------------------------
    def console_path(self, domid: int) -> str:
        with self._lock:
            dom = self._get(domid)
            banner = (f"[    0.000000] Linux version 6.1.0-sim (simulated "
                      f"guest {dom.name}, domain {domid})\n"
                      f"[    0.000000] Xen version: 4.17{host.XEN_EXTRA}\n"
                      f"{dom.name} login: ")
            path, new = self._consoles.path(domid, banner)
            store = self._store
            if new and store is not None:
                self._xs(lambda: xs_keys.update(store, {
                    f"{xs_keys.dom_path(domid)}/console/tty": path}))
            return path

    def vnc_display(self, domid: int) -> JSON | None:
        with self._lock:
            dom = self._get(domid)
            return display_of(dom.config, dom.vnc_port)

    def host_info(self) -> HostInfo:
        with self._lock:
            return host.host_info(
                host_cpus=self._host_cpus, total_kb=self._total_kb,
                free_kb=self._free_kb(), scheduler=self._scheduler,
                dom0_memory_mib=self._dom0_memory_mib)

    def host_topology(self) -> HostTopology:
        with self._lock:
            return host.topology(host_cpus=self._host_cpus,
                                 total_kb=self._total_kb,
                                 free_kb=self._free_kb())

    def dmesg(self, clear: bool = False) -> str:
        if not clear:
            with self._lock:
                return "".join(f"{line}\n"
                               for line in self._state.console_ring)
        with self._change():
            text = "".join(f"{line}\n" for line in self._state.console_ring)
            self._state.console_ring.clear()
            return text
