"""The simulated hypervisor's state and its JSON files.

Everything the simulator knows lives in one :class:`SimState`: the domains
(with their config, memory, vcpus, scheduler parameters, devices, cpu-time
accounting and any pending guest reaction), the next domid, the host's boot
time and the Xen console ring.  It is kept in ``<state_dir>/sim``: one file
per domain (``domains/<domid>.json``) and one for the host
(``host.json``: boot time, next domid, console ring).  After every change
only the files whose text changed are replaced, each atomically (temp file,
fsync, rename, then the directory synced), so a change costs the same with
1,000 domains as with 10 and a new :class:`~xend.hv.sim.SimHypervisor` on
the same directory finds the domains still "running".  A crash between two
files of one change leaves each file whole: a domain is there or not, and a
stale ``next_domid`` only makes the id rover skip ids in use.  The earlier
single file, ``hypervisor.json``, is moved to this layout when found.
A lock file held with ``flock`` keeps a second process off the same state.

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
from typing import IO, Any, KeysView

from xend.errors import HypervisorError, StorageError
from xend.hv.base import JSON

STATE_VERSION = 2
# The single-file layout (hypervisor.json) of earlier versions.
LEGACY_VERSION = 1
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
    # The guest's memory map is set up (its kernel ran, or a restore
    # brought it): what a core dump walks (see xend.hv.dumpable).
    memory_map: bool = False
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
    # The TCP port of the device model's VNC server (console/vnc-port),
    # None without one (see xend.hv.sim.display).
    vnc_port: int | None = None

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

    def cpu_time(self, now: float) -> int:
        """The sum of :meth:`vcpu_times` (without building the list)."""
        total = sum(self.vcpu_time_ns)
        if self.run_since is not None:
            share = int(max(0.0, now - self.run_since) * 1e9 * self.load())
            total += share * len(self.online)
        return total

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
        if "memory_map" not in data:    # nor before ``memory_map``
            dom.memory_map = dom.booted or sum(dom.vcpu_time_ns) > 0
        dom.pending = PendingReaction(**pending) if pending else None
        return dom


@dataclass
class SimState:
    host_boot_time: float
    next_domid: int = 1
    domains: dict[int, DomainState] = field(default_factory=dict)
    console_ring: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: JSON) -> "SimState":
        """The state from the host's fields plus ``domains``, a list of
        domain objects (the version is checked by the caller)."""
        domains = [DomainState.from_json(d) for d in data["domains"]]
        return cls(host_boot_time=float(data["host_boot_time"]),
                   next_domid=int(data["next_domid"]),
                   domains={d.domid: d for d in domains},
                   console_ring=list(data.get("console_ring", [])))


class StateFile:
    """The state's files plus their lock, in ``<state_dir>/sim``."""

    def __init__(self, state_dir: str) -> None:
        self.state_dir = state_dir
        self.dir = os.path.join(state_dir, "sim")
        self.host_path = os.path.join(self.dir, "host.json")
        self.domains_dir = os.path.join(self.dir, "domains")
        self.legacy_path = os.path.join(self.dir, "hypervisor.json")
        self._lock: IO[Any] | None = None
        # The text last written (or read) of each domain's file and of the
        # host file: unchanged files are not written again.
        self._written: dict[int, str] = {}
        self._written_host: str | None = None

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
        """Remove temp files of a write cut short (a crash): the host file's
        (and those of the old single-file layout)."""
        try:
            names = os.listdir(self.dir)
        except OSError:
            return
        for name in names:
            if name.startswith((".hypervisor.", ".tmp-")):
                try:
                    os.unlink(os.path.join(self.dir, name))
                except OSError:
                    pass

    # -- the state on disk ---------------------------------------------------
    def load(self) -> SimState | None:
        """The saved state, or None on a fresh directory.  A state in the
        old single-file layout (``hypervisor.json``) is moved to the
        per-domain layout."""
        host = self._read(self.host_path)
        if host is None:
            legacy = self._read(self.legacy_path)
            if legacy is None:
                return None
            state = self._parse(self.legacy_path, legacy, LEGACY_VERSION)
            self.save(state)
            try:
                os.unlink(self.legacy_path)
            except OSError as exc:
                raise StorageError(f"cannot remove {self.legacy_path}: "
                                   f"{exc.strerror}") from exc
            return state
        state = self._parse(self.host_path, dict(host, domains=[]),
                            STATE_VERSION)
        for name in self._domain_files():
            path = os.path.join(self.domains_dir, name)
            data = self._read(path)
            if data is None:
                continue
            try:
                dom = DomainState.from_json(data)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise StorageError(
                    f"simulator state {path} is damaged: {exc}") from exc
            if f"{dom.domid}.json" != name:
                raise StorageError(f"simulator state {path} is damaged: it "
                                   f"holds domain {dom.domid}")
            state.domains[dom.domid] = dom
        self._written = {domid: _text(dom.to_json())
                         for domid, dom in state.domains.items()}
        self._written_host = _text(_host_json(state))
        return state

    def _domain_files(self) -> list[str]:
        """Names of the domain files; leftover temp files of a crashed
        write are removed."""
        try:
            names = os.listdir(self.domains_dir)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot read simulator state "
                               f"{self.domains_dir}: {exc.strerror}") from exc
        files = []
        for name in sorted(names):
            if name.startswith(".tmp-"):
                try:
                    os.unlink(os.path.join(self.domains_dir, name))
                except OSError:
                    pass
            elif name.endswith(".json") and name[:-5].isdigit():
                files.append(name)
        return files

    @staticmethod
    def _read(path: str) -> Any:
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StorageError(
                f"cannot read simulator state {path}: {exc}") from exc

    @staticmethod
    def _parse(path: str, data: Any, version: int) -> SimState:
        if not isinstance(data, dict):
            raise StorageError(f"simulator state {path} is damaged: "
                               "not a JSON object")
        if data.get("version") != version:
            raise StorageError(
                f"simulated hypervisor state {path} has version "
                f"{data.get('version')!r}, expected {version}")
        try:
            return SimState.from_json(data)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StorageError(
                f"simulator state {path} is damaged: {exc}") from exc

    def domids(self) -> KeysView[int]:
        """The domains whose files this object wrote or read."""
        return self._written.keys()

    def save(self, state: SimState) -> None:
        """Bring every file up to date with ``state``."""
        on_disk = {int(name[:-5]) for name in self._domain_files()}
        self.save_changes(state, set(state.domains) | on_disk
                          | set(self._written))

    def save_changes(self, state: SimState, domids: set[int]) -> None:
        """Write the files of the domains in ``domids`` (remove those of
        domains that are gone) and the host file, each only if its text
        changed.  Each file is replaced atomically (temp, fsync, rename)
        and the directory synced once after the renames."""
        try:
            os.makedirs(self.domains_dir, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot write simulator state "
                               f"{self.domains_dir}: {exc.strerror}") from exc
        domains_changed = False
        for domid in sorted(domids):
            path = os.path.join(self.domains_dir, f"{domid}.json")
            dom = state.domains.get(domid)
            if dom is None:
                if domid in self._written or os.path.lexists(path):
                    _remove(path)
                    self._written.pop(domid, None)
                    domains_changed = True
                continue
            text = _text(dom.to_json())
            if self._written.get(domid) != text:
                _replace(path, text)
                self._written[domid] = text
                domains_changed = True
        if domains_changed:
            _sync_dir(self.domains_dir)
        host = _text(_host_json(state))
        if host != self._written_host:
            _replace(self.host_path, host)
            _sync_dir(self.dir)
            self._written_host = host


def disk_differences(memory: SimState, disk: SimState) -> list[str]:
    """What differs between two states (a state in memory and the one read
    back from its files): the host's fields and each domain's."""
    out = []
    if _host_json(memory) != _host_json(disk):
        out.append("host")
    for domid in sorted(memory.domains.keys() | disk.domains.keys()):
        mine, theirs = memory.domains.get(domid), disk.domains.get(domid)
        if mine is None or theirs is None or \
                _text(mine.to_json()) != _text(theirs.to_json()):
            out.append(f"domain {domid}")
    return out


def _host_json(state: SimState) -> JSON:
    return {"version": STATE_VERSION,
            "host_boot_time": state.host_boot_time,
            "next_domid": state.next_domid,
            "console_ring": state.console_ring}


def _text(data: JSON) -> str:
    return json.dumps(data, indent=1, sort_keys=True)


def _replace(path: str, text: str) -> None:
    """Replace ``path`` by a file holding ``text``: temp file, fsync,
    rename (the caller syncs the directory)."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise StorageError(
            f"cannot write simulator state {path}: {exc}") from exc


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StorageError(
            f"cannot remove simulator state {path}: {exc}") from exc


def _sync_dir(directory: str) -> None:
    """Make the renames and removals in ``directory`` reach the disk."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise StorageError(
            f"cannot sync simulator state {directory}: {exc}") from exc
