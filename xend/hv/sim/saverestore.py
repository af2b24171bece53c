"""Save, resume and restore for the simulator.

``save`` asks the guest to suspend (``control/shutdown`` = ``suspend``, as
libxl does for PV guests), leaves the domain shut down with reason
``suspend`` (``---s--``, one "shutdown" event) and writes the image of
:mod:`.saveimage` to the caller's stream -- outside the lock, so a slow
stream (a migration peer) never blocks ``xm list``.  If writing fails the
domain stays suspended and the caller resumes or destroys it, as xl does.

``restore`` reads and verifies the image first, then creates a new paused
domain from the caller's config with the saved runtime state (online
vcpus, pinning, scheduler parameters, memory target); like any new domain
on Xen, its cpu time starts from zero.
"""

from __future__ import annotations

from typing import BinaryIO

from xend.errors import InvalidState
from xend.hv.base import JSON
from xend.hv.sim import saveimage, xs_keys
from xend.hv.sim.lifecycle import LifecycleOps
from xend.hv.sim.validate import validate_config


class SaveRestoreOps(LifecycleOps):
    def save(self, domid: int, stream: BinaryIO, live: bool = False) -> None:
        with self._change() as events:
            dom = self._live(domid, "save")
            now = self._clock()
            dom.settle(now)
            runtime: JSON = {
                "uuid": dom.uuid, "name": dom.name,
                "domain_type": dom.domain_type,
                "vcpu_time_ns": list(dom.vcpu_time_ns),
                "online": list(dom.online),
                "affinity": [list(a) for a in dom.affinity],
                "weight": dom.weight, "cap": dom.cap,
                "target_kb": dom.target_kb, "live": bool(live),
                "saved_at": now,
            }
            config = self.domain_config(domid)
            self._write_control(dom, "suspend")
            # The guest acknowledges and suspends itself.
            self._write_control(dom, "")
            self._enter_shutdown(dom, "suspend", now, events)
        saveimage.write_image(stream, runtime, config)

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
            self._register(dom)
            store = self._store
            if store is not None:
                self._xs(lambda: xs_keys.write_vcpus(store, dom))
            return dom.domid
