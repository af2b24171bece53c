"""The core of the simulated hypervisor: state, lock, persistence, queries.

:class:`SimCore` owns the one lock that guards the state, the state file and
its flock, the Xenstore mirror, the guest timer and the event dispatcher.
Every change runs inside :meth:`SimCore._change`, which holds the lock,
persists the state when the change succeeded and then, with the lock
released, hands the change's events to the dispatcher.  The operations live
in the mixins :mod:`.lifecycle` and :mod:`.resources`.

Display of the state flags (``xm list``): Domain-0 is shown running
(``r-----``: it is running the toolstack); a guest that is neither paused nor
shut down is shown blocked (``-b----``), which is what an idle guest looks
like on real Xen nearly all the time; deterministic output keeps tests and
demos stable.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from xenstore.store import Store, WatchEvent

from xend.errors import (DomainExists, DomainNotFound, HypervisorError,
                         InvalidArgument, InvalidState, StorageError)
from xend.hv.base import DomainEvent, DomainInfo
from xend.hv.sim import host, xs_keys
from xend.hv.sim.console import Consoles
from xend.hv.sim.guest import EventDispatcher, GuestTimer
from xend.hv.sim.reserve import SpaceReserve
from xend.hv.sim.state import DomainState, SimState, StateFile
from xend.hv.sim.validate import DOMID_FIRST_RESERVED

log = logging.getLogger(__name__)

SCHEDULERS = ("credit", "credit2", "null", "rtds", "arinc653")
# Token of the watch each simulated guest keeps on its control/shutdown.
CONTROL_TOKEN = "sim-guest-control/"


class SimCore:
    kind = "sim"

    def __init__(self, *, state_dir: str, host_memory_mib: int = 8192,
                 host_cpus: int = 4, scheduler: str = "credit",
                 dom0_memory_mib: int = 1024, store: Store | None = None,
                 clock: Callable[[], float] = time.time,
                 guest_shutdown_delay: float = 0.5,
                 on_domain_shutdown: Callable[[int], None] | None = None,
                 stream_rate_kib: int = 0,
                 ignore_shutdown: tuple[str, ...] = ()) -> None:
        if host_cpus < 1 or host_cpus > 4096:
            raise InvalidArgument(f"host_cpus {host_cpus} out of range")
        if scheduler not in SCHEDULERS:
            raise InvalidArgument(f"unknown scheduler '{scheduler}' "
                                  f"(choose from {', '.join(SCHEDULERS)})")
        reserved_mib = host.XEN_RESERVED_KB // 1024
        if dom0_memory_mib < 128 or \
                dom0_memory_mib + reserved_mib > host_memory_mib:
            raise InvalidArgument(
                f"dom0 memory {dom0_memory_mib} MiB does not fit a host of "
                f"{host_memory_mib} MiB (Xen keeps {reserved_mib} MiB)")
        if guest_shutdown_delay < 0:
            raise InvalidArgument("guest_shutdown_delay must be >= 0")
        if stream_rate_kib < 0:
            raise InvalidArgument("stream_rate_kib must be >= 0")
        self._host_cpus = host_cpus
        self._total_kb = host_memory_mib * 1024
        self._scheduler = scheduler
        self._dom0_memory_mib = dom0_memory_mib
        self._store = store
        self._clock = clock
        self._delay = guest_shutdown_delay
        # What Xen's VIRQ_DOM_EXC tells xenstored: a guest shut down or
        # crashed (xenstored then fires @releaseDomain).
        self._on_domain_shutdown = on_domain_shutdown
        # A save's pace in KiB/s (0: as fast as the stream takes it), and
        # an event set at close, so that a throttled save stops sleeping.
        self._stream_rate_kib = stream_rate_kib
        # Guests (by name) that never act on control/shutdown, as a hung
        # guest or one without PV drivers: what xendomains' watchdog is for.
        self._ignore_shutdown = frozenset(ignore_shutdown)
        self._closing = threading.Event()
        # Guests whose control/shutdown changed; the timer thread reads them.
        self._control_dirty: set[int] = set()
        self._dirty_lock = threading.Lock()
        self._lock = threading.RLock()
        self._closed = False
        self._unsaved = False
        self._events = EventDispatcher()
        self._consoles = Consoles()
        self._timer: GuestTimer | None = None
        # Domains a change may have altered: persisted when it ends.
        self._touched: set[int] = set()
        self._changing = 0      # depth of _change (under the lock)
        self._file = StateFile(state_dir)
        self._file.lock()
        self._reserve = SpaceReserve(self._file.dir)
        try:
            loaded = self._file.load()
            self._state = loaded or self._boot()
            if loaded is not None:
                self._fit_to_host()
            if store is not None:
                self._mirror_to_store()
            with self._change() as events:
                self._apply_due(self._clock(), events)
        except BaseException:
            self._file.unlock()
            raise
        self._timer = GuestTimer(self._next_deadline, clock,
                                 self.run_due_events)

    # -- set-up ------------------------------------------------------------
    def _boot(self) -> SimState:
        """A freshly booted host: only Domain-0, and Xen's boot log."""
        now = self._clock()
        mem_kb = self._dom0_memory_mib * 1024
        cpus = list(range(self._host_cpus))
        dom0 = DomainState(
            domid=0, uuid=xs_keys.DOM0_UUID, name="Domain-0",
            domain_type="pv",
            config={"c_info": {"type": "pv", "name": "Domain-0",
                               "uuid": xs_keys.DOM0_UUID},
                    "b_info": {"max_vcpus": self._host_cpus,
                               "avail_vcpus": cpus, "max_memkb": mem_kb,
                               "target_memkb": mem_kb, "type.pv": {}}},
            static_max_kb=mem_kb, target_kb=mem_kb, current_kb=mem_kb,
            hv_max_kb=mem_kb, max_vcpus=self._host_cpus, online=cpus, avail=cpus,
            affinity=[cpus] * self._host_cpus, pause_count=0, booted=True,
            memory_map=True,
            vcpu_time_ns=[0] * self._host_cpus, run_since=now)
        state = SimState(host_boot_time=now, domains={0: dom0})
        host.append_ring(state.console_ring, host.boot_log(
            host_cpus=self._host_cpus, total_kb=self._total_kb,
            scheduler=self._scheduler,
            dom0_memory_mib=self._dom0_memory_mib))
        return state

    def _fit_to_host(self) -> None:
        """State from a run with more host cpus: drop pins to cpus this
        host lacks (a vcpu left with none may run anywhere)."""
        every = list(range(self._host_cpus))
        for dom in self._state.domains.values():
            dom.affinity = [[c for c in cpus if c < self._host_cpus] or every
                            for cpus in dom.affinity]
            self._touched.add(dom.domid)

    def _mirror_to_store(self) -> None:
        """Xenstore is a mirror: rewrite keys of domains it lacks (a new
        in-memory store after a restart); a real xenstored keeps them."""
        assert self._store is not None
        store = self._store
        dom0 = self._state.domains[0]
        self._xs(lambda: xs_keys.write_dom0(store, dom0.target_kb,
                                            dom0.static_max_kb))
        if dom0.vm_memory_mib is not None:
            self._xs(lambda: xs_keys.update(store, {
                f"/vm/{dom0.uuid}/memory": str(dom0.vm_memory_mib)}))

        def rewrite(dom: DomainState) -> None:
            xs_keys.write_domain(store, dom)
            if dom.booted:
                xs_keys.guest_booted(store, dom)
            xs_keys.write_runtime(store, dom)

        for dom in self._state.domains.values():
            if dom.domid == 0:
                continue
            if store.read(f"{xs_keys.dom_path(dom.domid)}/name") is None:
                self._xs(functools.partial(rewrite, dom))
                if dom.shutdown_reason is not None:
                    self._domain_exc(dom.domid)
            self._watch_control(dom.domid)

    # -- the guest's view of control/shutdown ------------------------------
    def _watch_control(self, domid: int) -> None:
        """A PV guest watches its own control/shutdown, so the simulated
        one does too: a request written by anyone (xenstore-write, another
        toolstack) reaches it, not only the ones the simulator makes."""
        store = self._store
        if store is None:
            return
        path = f"{xs_keys.dom_path(domid)}/control/shutdown"
        self._xs(lambda: store.watch(path, f"{CONTROL_TOKEN}{domid}",
                                     self._control_changed))

    def _unwatch_control(self, domid: int) -> None:
        store = self._store
        if store is None:
            return
        path = f"{xs_keys.dom_path(domid)}/control/shutdown"
        self._xs(lambda: store.unwatch(path, f"{CONTROL_TOKEN}{domid}"))

    def _control_changed(self, event: WatchEvent) -> None:
        # Runs on the store's watch thread, or inside one of our own store
        # calls (MemoryStore): only note it; the timer thread acts on it
        # under the lock.
        tail = event.token[len(CONTROL_TOKEN):]
        if not event.token.startswith(CONTROL_TOKEN) or not tail.isdigit():
            return
        with self._dirty_lock:
            self._control_dirty.add(int(tail))
        if self._timer is not None:
            self._timer.kick()

    def _read_controls(self, domids: set[int], now: float,
                       events: list[DomainEvent]) -> None:
        """Guests whose control/shutdown changed look at it (lifecycle)."""

    def _domain_exc(self, domid: int) -> None:
        hook = self._on_domain_shutdown
        if hook is not None and self._store is not None:
            self._xs(lambda: hook(domid))

    # -- the lock, persistence and events ----------------------------------
    @contextmanager
    def _change(self) -> Iterator[list[DomainEvent]]:
        """Hold the lock for a change; persist it; then deliver events.

        Only the files of domains the change touched are written: every
        domain a change alters is looked up through :meth:`_get` (or marked
        by :meth:`_touch`), and added or removed domains show in the
        difference with the files on disk."""
        events: list[DomainEvent] = []
        with self._lock:
            if self._closed:
                raise HypervisorError("simulated hypervisor is closed")
            count = len(self._state.domains)
            self._changing += 1
            try:
                yield events
            finally:
                self._changing -= 1
            self._persist(freeing=len(self._state.domains) < count)
        if self._timer is not None:
            self._timer.kick()
        if events:
            self._events.emit(events)

    def _touch(self, dom: DomainState) -> None:
        """Note that the current change may alter ``dom``."""
        self._touched.add(dom.domid)

    def _persist(self, freeing: bool = False) -> None:
        """Write the files of what changed; a failure (a full disk) never
        fails the change.

        The files stand for the hypervisor's memory, and Xen does not
        refuse to destroy a domain because a disk is full: on a full disk a
        *freeing* change (one that removed a domain, or the last write at
        close) may give up the space reserve for the write; failing even
        so, the change stands in memory (its domains stay marked), a
        warning is logged once, and every later change (and close) tries
        again."""
        touched = self._touched | (self._state.domains.keys()
                                   ^ self._file.domids())
        try:
            try:
                self._file.save_changes(self._state, touched)
            except StorageError:
                if not (freeing and self._reserve.give_up()):
                    raise
                self._file.save_changes(self._state, touched)
        except StorageError as exc:
            self._touched = touched
            if not self._unsaved:
                log.warning("simulator: %s; the state is kept in memory and "
                            "written with the next change", exc)
            self._unsaved = True
            return
        self._touched = set()
        if self._unsaved:
            log.warning("simulator: state written again to %s",
                        self._file.dir)
        self._unsaved = False
        self._reserve.take()

    def _xs(self, action: Callable[[], None]) -> Exception | None:
        """A Xenstore update; failures are logged (the state is the truth)."""
        if self._store is None:
            return None
        error = xs_keys.guarded(action)
        if error is not None:
            log.warning("simulator: Xenstore update failed: %s", error)
        return error

    def _log_xen(self, *lines: str) -> None:
        host.append_ring(self._state.console_ring, list(lines))

    # -- lookups -----------------------------------------------------------
    def _get(self, domid: int) -> DomainState:
        dom = self._state.domains.get(domid) if isinstance(domid, int) \
            else None
        if dom is None:
            raise DomainNotFound(domid)
        if self._changing:
            self._touched.add(domid)
        return dom

    def _guest(self, domid: int, what: str) -> DomainState:
        """A domain other than Domain-0 (which cannot be e.g. destroyed)."""
        dom = self._get(domid)
        if dom.domid == 0:
            raise InvalidArgument(f"cannot {what} Domain-0")
        return dom

    def _live(self, domid: int, what: str) -> DomainState:
        """A guest that has not shut down."""
        dom = self._guest(domid, what)
        if dom.shutdown_reason is not None:
            raise InvalidState(
                f"cannot {what} domain {domid}: it has shut down "
                f"({dom.shutdown_reason})")
        return dom

    def _used_kb(self) -> int:
        return sum(d.current_kb for d in self._state.domains.values())

    def _free_kb(self) -> int:
        return max(0, self._total_kb - host.XEN_RESERVED_KB
                   - self._used_kb())

    def _check_name(self, name: str, domid: int | None = None) -> None:
        for dom in self._state.domains.values():
            if dom.name == name and dom.domid != domid:
                # libxl__domain_rename's wording (create goes through it).
                raise DomainExists(
                    f'Domain with name "{name}" already exists.')

    def _alloc_domid(self, wanted: int | None) -> int:
        domains = self._state.domains
        if wanted is not None:
            if wanted in domains:
                raise HypervisorError(
                    f"domain id {wanted} is already in use")
            return wanted
        # Xen's rover: increasing ids, wrapping below the reserved range,
        # so a destroyed domain's id is not reused soon.
        candidate = self._state.next_domid
        for _ in range(DOMID_FIRST_RESERVED):
            if candidate >= DOMID_FIRST_RESERVED:
                candidate = 1
            if candidate not in domains:
                self._state.next_domid = candidate + 1
                return candidate
            candidate += 1
        raise HypervisorError("no free domain id")

    # -- guest reactions -------------------------------------------------
    def _next_deadline(self) -> float | None:
        with self._dirty_lock:
            if self._control_dirty:
                return self._clock()
        with self._lock:
            deadlines = [d.pending.deadline()
                         for d in self._state.domains.values()
                         if d.pending is not None and d.is_running]
        known = [d for d in deadlines if d is not None]
        return min(known) if known else None

    def run_due_events(self) -> None:
        """Apply guest reactions that are due by the clock (sim only; the
        timer thread calls it too)."""
        with self._lock:    # emit() only queues, so holding it is fine
            with self._dirty_lock:
                dirty, self._control_dirty = self._control_dirty, set()
            if self._closed or not (dirty or self._due(self._clock())):
                return      # nothing changes: no needless state write
            with self._change() as events:
                self._read_controls(dirty, self._clock(), events)
                self._apply_due(self._clock(), events)

    def _due(self, now: float) -> list[DomainState]:
        due = []
        for dom in self._state.domains.values():
            pending = dom.pending
            if pending is None or not dom.is_running:
                continue
            deadline = pending.deadline()
            if deadline is not None and deadline <= now:
                due.append(dom)
        return due

    def _apply_due(self, now: float, events: list[DomainEvent]) -> None:
        for dom in self._due(now):
            assert dom.pending is not None
            self._enter_shutdown(dom, dom.pending.reason, now, events)

    def _enter_shutdown(self, dom: DomainState, reason: str, now: float,
                        events: list[DomainEvent]) -> None:
        self._touch(dom)
        dom.settle(now)
        dom.shutdown_reason = reason
        dom.pending = None
        dom.control_request = None
        dom.settle(now)
        self._domain_exc(dom.domid)
        if reason == "crash":
            self._log_xen(f"(XEN) domain_crash called for d{dom.domid}",
                          f"(XEN) Domain {dom.domid} (vcpu#0) crashed on "
                          f"cpu#{dom.affinity[0][0]}:")
        events.append(DomainEvent("shutdown", dom.domid, dom.uuid, reason))

    # -- queries -----------------------------------------------------------
    def _info(self, dom: DomainState, now: float) -> DomainInfo:
        paused = dom.pause_count > 0
        running = not paused and dom.shutdown_reason is None
        return DomainInfo(
            domid=dom.domid, uuid=dom.uuid, name=dom.name,
            running=dom.domid == 0 and running,
            blocked=dom.domid != 0 and running,
            paused=paused, shutdown=dom.shutdown_reason is not None,
            dying=False, shutdown_reason=dom.shutdown_reason,
            current_memkb=dom.current_kb, target_memkb=dom.target_kb,
            max_memkb=dom.hv_max_kb, cpu_time_ns=dom.cpu_time(now),
            vcpu_max=dom.max_vcpus, vcpu_online=len(dom.online),
            domain_type=dom.domain_type, start_time=dom.start_time)

    def list_domains(self) -> list[DomainInfo]:
        with self._lock:
            now = self._clock()
            return [self._info(d, now) for _, d in
                    sorted(self._state.domains.items())]

    def domain_info(self, domid: int) -> DomainInfo:
        with self._lock:
            return self._info(self._get(domid), self._clock())

    # -- events and shutdown of the simulator ------------------------------
    def watch_events(self, callback: Callable[[DomainEvent], None]) -> None:
        self._events.set_callback(callback)

    def flush_events(self, timeout: float = 5.0) -> bool:
        """Wait until queued events reached the callback (sim only)."""
        return self._events.flush(timeout)

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            if self._closed:
                return
            now = self._clock()
            for dom in self._state.domains.values():
                dom.settle(now)
                self._touch(dom)
            self._persist(freeing=True)
            self._closed = True
        if self._timer is not None:
            self._timer.stop()
        self._events.flush(2.0)
        self._events.stop()
        self._consoles.close()
        self._file.unlock()

