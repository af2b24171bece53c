"""Save, resume and restore for the simulator.

``save`` streams the image of :mod:`.saveimage`: the domain's record, then
its memory in the rounds of :mod:`.pages`.  Without ``live`` it first asks
the guest to suspend (``control/shutdown`` = ``suspend``, as libxl does for
PV guests), which leaves the domain shut down with reason ``suspend``
(``---s--``, one "shutdown" event), and sends one round of every page.  With
``live`` the guest keeps running while round 0 and the shrinking dirty
rounds are sent, and is suspended the same way only before the final round;
a guest destroyed or shut down meanwhile fails the save, one left running.
The rounds are written outside the lock (it is taken only to check on and
suspend the domain between them), so a slow stream -- a migration peer, or
the ``stream_rate_kib`` throttle -- never blocks ``xm list``.  If writing
fails after the suspension the domain stays suspended and the caller
resumes or destroys it, as xl does.

``restore`` reads and verifies the image first (version 1 images too), then
creates a new paused domain from the caller's config with the saved runtime
state (online vcpus, pinning, scheduler parameters, memory target); like
any new domain on Xen, its cpu time starts from zero.
"""

from __future__ import annotations

from typing import BinaryIO

from xend.errors import DomainNotFound, InvalidState
from xend.hv.base import JSON, DomainEvent, SaveProgress
from xend.hv.sim import saveimage, xs_keys
from xend.hv.sim.lifecycle import LifecycleOps
from xend.hv.sim.pages import page_count, plan_rounds
from xend.hv.sim.savestream import SaveSender
from xend.hv.sim.state import DomainState
from xend.hv.sim.validate import validate_config


class SaveRestoreOps(LifecycleOps):
    def save(self, domid: int, stream: BinaryIO, live: bool = False,
             progress: SaveProgress | None = None) -> None:
        with self._change() as events:
            dom = self._live(domid, "save")
            uuid, count = dom.uuid, page_count(dom.current_kb)
            runtime = self._save_record(dom, live)
            config = self.domain_config(domid)
            if not live:
                self._suspend_for_save(dom, events)
        rounds = plan_rounds(count, live)
        sender = SaveSender(
            stream, uuid=uuid, pages=count, rounds=rounds,
            record=saveimage.encode_record(runtime, config),
            progress=progress, rate_kib=self._stream_rate_kib,
            stop=self._closing)
        sender.begin()
        for round_ in rounds:
            if live:
                self._check_still_saving(domid, uuid, round_.final)
            sender.send_round(round_)
        sender.finish()

    def _save_record(self, dom: DomainState, live: bool) -> JSON:
        now = self._clock()
        dom.settle(now)
        return {
            "uuid": dom.uuid, "name": dom.name,
            "domain_type": dom.domain_type,
            "vcpu_time_ns": list(dom.vcpu_time_ns),
            "online": list(dom.online),
            "affinity": [list(a) for a in dom.affinity],
            "weight": dom.weight, "cap": dom.cap,
            "target_kb": dom.target_kb, "live": bool(live),
            "pages": page_count(dom.current_kb),
            "saved_at": now,
        }

    def _suspend_for_save(self, dom: DomainState,
                          events: list[DomainEvent]) -> None:
        self._write_control(dom, "suspend")
        # The guest acknowledges and suspends itself.
        self._write_control(dom, "")
        self._enter_shutdown(dom, "suspend", self._clock(), events)

    def _check_still_saving(self, domid: int, uuid: str,
                            suspend: bool) -> None:
        """Between the rounds of a live save: the domain must still be
        there and running (the pages of a destroyed or crashed guest
        cannot be sent); before the final round it is suspended."""
        if not suspend:
            with self._lock:
                self._same_domain(domid, uuid)
            return
        with self._change() as events:
            self._suspend_for_save(self._same_domain(domid, uuid), events)

    def _same_domain(self, domid: int, uuid: str) -> DomainState:
        dom = self._live(domid, "save")
        if dom.uuid != uuid:
            raise DomainNotFound(domid)
        return dom

    def resume(self, domid: int) -> None:
        with self._change():
            dom = self._guest(domid, "resume")
            if dom.shutdown_reason != "suspend":
                raise InvalidState(f"domain {domid} is not suspended")
            now = self._clock()
            dom.shutdown_reason = None
            dom.settle(now)
            store = self._store
            if store is not None:
                # libxl__domain_resume: xs_resume_domain, so that the next
                # shutdown fires @releaseDomain again.
                self._xs(lambda: xs_keys.resume_domain(store, domid))

    def restore(self, config: JSON, stream: BinaryIO) -> int:
        runtime, _saved_config = saveimage.read_image(stream)
        plan = validate_config(config, self._host_cpus)
        with self._change():
            # A new domain to Xen: its cpu time starts from zero (the
            # image's vcpu_time_ns is informational).
            dom = self._new_domain(plan, self._clock())
            online = [v for v in runtime.get("online", [])
                      if isinstance(v, int) and 0 <= v < dom.max_vcpus]
            if online:
                dom.online = sorted(set(online))
            affinity = runtime.get("affinity")
            if isinstance(affinity, list) and \
                    len(affinity) == dom.max_vcpus and all(
                        isinstance(a, list) and a and all(
                            isinstance(c, int) and 0 <= c < self._host_cpus
                            for c in a) for a in affinity):
                dom.affinity = [sorted(set(a)) for a in affinity]
            weight, cap = runtime.get("weight"), runtime.get("cap")
            if isinstance(weight, int) and 1 <= weight <= 65535:
                dom.weight = weight
            if isinstance(cap, int) and 0 <= cap <= dom.max_vcpus * 100:
                dom.cap = cap
            target = runtime.get("target_kb")
            if isinstance(target, int) and 0 < target <= dom.static_max_kb \
                    and target + dom.video_kb - dom.current_kb \
                    <= self._free_kb():
                dom.target_kb = target
                dom.current_kb = target + dom.video_kb
                dom.hv_max_kb = dom.current_kb + 1024
            # The saved guest already runs its PV drivers; it reconnects
            # its devices when it is unpaused.
            dom.booted = False
            dom.memory_map = True
            self._register(dom)
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.write_vcpus(store, dom))
            return dom.domid
