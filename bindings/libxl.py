"""Typed wrappers over the libxl operations xend uses.

:class:`Libxl` is a :class:`bindings.context.Context` with one method per
libxl call (or small group of calls).  Arguments and results are Python
values and libxl JSON dicts; every return code goes through
:func:`bindings.errors.check`.  All calls are synchronous (``ao_how`` NULL);
cffi releases the GIL while libxl runs, so callers may use threads.
Device hotplug is in :mod:`bindings.devices`, events in
:mod:`bindings.events`.
"""

from __future__ import annotations

from typing import Any

from bindings.context import JSON, Context
from bindings.devices import DeviceOps
from bindings.errors import ERROR_DOMAIN_NOTFOUND, ERROR_FAIL, check, fail
from bindings.events import EventOps
from xend.errors import InvalidArgument

TRIGGERS = ("power", "sleep", "nmi", "init", "reset", "s3resume")
# libxl 4.17's console reader buffer is 16384 bytes and is not
# NUL-terminated when a chunk fills it (fixed in 4.18 with one more byte).
CONSOLE_CHUNK_MAX = 16384


class Libxl(DeviceOps, EventOps, Context):
    """An open libxl context with typed operations."""

    # -- host ----------------------------------------------------------
    def version_info(self) -> JSON:
        """libxl_version_info (the hypervisor's version) as a dict."""
        info = self.lib.libxl_get_version_info(self.ctx)
        if info == self.ffi.NULL:
            fail("libxl_get_version_info")
        # owned by the ctx: converted, never disposed
        return self.to_dict("version_info",
                            self.ffi.cast("libxl_version_info *", info))

    def physinfo(self) -> JSON:
        with self.struct("physinfo") as ptr:
            check(self.lib.libxl_get_physinfo(self.ctx, ptr),
                  "libxl_get_physinfo")
            return self.to_dict("physinfo", ptr)

    def scheduler(self) -> str:
        """Name of the scheduler of the default cpupool ("credit2", ...)."""
        sched = check(self.lib.libxl_get_scheduler(self.ctx),
                      "libxl_get_scheduler")
        name = self.lib.libxl_scheduler_to_string(sched)
        return str(self.ffi.string(name).decode()) if name else str(sched)

    def max_cpus(self) -> int:
        return check(self.lib.libxl_get_max_cpus(self.ctx),
                     "libxl_get_max_cpus")

    def cpu_topology(self) -> list[JSON]:
        """libxl_cputopology of every cpu Xen knows ({core, socket, node};
        an offline cpu has LIBXL_CPUTOPOLOGY_INVALID_ENTRY in each)."""
        nb = self.ffi.new("int *")
        array = self.lib.libxl_get_cpu_topology(self.ctx, nb)
        if array == self.ffi.NULL:
            fail("libxl_get_cpu_topology")
        try:
            return self.array_to_dicts("cputopology", array, nb[0])
        finally:
            self.lib.libxl_cputopology_list_free(array, nb[0])

    def numa_info(self) -> list[JSON]:
        """libxl_numainfo of every node ({size, free} in bytes, dists); a
        node without memory has LIBXL_NUMAINFO_INVALID_ENTRY as its size."""
        nr = self.ffi.new("int *")
        array = self.lib.libxl_get_numainfo(self.ctx, nr)
        if array == self.ffi.NULL:
            fail("libxl_get_numainfo")
        try:
            return self.array_to_dicts("numainfo", array, nr[0])
        finally:
            self.lib.libxl_numainfo_list_free(array, nr[0])

    def console_read(self, clear: bool = False) -> str:
        """The hypervisor's console ring (``xl dmesg``)."""
        reader = self.lib.libxl_xen_console_read_start(self.ctx, int(clear))
        if reader == self.ffi.NULL:
            fail("libxl_xen_console_read_start")
        chunks: list[bytes] = []
        line = self.ffi.new("char **")
        try:
            # read_line returns a chunk of the ring per call, 0 at the end;
            # the buffer belongs to the reader.
            while check(self.lib.libxl_xen_console_read_line(
                    self.ctx, reader, line), "libxl_xen_console_read_line"):
                chunks.append(self.ffi.string(line[0], CONSOLE_CHUNK_MAX))
        finally:
            self.lib.libxl_xen_console_read_finish(self.ctx, reader)
        return b"".join(chunks).decode(errors="replace")

    def send_debug_keys(self, keys: str) -> None:
        """Press ``keys`` on Xen's console (``xl debug-keys``)."""
        # libxl takes a non-const char *: hand it a buffer of its own.
        buf = self.ffi.new("char[]", keys.encode("ascii"))
        check(self.lib.libxl_send_debug_keys(self.ctx, buf),
              "libxl_send_debug_keys")

    # -- domains: query ------------------------------------------------
    def list_domains(self) -> list[JSON]:
        """libxl_dominfo of every domain, as dicts."""
        count = self.ffi.new("int *")
        array = self.lib.libxl_list_domain(self.ctx, count)
        if array == self.ffi.NULL:
            fail("libxl_list_domain")
        try:
            return self.array_to_dicts("dominfo", array, count[0])
        finally:
            self.lib.libxl_dominfo_list_free(array, count[0])

    def domain_info(self, domid: int) -> JSON:
        with self.struct("dominfo") as ptr:
            check(self.lib.libxl_domain_info(self.ctx, ptr, domid),
                  "libxl_domain_info", domid)
            return self.to_dict("dominfo", ptr)

    def domain_exists(self, domid: int) -> bool:
        rc = self.lib.libxl_domain_info(self.ctx, self.ffi.NULL, domid)
        if rc == ERROR_DOMAIN_NOTFOUND:
            return False
        check(rc, "libxl_domain_info", domid)
        return True

    def domid_to_name(self, domid: int) -> str | None:
        return self.take_string(self.lib.libxl_domid_to_name(self.ctx, domid))

    def name_to_domid(self, name: str) -> int | None:
        """The domid of the domain called ``name``, None if there is none."""
        out = self.ffi.new("uint32_t *")
        # libxl says ERROR_INVAL for "no such name" and for real failures
        rc = self.lib.libxl_name_to_domid(self.ctx, name.encode(), out)
        return int(out[0]) if rc == 0 else None

    def memory_target(self, domid: int) -> int:
        """memory/target of the domain in KiB."""
        out = self.ffi.new("uint64_t *")
        check(self.lib.libxl_get_memory_target(self.ctx, domid, out),
              "libxl_get_memory_target", domid)
        return int(out[0])

    def start_time(self, domid: int) -> int:
        """/vm/<uuid>/start_time in epoch seconds, 0 when unknown."""
        return int(self.lib.libxl_vm_get_start_time(self.ctx, domid))

    def domain_config(self, domid: int) -> JSON:
        """The stored libxl config merged with live state."""
        with self.struct("domain_config") as cfg:
            check(self.lib.libxl_retrieve_domain_configuration(
                self.ctx, domid, cfg, self.ffi.NULL),
                "libxl_retrieve_domain_configuration", domid)
            return self.to_dict("domain_config", cfg)

    # -- domains: lifecycle --------------------------------------------
    def create(self, config: JSON) -> int:
        """libxl_domain_create_new; the domain is left paused.

        On failure libxl may leave a half-built domain; it is destroyed
        here before the error is raised.
        """
        domid = self.ffi.new("uint32_t *", 0xFFFFFFFF)   # INVALID_DOMID
        with self.struct("domain_config", config) as cfg:
            rc = self.lib.libxl_domain_create_new(
                self.ctx, cfg, domid, self.ffi.NULL, self.ffi.NULL)
            self._destroy_half_created(rc, domid[0])
            check(rc, "libxl_domain_create_new")
        return int(domid[0])

    def restore(self, config: JSON, fd: int, stream_version: int = 2) -> int:
        """libxl_domain_create_restore from ``fd``; left paused."""
        domid = self.ffi.new("uint32_t *", 0xFFFFFFFF)
        with self.struct("domain_config", config) as cfg, \
                self.struct("domain_restore_params") as params:
            params.stream_version = stream_version
            params.checkpointed_stream = 0   # LIBXL_CHECKPOINTED_STREAM_NONE
            rc = self.lib.libxl_domain_create_restore(
                self.ctx, cfg, domid, fd, -1, params, self.ffi.NULL,
                self.ffi.NULL)
            self._destroy_half_created(rc, domid[0])
            check(rc, "libxl_domain_create_restore")
        return int(domid[0])

    def _destroy_half_created(self, rc: int, domid: int) -> None:
        # libxl destroys a failed domain itself, except after ERROR_ABORTED
        # or a failure to store its config (ERROR_LOCK_FAIL): then *domid
        # names a domain that exists.  INVALID_DOMID means none does;
        # never touch dom0 or a reserved domid.
        if rc >= 0 or not 0 < domid < 0x7FF0:
            return
        self.lib.libxl_domain_destroy(self.ctx, domid, self.ffi.NULL)

    def destroy(self, domid: int) -> None:
        check(self.lib.libxl_domain_destroy(self.ctx, domid, self.ffi.NULL),
              "libxl_domain_destroy", domid)

    def shutdown(self, domid: int) -> None:
        check(self.lib.libxl_domain_shutdown(self.ctx, domid, self.ffi.NULL),
              "libxl_domain_shutdown", domid)

    def reboot(self, domid: int) -> None:
        check(self.lib.libxl_domain_reboot(self.ctx, domid, self.ffi.NULL),
              "libxl_domain_reboot", domid)

    def pause(self, domid: int) -> None:
        check(self.lib.libxl_domain_pause(self.ctx, domid, self.ffi.NULL),
              "libxl_domain_pause", domid)

    def unpause(self, domid: int) -> None:
        check(self.lib.libxl_domain_unpause(self.ctx, domid, self.ffi.NULL),
              "libxl_domain_unpause", domid)

    def rename(self, domid: int, new_name: str,
               old_name: str | None = None) -> None:
        old = old_name.encode() if old_name is not None else self.ffi.NULL
        check(self.lib.libxl_domain_rename(self.ctx, domid, old,
                                           new_name.encode()),
              "libxl_domain_rename", domid)

    def send_trigger(self, domid: int, trigger: str, vcpu: int = 0) -> None:
        if trigger not in TRIGGERS:
            raise InvalidArgument(f"unknown trigger '{trigger}' (choose "
                                  f"from: {', '.join(TRIGGERS)})")
        value = self.ffi.new("libxl_trigger *")
        check(self.lib.libxl_trigger_from_string(trigger.encode(), value),
              "libxl_trigger_from_string")
        check(self.lib.libxl_send_trigger(self.ctx, domid, value[0], vcpu,
                                          self.ffi.NULL),
              f"libxl_send_trigger {trigger}", domid)

    def send_sysrq(self, domid: int, key: str) -> None:
        if len(key) != 1 or not key.isascii():
            raise InvalidArgument(f"sysrq key must be one character: {key!r}")
        check(self.lib.libxl_send_sysrq(self.ctx, domid, key.encode()),
              "libxl_send_sysrq", domid)

    def suspend(self, domid: int, fd: int, live: bool = False,
                debug: bool = False) -> None:
        """Write a libxl migration stream v2 to ``fd``; not destroyed."""
        flags = (self.lib.LIBXL_SUSPEND_LIVE if live else 0) | \
            (self.lib.LIBXL_SUSPEND_DEBUG if debug else 0)
        check(self.lib.libxl_domain_suspend(self.ctx, domid, fd, flags,
                                            self.ffi.NULL),
              "libxl_domain_suspend", domid)

    def resume(self, domid: int, suspend_cancel: bool = True) -> None:
        check(self.lib.libxl_domain_resume(self.ctx, domid,
                                           int(suspend_cancel), self.ffi.NULL),
              "libxl_domain_resume", domid)

    def core_dump(self, domid: int, filename: str) -> None:
        """libxl_domain_core_dump: an ELF core of the domain at
        ``filename`` (created or truncated, mode 0600; not paused)."""
        check(self.lib.libxl_domain_core_dump(self.ctx, domid,
                                              filename.encode(),
                                              self.ffi.NULL),
              "libxl_domain_core_dump", domid)

    # -- memory, vcpus, scheduling -------------------------------------
    def set_memory_target(self, domid: int, target_kb: int,
                          relative: bool = False, enforce: bool = True) -> None:
        check(self.lib.libxl_set_memory_target(self.ctx, domid, target_kb,
                                               int(relative), int(enforce)),
              "libxl_set_memory_target", domid)

    def free_memory(self) -> int:
        """Free host memory in KiB (libxl_get_free_memory)."""
        out = self.ffi.new("uint64_t *")
        check(self.lib.libxl_get_free_memory(self.ctx, out),
              "libxl_get_free_memory")
        return int(out[0])

    def need_memory(self, config: JSON) -> int:
        """KiB a domain with ``config`` needs (libxl_domain_need_memory)."""
        out = self.ffi.new("uint64_t *")
        with self.struct("domain_config", config) as cfg:
            check(self.lib.libxl_domain_need_memory(self.ctx, cfg, 0xFFFFFFFF,
                                                    out),
                  "libxl_domain_need_memory")
        return int(out[0])

    def set_max_memory(self, domid: int, max_kb: int) -> None:
        rc = self.lib.libxl_domain_setmaxmem(self.ctx, domid, max_kb)
        # libxl 4.17 returns 1 (not an error code) when it cannot read the
        # target or the target is above max_kb: a failure all the same.
        check(ERROR_FAIL if rc > 0 else rc, "libxl_domain_setmaxmem", domid)

    def set_vcpus_online(self, domid: int, online: list[int],
                         max_vcpus: int) -> None:
        """Bring exactly the vcpus in ``online`` up, the others down."""
        with self.bitmap(online, max_vcpus, "vcpu") as bm:
            check(self.lib.libxl_set_vcpuonline(self.ctx, domid, bm,
                                                self.ffi.NULL),
                  "libxl_set_vcpuonline", domid)

    def list_vcpus(self, domid: int) -> list[JSON]:
        """libxl_vcpuinfo of each vcpu (cpumap as a list of cpus)."""
        nb = self.ffi.new("int *")
        nr_cpus = self.ffi.new("int *")
        array = self.lib.libxl_list_vcpu(self.ctx, domid, nb, nr_cpus)
        if array == self.ffi.NULL:
            self.domain_info(domid)   # DomainNotFound when that is why
            fail("libxl_list_vcpu", domid)
        try:
            return self.array_to_dicts("vcpuinfo", array, nb[0])
        finally:
            self.lib.libxl_vcpuinfo_list_free(array, nb[0])

    def set_vcpu_affinity(self, domid: int, vcpu: int,
                          cpus: list[int]) -> None:
        """Hard affinity of one vcpu; soft affinity is left alone."""
        with self.bitmap(cpus, None, "cpu") as bm:
            check(self.lib.libxl_set_vcpuaffinity(self.ctx, domid, vcpu, bm,
                                                  self.ffi.NULL),
                  "libxl_set_vcpuaffinity", domid)

    def sched_params(self, domid: int) -> tuple[str, int, int]:
        """(scheduler name, weight, cap) of the domain."""
        with self.struct("domain_sched_params") as p:
            check(self.lib.libxl_domain_sched_params_get(self.ctx, domid, p),
                  "libxl_domain_sched_params_get", domid)
            name = self.lib.libxl_scheduler_to_string(p.sched)
            sched = self.ffi.string(name).decode() if name else str(p.sched)
            return str(sched), int(p.weight), int(p.cap)

    def set_sched_params(self, domid: int, weight: int | None,
                         cap: int | None) -> None:
        """Set weight and/or cap; None leaves a value as it is."""
        with self.struct("domain_sched_params") as p:
            # init gives sched UNKNOWN (= the pool's) and -1 (= keep)
            if weight is not None:
                p.weight = weight
            if cap is not None:
                p.cap = cap
            check(self.lib.libxl_domain_sched_params_set(self.ctx, domid, p),
                  "libxl_domain_sched_params_set", domid)

    # -- console -------------------------------------------------------
    def primary_console_tty(self, domid: int) -> str:
        path = self.ffi.new("char **")
        check(self.lib.libxl_primary_console_get_tty(self.ctx, domid, path),
              "libxl_primary_console_get_tty", domid)
        tty = self.take_string(path[0])
        if not tty:
            fail("libxl_primary_console_get_tty", domid)
        return tty


def open_libxl(**kwargs: Any) -> Libxl:
    """Open a context (kwargs: ``module_path``, ``log_level``)."""
    return Libxl(**kwargs)
