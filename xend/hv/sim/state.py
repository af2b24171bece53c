"""The simulated hypervisor's state and its JSON file.

Everything the simulator knows lives in one :class:`SimState`: the domains
(with their config, memory, vcpus, scheduler parameters, devices, cpu-time
accounting and any pending guest reaction), the next domid, the host's boot
time and the Xen console ring.  It is written atomically (temp file, fsync,
rename) to ``<state_dir>/sim/hypervisor.json`` after every change, so a new
:class:`~xend.hv.sim.SimHypervisor` on the same directory finds the domains
still "running".  A lock file held with ``flock`` keeps a second process off
the same state.

Times are clock seconds (epoch by default); cpu time is settled into
``vcpu_time_ns`` whenever a domain's running state changes, and accrues from
``run_since`` while it runs.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import tempfile
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from xend.errors import HypervisorError, StorageError
from xend.hv.base import JSON

STATE_VERSION = 1
# Share of one physical cpu an idle guest vcpu uses: enough for `xm list`'s
# Time(s) column to move, small enough to look like an idle guest.
GUEST_LOAD = 0.02
DOM0_LOAD = 0.05


@dataclass
class PendingReaction:
    """A guest reaction still to happen (shutdown, reboot, crash...).

    The countdown only runs while the guest runs: ``since`` is the clock time
    it (re)started, None while paused; ``remaining`` is what was left then."""

    reason: str
    remaining: float
    since: float | None = None

    def deadline(self) -> float | None:
        return None if self.since is None else self.since + self.remaining


@dataclass
class DomainState:
    domid: int
    uuid: str
    name: str
    domain_type: str
    config: JSON
    static_max_kb: int          # memory/static-max (the config's max_memkb)
    target_kb: int              # memory/target (balloon target)
    current_kb: int             # what the guest holds now
    hv_max_kb: int              # Xen's max_pages limit (xc_domain_setmaxmem)
    max_vcpus: int
    online: list[int]           # vcpus Xen has up (nr_online_vcpus)
    affinity: list[list[int]]
    weight: int = 256
    cap: int = 0
    video_kb: int = 0           # HVM video RAM, outside memory/target
    pause_count: int = 1        # a new domain starts paused
    booted: bool = False        # the guest has run (PV drivers are up)
    shutdown_reason: str | None = None
    start_time: float | None = None
    vcpu_time_ns: list[int] = field(default_factory=list)
    run_since: float | None = None
    pending: PendingReaction | None = None
    control_request: str | None = None   # control/shutdown not yet acked
    last_sysrq: str | None = None
    last_trigger: str | None = None
    vm_memory_mib: int | None = None    # /vm/<uuid>/memory, set by mem-set
    disks: list[JSON] = field(default_factory=list)
    # The vcpus the toolstack made available (cpu/N/availability).  A PV or
    # HVM guest starts with vcpu 0 only and brings the others up (or down)
    # itself once it runs: ``online`` follows ``avail`` while it runs.
    avail: list[int] = field(default_factory=list)
    nics: list[JSON] = field(default_factory=list)

    @property
    def paused(self) -> bool:
        return self.pause_count > 0

    @property
    def is_running(self) -> bool:
        """Scheduled by Xen: neither paused nor shut down."""
        return not self.paused and self.shutdown_reason is None

    def load(self) -> float:
        return DOM0_LOAD if self.domid == 0 else GUEST_LOAD

    def settle(self, now: float) -> None:
        """Fold the time run since ``run_since`` into ``vcpu_time_ns``."""
        if self.run_since is not None:
            elapsed = max(0.0, now - self.run_since)
            share = int(elapsed * 1e9 * self.load())
            for vcpu in self.online:
                self.vcpu_time_ns[vcpu] += share
        self.run_since = now if self.is_running else None

    def vcpu_times(self, now: float) -> list[int]:
        times = list(self.vcpu_time_ns)
        if self.run_since is not None:
            share = int(max(0.0, now - self.run_since) * 1e9 * self.load())
            for vcpu in self.online:
                times[vcpu] += share
        return times

    def to_json(self) -> JSON:
        return asdict(self)

    @classmethod
    def from_json(cls, data: JSON) -> "DomainState":
        data = dict(data)
        pending = data.pop("pending", None)
        dom = cls(**data)
        if not dom.avail:           # state written before ``avail`` existed
            dom.avail = list(dom.online)
        dom.pending = PendingReaction(**pending) if pending else None
        return dom


@dataclass
class SimState:
    host_boot_time: float
    next_domid: int = 1
    domains: dict[int, DomainState] = field(default_factory=dict)
    console_ring: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        return {
            "version": STATE_VERSION,
            "host_boot_time": self.host_boot_time,
            "next_domid": self.next_domid,
            "domains": [d.to_json() for d in self.domains.values()],
            "console_ring": self.console_ring,
        }

    @classmethod
    def from_json(cls, data: JSON) -> "SimState":
        if data.get("version") != STATE_VERSION:
            raise StorageError(
                f"simulated hypervisor state has version "
                f"{data.get('version')!r}, expected {STATE_VERSION}")
        domains = [DomainState.from_json(d) for d in data["domains"]]
        return cls(host_boot_time=float(data["host_boot_time"]),
                   next_domid=int(data["next_domid"]),
                   domains={d.domid: d for d in domains},
                   console_ring=list(data.get("console_ring", [])))


class StateFile:
    """``hypervisor.json`` plus its lock, in ``<state_dir>/sim``."""

    def __init__(self, state_dir: str) -> None:
        self.dir = os.path.join(state_dir, "sim")
        self.path = os.path.join(self.dir, "hypervisor.json")
        self._lock: IO[Any] | None = None

    def lock(self) -> None:
        """Take the state for this process; HypervisorError if taken.

        The lock file is opened without following a symlink (refused with
        a clear error) and must be a regular file with one link, so that
        writing our pid into it can never truncate another file."""
        path = os.path.join(self.dir, "lock")
        try:
            os.makedirs(self.dir, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW |
                         os.O_CLOEXEC, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StorageError(f"simulator lock file {path} is a "
                                   "symbolic link: refusing to follow it "
                                   "(remove it)") from None
            raise StorageError(f"cannot open simulator state in {self.dir}: "
                               f"{exc.strerror}") from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.close(fd)
            raise StorageError(f"simulator lock file {path} is not a plain "
                               "file of its own (a device, or a hard link): "
                               "refusing to use it (remove it)")
        handle = os.fdopen(fd, "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise HypervisorError(
                f"simulated hypervisor state {self.dir} is in use by "
                "another process") from None
        try:            # informational only: a full disk must not stop us
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
        except OSError:
            pass
        self._lock = handle
        self.sweep()

    def unlock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def sweep(self) -> None:
        """Remove temp files of a write cut short (a crash)."""
        try:
            names = os.listdir(self.dir)
        except OSError:
            return
        for name in names:
            if name.startswith(".hypervisor."):
                try:
                    os.unlink(os.path.join(self.dir, name))
                except OSError:
                    pass

    def load(self) -> SimState | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(
                f"cannot read simulator state {self.path}: {exc}") from exc
        try:
            return SimState.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise StorageError(
                f"simulator state {self.path} is damaged: {exc}") from exc

    def save(self, state: SimState) -> None:
        text = json.dumps(state.to_json(), indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".hypervisor.", dir=self.dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            # The rename itself must reach the disk too.
            dir_fd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise StorageError(
                f"cannot write simulator state {self.path}: {exc}") from exc
