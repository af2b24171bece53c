"""The libxl backend: the Hypervisor interface on a real Xen host.

:class:`LibxlHypervisor` drives libxl through :mod:`bindings`.  It does no
work when constructed: the libxl context is opened on first use (so
``make_hypervisor("libxl")`` works anywhere and the first call says "libxl
is not available: ..." where there is no Xen).  The context is shared by
all threads; every call blocks in libxl with the GIL released.

Like libxl itself this backend leaves new domains paused, never applies
``on_poweroff``/``on_reboot``/``on_crash`` (xend does, on the DomainEvents
from :meth:`watch_events`), and writes no Xenstore keys of its own.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, BinaryIO

from bindings.errors import ERROR_DOMAIN_NOTFOUND, ERROR_NOPARAVIRT, libxl_rc
from bindings.libxl import Libxl
from xend.errors import (DomainExists, DomainNotFound, HypervisorError,
                         InvalidArgument, InvalidState, NotEnoughMemory,
                         NotSupported, XendError)
from xend.hv import libxl_convert as convert
from xend.hv import vncinfo
from xend.hv.base import (JSON, DomainInfo, EventCallback, HostInfo,
                          HostTopology,
                          SaveProgress, SchedParams, VcpuInfo)
from xend.hv.debugkeys import check_debug_keys
from xend.hv.diskroom import check_room
from xend.hv.dumpable import never_ran
from xend.hv.libxl_events import EventPump
from xend.hv.libxl_stream import check_image
from xend.hv.libxl_topology import host_topology
from xend.limits import MAX_VCPUS, memory_error

if TYPE_CHECKING:
    from xenstore.client import PyxsStore

log = logging.getLogger("xend.hv.libxl")


class LibxlHypervisor:
    """Hypervisor backend on libxl (Xen 4.17+)."""

    kind = "libxl"

    def __init__(self, *, state_dir: str | None = None,
                 module_path: str | None = None,
                 log_level: int | None = None,
                 libxl: Libxl | None = None,
                 xenstore_socket: str | None = None) -> None:
        """All optional.  ``state_dir``: accepted for parity with the sim
        backend and unused (libxl keeps its own state in /var/lib/xen);
        ``module_path``: an explicitly built ``_libxl_cffi`` module file
        (default: ``bindings._libxl_cffi`` or ``$XEND_LIBXL_CFFI``);
        ``log_level``: least xentoollog level formatted (default from the
        "xend.libxl" logger); ``libxl``: an open :class:`Libxl` to use
        instead of opening one (tests); ``xenstore_socket``: the host's
        xenstored (default: libxenstore's rules), used for what libxl has
        no call for (see :meth:`shutdown`)."""
        self.state_dir = state_dir
        self._module_path = module_path
        self._log_level = log_level
        self._xl_obj = libxl
        self._open_lock = threading.Lock()
        self._pump: EventPump | None = None
        self._xenstore_socket = xenstore_socket
        self._store: PyxsStore | None = None
        # Domains the caller saw shut down before watch_events (see there).
        self._seen_shut_down: set[int] = set()

    @property
    def _xl(self) -> Libxl:
        if self._xl_obj is None:
            with self._open_lock:
                if self._xl_obj is None:
                    self._xl_obj = Libxl(module_path=self._module_path,
                                         log_level=self._log_level)
        return self._xl_obj

    def _arm(self, domid: int, uuid: str = "") -> None:
        if self._pump is not None:
            self._pump.arm(domid, uuid)
            self._pump.nudge()

    def _nudge(self) -> None:
        """After a call that ran libxl's event loop in this thread: the
        pump looks for events it raised (see EventPump.nudge)."""
        if self._pump is not None:
            self._pump.nudge()

    def _arm_new(self, domid: int) -> None:
        """Arm a domain just made, with its uuid (for its death event)."""
        try:
            self.domain_info(domid)     # arms it
        except XendError:
            self._arm(domid)

    @staticmethod
    def _guest(domid: int, what: str) -> None:
        """Refuse Domain-0 before libxl sees it: libxl_domain_destroy(0)
        removes dom0's own Xenstore directory (and with it /local/domain/0/
        domid, which every later libxl call needs) before Xen refuses, and
        libxl_domain_shutdown(0) would ask dom0's kernel to power off."""
        if domid == 0:
            raise InvalidArgument(f"cannot {what} Domain-0")

    def _not_found_if_gone(self, domid: int) -> None:
        """libxl reports many calls on a domain that does not exist as
        ERROR_FAIL (pause, unpause, sysrq...); the interface promises
        DomainNotFound."""
        try:
            exists = self._xl.domain_exists(domid)
        except XendError:
            return
        if not exists:
            raise DomainNotFound(domid) from None

    # -- host ------------------------------------------------------------
    def host_info(self) -> HostInfo:
        xl = self._xl
        return convert.host_info(xl.physinfo(), xl.version_info(),
                                 xl.scheduler())

    def host_topology(self) -> HostTopology:
        return host_topology(self._xl.cpu_topology(), self._xl.numa_info())

    def scheduler(self) -> str:
        return self._xl.scheduler()

    def dmesg(self, clear: bool = False) -> str:
        return self._xl.console_read(clear)

    def send_debug_keys(self, keys: str) -> None:
        self._xl.send_debug_keys(check_debug_keys(keys))

    # -- domains: query --------------------------------------------------
    def _domain_info(self, dominfo: JSON) -> DomainInfo:
        xl = self._xl
        domid = int(dominfo.get("domid", 0))
        try:
            target: int | None = xl.memory_target(domid)
        except XendError:
            target = None    # no memory/target (yet): current memory
        info = convert.domain_info(
            dominfo, name=xl.domid_to_name(domid), target_memkb=target,
            start_time=xl.start_time(domid) if domid else None)
        if self._pump is None:
            if info.shutdown:
                self._seen_shut_down.add(domid)
            else:
                self._seen_shut_down.discard(domid)
        self._arm(domid, info.uuid)
        return info

    def list_domains(self) -> list[DomainInfo]:
        return [self._domain_info(d) for d in self._xl.list_domains()]

    def domain_info(self, domid: int) -> DomainInfo:
        return self._domain_info(self._xl.domain_info(domid))

    def domain_config(self, domid: int) -> JSON:
        """libxl's stored config, with the vcpus' hard affinity as it is
        now: libxl keeps a vcpu-pin out of it, so a save/restore or a
        migration would lose the pinning (the simulator keeps it)."""
        config = self._xl.domain_config(domid)
        b_info = config.get("b_info")
        if isinstance(b_info, dict):
            try:
                vcpus = self.list_vcpus(domid)
            except XendError:
                return config
            b_info["vcpu_hard_affinity"] = [list(v.affinity) for v in vcpus]
        return config

    # -- domains: lifecycle ----------------------------------------------
    def create(self, config: JSON) -> int:
        _check_limits(config)
        try:
            domid = self._xl.create(config)
        except HypervisorError:
            self._diagnose_create_failure(config)
            self._raise_if_invalid(config)
            raise
        self._arm_new(domid)
        return domid

    def _diagnose_create_failure(self, config: JSON) -> None:
        """After a failed create or restore, name the cause libxl hides.

        libxl reports a taken name and a lack of memory as ERROR_FAIL
        (logging the detail); the interface promises DomainExists and
        NotEnoughMemory.  Nothing is checked up front, so no race with
        other toolstacks and no cost on success.
        """
        c_info = config.get("c_info")
        name = c_info.get("name") if isinstance(c_info, dict) else None
        if isinstance(name, str):
            self._raise_if_name_taken(name)
        self._raise_if_short_of_memory(config)

    def _raise_if_invalid(self, config: JSON) -> None:
        """libxl's create says ERROR_FAIL for a config it cannot build
        (weight out of range, no kernel, a bad vdev...), logging why.  The
        simulator's validator models what libxl accepts; asked only after
        libxl refused, it names the fault as the InvalidArgument the
        interface promises (or, for a kernel or ramdisk file that is not
        there, the simulator's HypervisorError in xend 4.4's words), and can
        never refuse what libxl would build."""
        from xend.hv.sim.validate import check_boot_files, validate_config
        try:
            host_cpus = int(self._xl.physinfo().get("nr_cpus", 0)) or 1
        except XendError:
            return
        validate_config(config, host_cpus)
        # A kernel or ramdisk that is not there: libxl logs the errno only.
        check_boot_files(config)

    def _raise_if_name_taken(self, name: str, domid: int | None = None) -> None:
        owner = self._xl.name_to_domid(name)
        if owner is not None and owner != domid:
            # libxl's own words (it logs them), as the simulator says them.
            raise DomainExists(f'Domain with name "{name}" already exists '
                               f"(domain {owner}).")

    def _raise_if_short_of_memory(self, config: JSON) -> None:
        """Whoever frees memory (dom0 ballooning) does so before create."""
        try:
            need, free = self._xl.need_memory(config), self._xl.free_memory()
        except XendError:
            return
        if need > free:
            raise NotEnoughMemory(f"not enough free memory: the domain "
                                  f"needs {need} KiB, {free} KiB are free")

    def destroy(self, domid: int) -> None:
        self._guest(domid, "destroy")
        try:
            self._xl.destroy(domid)
        finally:
            self._nudge()

    def shutdown(self, domid: int, reboot: bool = False) -> None:
        self._guest(domid, "shut down")
        info = self.domain_info(domid)
        if info.shutdown:
            # libxl would post the request and wait a minute for an ack.
            raise InvalidState(f"cannot shut down domain {domid}: it has shut "
                               f"down ({info.shutdown_reason})")
        if info.paused and info.domain_type == "pv":
            # libxl waits (a minute) for the guest to acknowledge, which a
            # paused guest cannot do.  Post the request as xend 4.4 did: the
            # guest acts on it when it runs again.
            self._post_control(domid, "reboot" if reboot else "poweroff")
            return
        try:
            self._request_shutdown(domid, reboot)
        finally:
            self._nudge()

    def _request_shutdown(self, domid: int, reboot: bool) -> None:
        try:
            if reboot:
                self._xl.reboot(domid)
            else:
                self._xl.shutdown(domid)
        except InvalidState as exc:
            if libxl_rc(exc) != ERROR_NOPARAVIRT:
                raise
            # No PV control interface (HVM without PV drivers): press the
            # ACPI power button / reset line, as `xl shutdown -F` does.
            trigger = "reset" if reboot else "power"
            log.info("domain %d has no PV drivers; sending the %s trigger",
                     domid, trigger)
            self._xl.send_trigger(domid, trigger, 0)

    def send_trigger(self, domid: int, trigger: str, vcpu: int = 0) -> None:
        self._guest(domid, "send a trigger to")
        try:
            self._xl.send_trigger(domid, trigger, vcpu)
        except HypervisorError:
            self._not_found_if_gone(domid)
            raise

    def send_sysrq(self, domid: int, key: str) -> None:
        self._guest(domid, "send a sysrq to")
        try:
            self._xl.send_sysrq(domid, key)
        except HypervisorError:
            self._not_found_if_gone(domid)
            raise

    def core_dump(self, domid: int, path: str) -> None:
        self._guest(domid, "dump the core of")
        # xc_domain_dumpcore writes every page the guest has, plus a few
        # KiB of headers and the p2m table (8 bytes a page).
        pages = self.domain_info(domid).current_memkb // 4
        check_room(path, pages * (4096 + 8) + (1 << 20))
        try:
            self._xl.core_dump(domid, path)
        except HypervisorError:
            self._not_found_if_gone(domid)
            info = self.domain_info(domid)
            if info.domain_type == "pv" and info.cpu_time_ns == 0:
                raise never_ran(domid) from None
            raise

    def pause(self, domid: int) -> None:
        self._guest(domid, "pause")
        try:
            self._xl.pause(domid)
        except HypervisorError:
            self._not_found_if_gone(domid)
            raise
        finally:
            self._nudge()

    def unpause(self, domid: int) -> None:
        self._guest(domid, "unpause")
        try:
            self._xl.unpause(domid)
        except HypervisorError:
            self._not_found_if_gone(domid)
            raise
        finally:
            self._nudge()

    def rename(self, domid: int, new_name: str) -> None:
        self._guest(domid, "rename")
        if not new_name:
            raise InvalidArgument("a domain name may not be empty")
        try:
            self._xl.rename(domid, new_name)
        except (InvalidArgument, HypervisorError):
            self._raise_if_name_taken(new_name, domid)
            raise

    # -- save / restore --------------------------------------------------
    def _require_suspend(self) -> None:
        if self._xl.has_feature("NO_SUSPEND_RESUME"):
            raise NotSupported("save/restore is not supported by libxl on "
                               "this architecture")

    def save(self, domid: int, stream: BinaryIO, live: bool = False,
             progress: SaveProgress | None = None) -> None:
        """libxl_domain_suspend to the stream's fd (libxl stream v2).

        libxl reports no progress: ``progress`` is called once at the end
        with the bytes written when the stream is seekable, else never."""
        self._guest(domid, "save")
        self._require_suspend()
        stream.flush()                      # our bytes before libxl's
        fd = stream.fileno()
        start = os.lseek(fd, 0, os.SEEK_CUR) if stream.seekable() else None
        try:
            self._xl.suspend(domid, fd, live=live)
        finally:
            self._nudge()
        if start is not None:               # keep the file object in step
            end = os.lseek(fd, 0, os.SEEK_CUR)
            stream.seek(end)
            if progress is not None:
                progress({"sent": end - start, "total": end - start,
                          "iteration": 0, "dirty": 0, "pages": 0})

    def resume(self, domid: int) -> None:
        """Cooperative resume (suspend_cancel) of a saved domain."""
        self._guest(domid, "resume")
        info = self.domain_info(domid)
        if info.shutdown_reason != "suspend":
            # libxl would "resume" a running guest too, and confuse it.
            raise InvalidState(f"domain {domid} is not suspended")
        self._xl.resume(domid, suspend_cancel=True)
        if self._pump is not None:
            self._pump.rearm(domid)
            self._pump.nudge()

    def restore(self, config: JSON, stream: BinaryIO) -> int:
        """libxl_domain_create_restore from the stream's fd, left paused."""
        self._require_suspend()
        _check_limits(config)
        fd = _fd_at_logical_position(stream)
        # libxl may crash the process on a damaged image: look first.
        check_image(fd, os.lseek(fd, 0, os.SEEK_CUR) if stream.seekable()
                    else 0)
        try:
            domid = self._xl.restore(config, fd)
        except HypervisorError:
            self._diagnose_create_failure(config)
            raise
        self._arm_new(domid)
        return domid

    # -- memory, vcpus, scheduling ---------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None:
        if target_kb <= 0:
            raise InvalidArgument(f"invalid memory target {target_kb} KiB")
        _check_memkb("memory target", target_kb)
        try:
            self._xl.set_memory_target(domid, target_kb)
        except InvalidArgument:
            # libxl's only ERROR_INVAL here for a positive absolute target
            # (it logs "memory_dynamic_max must be less than or equal to
            # memory_static_max").
            self._not_found_if_gone(domid)
            raise InvalidArgument(f"memory target {target_kb} KiB is above "
                                  f"the domain's maxmem") from None
        except HypervisorError:
            self._not_found_if_gone(domid)
            raise

    def set_max_memory(self, domid: int, max_kb: int) -> None:
        if max_kb <= 0:
            raise InvalidArgument(f"invalid maximum memory {max_kb} KiB")
        _check_memkb("maximum memory", max_kb)
        target_kb = self.domain_info(domid).target_memkb
        if max_kb < target_kb:
            # libxl refuses this (returning 1, not an error code), with
            # these words in its log; the simulator says the same.
            raise InvalidArgument(
                f"maxmem {max_kb} KiB is below the memory target "
                f"({target_kb} KiB): memory_static_max must be greater "
                "than or equal to memory_dynamic_max")
        self._xl.set_max_memory(domid, max_kb)

    def set_vcpus_online(self, domid: int, count: int) -> None:
        vcpu_max = self.domain_info(domid).vcpu_max
        if not 1 <= count <= vcpu_max:
            raise InvalidArgument(f"cannot set {count} vcpus online: the "
                                  f"domain has 1..{vcpu_max}")
        self._xl.set_vcpus_online(domid, list(range(count)), vcpu_max)

    def list_vcpus(self, domid: int) -> list[VcpuInfo]:
        return [convert.vcpu_info(v) for v in self._xl.list_vcpus(domid)]

    def set_vcpu_affinity(self, domid: int, vcpu: int,
                          cpus: list[int]) -> None:
        if not cpus:
            raise InvalidArgument("an affinity needs at least one cpu")
        # Xen says only EINVAL (ERROR_FAIL from libxl) for these; name them.
        vcpu_max = self.domain_info(domid).vcpu_max
        if not 0 <= vcpu < vcpu_max:
            raise InvalidArgument(f"vcpu {vcpu} out of range 0-{vcpu_max - 1}")
        host_cpus = int(self._xl.physinfo().get("nr_cpus", 0)) or 1
        # As Xen does, CPUs the host lacks are ignored (and never put in
        # the bitmap); a map with none of the host's CPUs is refused.
        present = sorted({c for c in cpus if 0 <= c < host_cpus})
        if not present:
            raise InvalidArgument(f"cpu {cpus[0]} does not exist (host has "
                                  f"{host_cpus} cpus, 0-{host_cpus - 1})")
        self._xl.set_vcpu_affinity(domid, vcpu, present)

    def sched_get(self, domid: int) -> SchedParams:
        try:
            return convert.sched_params(*self._xl.sched_params(domid))
        except (InvalidArgument, HypervisorError):
            # libxl_domain_sched_params_get of a missing domain: ERROR_INVAL
            self._not_found_if_gone(domid)
            raise

    def sched_set(self, domid: int, weight: int | None = None,
                  cap: int | None = None) -> None:
        scheduler, _, _ = self._xl.sched_params(domid)
        if scheduler not in ("credit", "credit2"):
            raise NotSupported(f"weight and cap are not parameters of the "
                               f"{scheduler} scheduler")
        if weight is not None and not 1 <= weight <= 65535:
            raise InvalidArgument(f"weight {weight} is out of range 1..65535")
        if cap is not None and cap < 0:
            raise InvalidArgument(f"cap {cap} may not be negative")
        self._xl.set_sched_params(domid, weight, cap)

    # -- devices -----------------------------------------------------------
    def device_add(self, domid: int, kind: str, device: JSON) -> JSON:
        try:
            return self._xl.device_add(domid, kind, device)
        finally:
            self._nudge()

    def device_remove(self, domid: int, kind: str, device: JSON,
                      force: bool = False) -> None:
        self._guest(domid, "remove a device from")
        try:
            self._xl.device_remove(domid, kind, device, force)
        finally:
            self._nudge()

    def device_list(self, domid: int, kind: str) -> list[JSON]:
        return self._xl.device_list(domid, kind)

    def console_path(self, domid: int) -> str:
        return self._xl.primary_console_tty(domid)

    # -- events ------------------------------------------------------------
    def watch_events(self, callback: EventCallback) -> None:
        """Start the event thread and arm every existing guest.

        libxl reports a domain that is already shut down as soon as it is
        armed.  That report is dropped for domains the caller has already
        seen shut down through list_domains/domain_info (xend acts on those
        from its start-up scan) and delivered for the others, so every
        shutdown reaches the caller exactly once.
        """
        if self._pump is not None:
            raise InvalidState("already watching domain events")
        pump = EventPump(self._xl, callback, self._seen_shut_down)
        pump.start()
        self._pump = pump
        for dominfo in self._xl.list_domains():
            pump.arm(int(dominfo.get("domid", 0)), str(dominfo.get("uuid", "")))

    def _xenstore(self) -> PyxsStore:
        """The connection to the host's xenstored, opened on first use."""
        from xenstore.client import PyxsStore
        with self._open_lock:
            if self._store is None:
                self._store = PyxsStore(self._xenstore_socket)
            return self._store

    def _post_control(self, domid: int, request: str) -> None:
        """Write control/shutdown without waiting for the guest."""
        from xenstore.errors import StoreError
        try:
            self._xenstore().write(
                f"/local/domain/{domid}/control/shutdown", request)
        except StoreError as exc:
            raise HypervisorError(f"cannot ask domain {domid} to {request}: "
                                  f"xenstore: {exc}") from None

    def vnc_display(self, domid: int) -> JSON | None:
        """libxl has no call for it (xl vncviewer reads Xenstore too)."""
        from xenstore.errors import StoreError
        self._not_found_if_gone(domid)
        try:
            return vncinfo.from_keys(self._xenstore().read, domid)
        except StoreError as exc:
            raise HypervisorError(f"cannot read the VNC display of domain "
                                  f"{domid}: xenstore: {exc}") from None

    def close(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None:
            pump.stop()
        with self._open_lock:
            xl, self._xl_obj = self._xl_obj, None
        if xl is not None:
            xl.close()
        store, self._store = self._store, None
        if store is not None:
            store.close()


def _check_memkb(what: str, kb: int) -> None:
    """Xen's limit, before the size reaches a C integer (or Xen)."""
    problem = memory_error(what, kb, "KiB")
    if problem:
        raise InvalidArgument(problem)


def _check_limits(config: JSON) -> None:
    """What libxl builds without complaint but no guest can use: a memory
    target above the maximum, online vcpus beyond max_vcpus (xl's parser
    refuses both before libxl sees them); and sizes and counts beyond Xen's
    limits, before libxl allocates anything from them."""
    b_info = config.get("b_info")
    if not isinstance(b_info, dict):
        return
    target, maximum = b_info.get("target_memkb"), b_info.get("max_memkb")
    for key, value in (("target_memkb", target), ("max_memkb", maximum)):
        if isinstance(value, int):
            _check_memkb(key, value)
    c_info = config.get("c_info")
    dtype = c_info.get("type") if isinstance(c_info, dict) else None
    limit = MAX_VCPUS.get(dtype if isinstance(dtype, str) else "",
                          max(MAX_VCPUS.values()))
    max_vcpus = b_info.get("max_vcpus")
    if isinstance(max_vcpus, int) and not 0 <= max_vcpus <= limit:
        raise InvalidArgument(f"max_vcpus {max_vcpus} out of range "
                              f"1-{limit}")
    if isinstance(target, int) and isinstance(maximum, int) \
            and 0 < maximum < target:
        raise InvalidArgument(f"memory target {target} KiB is above the "
                              f"maximum {maximum} KiB")
    max_vcpus, avail = b_info.get("max_vcpus"), b_info.get("avail_vcpus")
    if isinstance(max_vcpus, int) and isinstance(avail, list) and any(
            isinstance(v, int) and not 0 <= v < max_vcpus for v in avail):
        raise InvalidArgument(f"avail_vcpus {avail} go beyond max_vcpus "
                              f"{max_vcpus}")


def _fd_at_logical_position(stream: BinaryIO) -> int:
    """The stream's fd, positioned where the caller's reading stopped.

    A buffered reader may have read past what it handed out; for a
    seekable file the OS offset is moved back to the logical position.  A
    pipe cannot be rewound, so it must come unbuffered (or untouched).
    """
    fd = stream.fileno()
    if stream.seekable():
        os.lseek(fd, stream.tell(), os.SEEK_SET)
    return fd
