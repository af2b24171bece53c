"""The Hypervisor interface that every backend (``sim``, ``libxl``) implements.

All methods are synchronous and may block: xend calls them from a bounded
executor, never on its event loop.  Configuration crosses this boundary as a
libxl ``libxl_domain_config`` JSON document (a ``dict``), exactly what
``libxl_domain_config_from_json`` accepts, and state comes back as the small
dataclasses below.  Memory is always in KiB here, time in nanoseconds.

Errors are raised as :mod:`xend.errors` exceptions: ``DomainNotFound`` for a
domid that does not exist, ``NotEnoughMemory``, ``InvalidArgument``,
``InvalidState``, ``HypervisorError`` for anything else the hypervisor
refuses, ``NotSupported`` for operations the backend cannot do.

A backend behaves like libxl: a new domain starts paused; the backend does not
apply ``on_poweroff``/``on_reboot``/``on_crash`` (xend does); the backend
writes the Xenstore keys libxl writes and no others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Protocol, runtime_checkable

JSON = dict[str, Any]

SHUTDOWN_REASONS = ("poweroff", "reboot", "suspend", "crash", "watchdog",
                    "soft_reset")


@dataclass(frozen=True)
class DomainInfo:
    """One domain as the hypervisor sees it (libxl_dominfo plus its name)."""

    domid: int
    uuid: str
    name: str
    running: bool = False
    blocked: bool = False
    paused: bool = False
    shutdown: bool = False
    dying: bool = False
    shutdown_reason: str | None = None   # one of SHUTDOWN_REASONS when shutdown
    current_memkb: int = 0               # memory the domain has now
    target_memkb: int = 0                # balloon target (memory/target)
    max_memkb: int = 0                   # maximum (maxmem)
    cpu_time_ns: int = 0
    vcpu_max: int = 1                    # number of vcpus (max_vcpu_id + 1)
    vcpu_online: int = 1
    domain_type: str = "pv"              # pv | pvh | hvm
    start_time: float | None = None      # epoch seconds (None for dom0)

    @property
    def crashed(self) -> bool:
        return self.shutdown and self.shutdown_reason == "crash"

    @property
    def state_string(self) -> str:
        """xm's six-character state: r b p s c d, '-' where a flag is off."""
        # (Plain conditionals: xm list builds one per domain.)
        crashed = self.shutdown and self.shutdown_reason == "crash"
        return (("r" if self.running else "-")
                + ("b" if self.blocked else "-")
                + ("p" if self.paused else "-")
                + ("s" if self.shutdown and not crashed else "-")
                + ("c" if crashed else "-")
                + ("d" if self.dying else "-"))


@dataclass(frozen=True)
class VcpuInfo:
    vcpuid: int
    cpu: int              # physical cpu, -1 when offline
    online: bool
    blocked: bool
    running: bool
    time_ns: int
    affinity: tuple[int, ...]   # hard affinity, host cpu numbers


@dataclass(frozen=True)
class SchedParams:
    """Per-domain scheduler parameters; -1 means 'not applicable'."""

    scheduler: str        # credit | credit2 | ...
    weight: int = -1
    cap: int = -1


@dataclass(frozen=True)
class HostInfo:
    """What `xm info` shows about the host and the hypervisor."""

    nr_cpus: int
    nr_nodes: int = 1
    cores_per_socket: int = 1
    threads_per_core: int = 1
    cpu_mhz: int = 0
    hw_caps: str = ""
    virt_caps: str = ""
    total_memory_kb: int = 0
    free_memory_kb: int = 0
    xen_major: int = 4
    xen_minor: int = 17
    xen_extra: str = ""
    xen_caps: str = ""
    xen_scheduler: str = "credit"
    xen_pagesize: int = 4096
    platform_params: str = ""
    xen_changeset: str = ""
    xen_commandline: str = ""
    cc_compiler: str = ""
    cc_compile_by: str = ""
    cc_compile_domain: str = ""
    cc_compile_date: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CpuTopology:
    """Where one online physical cpu sits (``xm info -n``'s cpu_topology).

    A field Xen reports as invalid (libxl's ``*_INVALID_ENTRY``) is None.
    """

    cpu: int
    core: int | None
    socket: int | None
    node: int | None


@dataclass(frozen=True)
class NumaNode:
    """One NUMA node with memory (``xm info -n``'s numa_info).

    ``distances[j]`` is the distance to node ``j`` (None: Xen gave none);
    ``dma32_free_kb`` is the free memory below 4 GiB, None where the
    backend cannot know it (libxl has no call for it).
    """

    node: int
    total_kb: int
    free_kb: int
    distances: tuple[int | None, ...]
    dma32_free_kb: int | None = None


@dataclass(frozen=True)
class HostTopology:
    """The host's online cpus and its NUMA nodes with memory."""

    cpus: tuple[CpuTopology, ...]
    nodes: tuple[NumaNode, ...]


@dataclass(frozen=True)
class DomainEvent:
    """A domain shut down (with a reason) or died; delivered by watch_events."""

    kind: str             # "shutdown" | "death"
    domid: int
    uuid: str
    reason: str | None = None   # for "shutdown": one of SHUTDOWN_REASONS


EventCallback = Callable[[DomainEvent], None]

# How far a save has got, called from the saving thread with
# {"sent": bytes written so far, "total": expected total bytes (a best
# estimate that may grow), "iteration": round number (0 = the first full
# pass), "dirty": pages sent this round, "pages": the domain's page count}
# (0 for what a backend does not know).
SaveProgress = Callable[[dict[str, int]], None]


@runtime_checkable
class Hypervisor(Protocol):
    """The operations xend needs from a hypervisor backend."""

    kind: str   # "sim" | "libxl"

    # -- host ------------------------------------------------------------
    def host_info(self) -> HostInfo: ...
    def host_topology(self) -> HostTopology:
        """Core, socket and node of each online cpu (offline ones are left
        out, as ``xl info -n`` does) and the nodes that have memory."""
        ...
    def scheduler(self) -> str: ...
    def dmesg(self, clear: bool = False) -> str: ...
    def send_debug_keys(self, keys: str) -> None:
        """Press ``keys`` on Xen's console, one after the other (what
        their handlers print goes to the console ring, ``dmesg``).  Keys
        without a handler do nothing; an empty string or one with a
        character that is not printable ASCII is refused
        (:func:`xend.hv.debugkeys.check_debug_keys`)."""
        ...

    # -- domains: query --------------------------------------------------
    def list_domains(self) -> list[DomainInfo]: ...
    def domain_info(self, domid: int) -> DomainInfo: ...
    def domain_config(self, domid: int) -> JSON:
        """The libxl JSON config the domain runs with (defaults filled in)."""
        ...

    # -- domains: lifecycle ----------------------------------------------
    def create(self, config: JSON) -> int:
        """Create a domain from libxl JSON; it starts paused.  Returns domid.

        Never leaves a half-created domain behind on failure."""
        ...

    def destroy(self, domid: int) -> None: ...
    def shutdown(self, domid: int, reboot: bool = False) -> None:
        """Ask the guest to power off (or reboot); falls back to an ACPI
        trigger for guests without PV control, as xl does."""
        ...

    def send_trigger(self, domid: int, trigger: str, vcpu: int = 0) -> None:
        """trigger: power | sleep | nmi | init | reset | s3resume."""
        ...

    def send_sysrq(self, domid: int, key: str) -> None: ...
    def core_dump(self, domid: int, path: str) -> None:
        """Write an ELF core of the domain (Domain-0 refused) to ``path``,
        created or truncated, mode 0600; the domain is not paused (the
        caller pauses it when it wants a consistent image).  Raises
        ``StorageError`` before writing anything when the file system
        lacks room for the dump (libxl: the guest's memory; sim: the
        small file it writes, see :mod:`xend.hv.sim.coredump`)."""
        ...
    def pause(self, domid: int) -> None: ...
    def unpause(self, domid: int) -> None: ...
    def rename(self, domid: int, new_name: str) -> None: ...

    # -- save / restore --------------------------------------------------
    def save(self, domid: int, stream: BinaryIO, live: bool = False,
             progress: Callable[[dict[str, int]], None] | None = None
             ) -> None:
        """Write the domain's memory image to ``stream`` (a file or socket
        opened by the caller), exactly the image's bytes.  The domain is
        left suspended, not destroyed: the caller then destroys it or calls
        ``resume``.

        ``live``: send the memory while the domain runs, then the pages it
        dirtied meanwhile, and suspend it only for the last round (live
        migration); a failure before that round leaves it running (then
        ``resume`` raises ``InvalidState``).  ``progress`` (see
        :data:`SaveProgress`) is called from the saving thread: by ``sim``
        at least once a round and every 256 KiB, by ``libxl`` once at the
        end with the bytes written if the stream is seekable (else never).
        An exception it raises ends the save."""
        ...

    def resume(self, domid: int) -> None:
        """Resume a domain suspended by ``save`` (checkpoint or failure)."""
        ...

    def restore(self, config: JSON, stream: BinaryIO) -> int:
        """Create a domain from ``config`` and an image written by ``save``;
        it starts paused.  Returns the new domid."""
        ...

    # -- memory, vcpus, scheduling ---------------------------------------
    def set_memory_target(self, domid: int, target_kb: int) -> None: ...
    def set_max_memory(self, domid: int, max_kb: int) -> None: ...
    def set_vcpus_online(self, domid: int, count: int) -> None: ...
    def list_vcpus(self, domid: int) -> list[VcpuInfo]: ...
    def set_vcpu_affinity(self, domid: int, vcpu: int,
                          cpus: list[int]) -> None: ...
    def sched_get(self, domid: int) -> SchedParams: ...
    def sched_set(self, domid: int, weight: int | None = None,
                  cap: int | None = None) -> None: ...

    # -- devices -----------------------------------------------------------
    def device_add(self, domid: int, kind: str, device: JSON) -> JSON:
        """Hot-plug a device; ``kind`` is "disk" or "nic" and ``device`` the
        libxl JSON of libxl_device_disk / libxl_device_nic.  Returns the
        device JSON with defaults (devid, mac, ...) filled in."""
        ...

    def device_remove(self, domid: int, kind: str, device: JSON,
                      force: bool = False) -> None: ...
    def device_list(self, domid: int, kind: str) -> list[JSON]:
        """Devices of ``kind`` with their frontend state, as dicts with the
        libxl device JSON keys plus ``frontend``/``backend`` Xenstore paths,
        ``state``, ``evtch``, ``rref`` (and ``rref_tx``/``rref_rx`` for
        nics), as libxl_diskinfo / libxl_nicinfo give them."""
        ...

    def console_path(self, domid: int) -> str:
        """Path of the domain's primary console pty."""
        ...

    def vnc_display(self, domid: int) -> JSON | None:
        """Where the domain's VNC server listens, as libxl records it in
        Xenstore: ``{"listen", "port", "password"}`` (see
        :mod:`xend.hv.vncinfo`); None when it has none."""
        ...

    # -- events ------------------------------------------------------------
    def watch_events(self, callback: EventCallback) -> None:
        """Start delivering shutdown/death events to ``callback``.

        The callback may be called from another thread; xend hands it over to
        its event loop.  Every domain shutdown (any reason) produces exactly
        one "shutdown" event; destroy produces a "death" event."""
        ...

    def close(self) -> None: ...
