"""Domain lifecycle for the simulator: create, destroy, pause, shutdown...

Guests behave like PV guests with PV drivers: ``shutdown`` writes
``control/shutdown``; a running guest acknowledges at once and powers off
(or reboots) ``guest_shutdown_delay`` seconds later; a paused guest, or one
that has never run, reacts only once unpaused.  ``send_trigger`` follows Xen
4.17's XEN_DOMCTL_sendtrigger: ``nmi`` works for every guest; ``power`` and
``sleep`` only for HVM/PVH guests (EINVAL otherwise); ``init`` and ``reset``
are not implemented by Xen on x86 (ENOSYS -> NotSupported); ``s3resume`` is
HVM only.  A sysrq reaches a running guest's kernel: ``b`` reboots, ``o``
powers off and ``c`` crashes it, as Linux does.

Sim-only extras: :meth:`LifecycleOps.inject_crash`; guests named in
``ignore_shutdown`` (xend's ``sim-ignore-shutdown``) never act on
``control/shutdown`` (a hung guest, or one without PV drivers), though a
sysrq or ``destroy`` still works.
"""

from __future__ import annotations

import copy
import os

from xend.errors import (HypervisorError, InvalidArgument, InvalidState,
                         NotEnoughMemory, NotSupported)
from xend.hv.base import JSON, DomainEvent
from xend.hv.sim import xs_keys
from xend.hv.sim.core import SimCore
from xend.hv.sim.display import choose_port, vnc_settings
from xend.hv.sim.state import DomainState, PendingReaction
from xend.hv.sim.validate import (DomainPlan, check_boot_files, need_memkb,
                                  validate_config)

TRIGGERS = ("power", "sleep", "nmi", "init", "reset", "s3resume")
# What a Linux PV guest does with a control/shutdown it reads (drivers/xen/
# manage.c): "halt" powers off too.  Anything else is left unacknowledged;
# "suspend" belongs to save, which the simulator runs itself.
GUEST_COMMANDS = {"poweroff": "poweroff", "halt": "poweroff",
                  "reboot": "reboot"}
SYSRQ_REACTIONS = {"b": "reboot", "o": "poweroff", "c": "crash"}


def new_mac(taken: set[str]) -> str:
    """A random MAC in Xen's 00:16:3e OUI, as libxl generates one."""
    while True:
        tail = os.urandom(3)
        mac = "00:16:3e:" + ":".join(f"{b:02x}" for b in (
            tail[0] & 0x7F, tail[1], tail[2]))
        if mac not in taken:
            return mac


def assign_nic(nics: list[JSON], nic: JSON) -> JSON:
    """libxl's nic defaults: devid = highest in use + 1, a fresh MAC."""
    used = {int(n["devid"]) for n in nics}
    if "devid" in nic:
        if int(nic["devid"]) in used:
            raise InvalidArgument(f"nic devid {nic['devid']} already in use")
    else:
        nic["devid"] = max(used) + 1 if used else 0
    macs = {str(n["mac"]) for n in nics}
    if "mac" not in nic:
        nic["mac"] = new_mac(macs)
    elif nic["mac"] in macs:
        raise InvalidArgument(f"mac address {nic['mac']} already in use")
    return nic


class LifecycleOps(SimCore):
    # -- creation ----------------------------------------------------------
    def _new_domain(self, plan: DomainPlan, now: float) -> DomainState:
        """Check a validated plan against the host and make its domain
        (not yet registered).  Caller holds the lock."""
        # Names are unique; uuids are not (libxl checks none: a localhost
        # migration runs two domains with one uuid until the commit).
        self._check_name(plan.name)
        need = need_memkb(plan.domain_type, plan.target_memkb,
                          plan.shadow_memkb)
        if need > self._free_kb():
            raise NotEnoughMemory(
                f"failed to free memory for the domain (needs {need} KiB, "
                f"{self._free_kb()} KiB free)")
        nics: list[JSON] = []
        for nic in plan.nics:
            nics.append(assign_nic(nics, nic))
        config = plan.config
        vnc = vnc_settings(config)
        vnc_port = None if vnc is None else choose_port(
            vnc, (d.vnc_port for d in self._state.domains.values()
                  if d.vnc_port is not None))
        domid = self._alloc_domid(plan.domid)
        config["disks"], config["nics"] = plan.disks, nics
        # libxl_dom.c: memory/target leaves out the video RAM and, for an
        # HVM guest started below its maximum, LIBXL_MAXMEM_CONSTANT.
        fudge = plan.video_memkb + (
            1024 if plan.domain_type == "hvm"
            and plan.max_memkb > plan.target_memkb else 0)
        return DomainState(
            domid=domid, uuid=plan.uuid, name=plan.name,
            domain_type=plan.domain_type, config=config,
            static_max_kb=plan.max_memkb,
            target_kb=max(0, plan.target_memkb - fudge),
            current_kb=plan.target_memkb, video_kb=plan.video_memkb,
            # libxl__build_pre: xc_domain_setmaxmem(target + 1 MiB slack).
            hv_max_kb=plan.target_memkb + 1024, max_vcpus=plan.max_vcpus,
            online=[0], avail=list(plan.online), affinity=plan.affinity, weight=plan.weight,
            cap=plan.cap, pause_count=1, start_time=now,
            vcpu_time_ns=[0] * plan.max_vcpus, disks=plan.disks, nics=nics,
            vnc_port=vnc_port)

    def _register(self, dom: DomainState) -> None:
        """Add the domain and write its Xenstore keys, or undo it all."""
        self._state.domains[dom.domid] = dom
        if self._store is None:
            return
        store = self._store
        error = self._xs(lambda: xs_keys.write_domain(store, dom))
        if error is not None:
            del self._state.domains[dom.domid]
            self._xs(lambda: xs_keys.remove_domain(store, dom))
            raise HypervisorError(
                f"cannot write the domain's Xenstore keys: {error}")
        self._watch_control(dom.domid)

    def create(self, config: JSON) -> int:
        plan = validate_config(config, self._host_cpus)
        check_boot_files(plan.config)
        with self._change():
            dom = self._new_domain(plan, self._clock())
            self._register(dom)
            return dom.domid

    def domain_config(self, domid: int) -> JSON:
        """The stored config with the live values libxl merges in
        (libxl_retrieve_domain_configuration): name, memory, vcpus,
        devices."""
        with self._lock:
            dom = self._get(domid)
            config = copy.deepcopy(dom.config)
            config["c_info"]["name"] = dom.name
            b_info = config["b_info"]
            # libxl_retrieve_domain_configuration adds the video RAM back.
            b_info["target_memkb"] = dom.target_kb + dom.video_kb
            b_info["max_memkb"] = dom.static_max_kb
            b_info["avail_vcpus"] = list(dom.avail)
            b_info["vcpu_hard_affinity"] = [list(a) for a in dom.affinity]
            b_info.setdefault("sched_params", {}).update(
                {"weight": dom.weight, "cap": dom.cap})
            config["disks"] = copy.deepcopy(dom.disks)
            config["nics"] = copy.deepcopy(dom.nics)
            return config

    def destroy(self, domid: int) -> None:
        with self._change() as events:
            dom = self._guest(domid, "destroy")
            del self._state.domains[domid]
            if self._store is not None:
                store = self._store
                self._unwatch_control(domid)
                self._xs(lambda: xs_keys.remove_domain(store, dom))
            self._consoles.release(domid)
            events.append(DomainEvent("death", domid, dom.uuid))

    # -- pause -------------------------------------------------------------
    def pause(self, domid: int) -> None:
        with self._change():
            dom = self._guest(domid, "pause")
            if dom.pause_count >= 255:     # Xen's controller pause limit
                raise HypervisorError(
                    f"pausing domain {domid}: Value too large")
            now = self._clock()
            dom.settle(now)
            dom.pause_count += 1
            dom.settle(now)
            pending = dom.pending
            if pending is not None and pending.since is not None:
                pending.remaining -= max(0.0, now - pending.since)
                pending.since = None

    def unpause(self, domid: int) -> None:
        with self._change() as events:
            dom = self._guest(domid, "unpause")
            if not dom.paused:
                # Xen refuses to unpause a domain it did not pause (EINVAL).
                raise InvalidState(f"domain {domid} is not paused")
            now = self._clock()
            dom.settle(now)
            dom.pause_count -= 1
            dom.settle(now)
            if dom.is_running:
                self._guest_runs(dom, now, events)

    def _guest_runs(self, dom: DomainState, now: float,
                    events: list[DomainEvent]) -> None:
        """The guest got the cpu: it boots (once), brings its available
        vcpus up (or down) and looks at requests."""
        if dom.online != dom.avail:
            dom.settle(now)
            dom.online = list(dom.avail)
        dom.memory_map = True
        if not dom.booted:
            dom.booted = True
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.guest_booted(store, dom))
        pending = dom.pending
        if pending is not None and pending.since is None:
            pending.since = now
            if pending.remaining <= 0:      # e.g. a sysrq while paused
                self._enter_shutdown(dom, pending.reason, now, events)
                return
        self._guest_acks(dom, now, events)

    def _guest_acks(self, dom: DomainState, now: float,
                    events: list[DomainEvent]) -> None:
        """A running guest sees control/shutdown, clears it, and schedules
        its power-off or reboot."""
        request = dom.control_request
        if request is None or not dom.is_running or not dom.booted:
            return
        if dom.name in self._ignore_shutdown:
            return              # never reads it: the request stays written
        dom.control_request = None
        self._write_control(dom, "")
        self._react(dom, request, self._delay, now, events)

    def _react(self, dom: DomainState, reason: str, delay: float,
               now: float, events: list[DomainEvent]) -> None:
        """Schedule a guest reaction; one due now happens at once."""
        running = dom.is_running and dom.booted
        if delay <= 0 and running:
            self._enter_shutdown(dom, reason, now, events)
            return
        dom.pending = PendingReaction(reason=reason, remaining=delay,
                                      since=now if running else None)

    def _read_controls(self, domids: set[int], now: float,
                       events: list[DomainEvent]) -> None:
        """Someone wrote control/shutdown of these guests: a running guest
        reads it and acts on a command it knows, as a PV guest does."""
        store = self._store
        if store is None:
            return
        for domid in sorted(domids):
            dom = self._state.domains.get(domid)
            if dom is None or domid == 0 or dom.shutdown_reason is not None \
                    or dom.pending is not None:
                continue            # gone, or already on its way down
            self._touch(dom)
            path = f"{xs_keys.dom_path(domid)}/control/shutdown"
            seen: list[str | None] = []
            if self._xs(lambda: seen.append(store.read(path))) is not None:
                continue
            reason = GUEST_COMMANDS.get(seen[0] or "")
            if reason is not None:
                # A paused guest reads it when it runs again (_guest_runs).
                dom.control_request = reason
                self._guest_acks(dom, now, events)

    def _write_control(self, dom: DomainState, value: str) -> None:
        store = self._store
        if store is not None:
            path = f"{xs_keys.dom_path(dom.domid)}/control/shutdown"
            self._xs(lambda: xs_keys.update(store, {path: value}))

    # -- shutdown, triggers, sysrq, crash --------------------------------
    def shutdown(self, domid: int, reboot: bool = False) -> None:
        with self._change() as events:
            dom = self._live(domid, "shut down")
            request = "reboot" if reboot else "poweroff"
            dom.control_request = request
            self._write_control(dom, request)
            self._guest_acks(dom, self._clock(), events)

    def send_trigger(self, domid: int, trigger: str, vcpu: int = 0) -> None:
        if trigger not in TRIGGERS:
            raise InvalidArgument(
                f"Invalid trigger '{trigger}' (one of: {', '.join(TRIGGERS)})")
        with self._change() as events:
            dom = self._guest(domid, "send a trigger to")
            if not isinstance(vcpu, int) or not 0 <= vcpu < dom.max_vcpus:
                raise InvalidArgument(f"Send trigger '{trigger}' failed: "
                                      f"vcpu {vcpu} does not exist")
            if trigger in ("init", "reset"):
                raise NotSupported(f"Send trigger '{trigger}' failed: "
                                   "Function not implemented")
            hvm_like = dom.domain_type in ("hvm", "pvh")
            if trigger != "nmi" and not hvm_like or \
                    trigger == "s3resume" and dom.domain_type != "hvm":
                raise HypervisorError(f"Send trigger '{trigger}' failed: "
                                      "Invalid argument (HVM guests only)")
            dom.last_trigger = trigger
            if trigger == "power" and dom.domain_type == "hvm" \
                    and dom.shutdown_reason is None:
                # The guest OS handles the ACPI power button like a request.
                dom.control_request = "poweroff"
                self._guest_acks(dom, self._clock(), events)

    def send_sysrq(self, domid: int, key: str) -> None:
        if not isinstance(key, str) or len(key) != 1:
            raise InvalidArgument(f"invalid sysrq key {key!r}")
        with self._change() as events:
            dom = self._guest(domid, "send a sysrq to")
            dom.last_sysrq = key
            store = self._store
            if store is not None:
                path = f"{xs_keys.dom_path(domid)}/control/sysrq"
                self._xs(lambda: xs_keys.update(store, {path: key}))
            reason = SYSRQ_REACTIONS.get(key)
            if reason is not None and dom.shutdown_reason is None:
                self._react(dom, reason, 0.0, self._clock(), events)

    def inject_crash(self, domid: int) -> None:
        """Sim only: the guest crashes now (shutdown reason crash)."""
        with self._change() as events:
            dom = self._live(domid, "crash")
            self._enter_shutdown(dom, "crash", self._clock(), events)

    def rename(self, domid: int, new_name: str) -> None:
        if not isinstance(new_name, str) or not new_name:
            raise InvalidArgument("the new name must not be empty")
        with self._change():
            dom = self._guest(domid, "rename")
            self._check_name(new_name, domid)
            dom.name = new_name
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.rename(store, dom))

