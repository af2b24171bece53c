"""Helpers shared by the hypervisor tests: configs, a clock, an event log.

Kept out of conftest.py so test modules can import them by a unique name
(several test directories have a conftest.py of their own).
"""

from __future__ import annotations

import os
import threading
import time
import uuid as uuidlib
from typing import Any, Callable

from xend.hv.base import DomainEvent, Hypervisor
from xend.hv.sim import SimHypervisor
from tests import bootfiles

# The make_sim fixture: builds simulators on the test's state dir.
MakeSim = Callable[..., SimHypervisor]

BACKEND = os.environ.get("XEND_CONTRACT_BACKEND", "sim")
# A real file here: the simulator, like libxl, reads the PV kernel.
KERNEL = os.environ.get("XEND_CONTRACT_KERNEL") or bootfiles.KERNEL
# The lab boots its test guest from a ramdisk (without one a real kernel
# panics for want of a root fs, and never answers a shutdown request).
RAMDISK = os.environ.get("XEND_CONTRACT_RAMDISK", "")
CMDLINE = os.environ.get("XEND_CONTRACT_CMDLINE", "root=/dev/xvda1 ro")
# How long a guest may take to react to a shutdown request.
GUEST_TIMEOUT = float(os.environ.get("XEND_CONTRACT_GUEST_TIMEOUT", "5"))
SIM_DELAY = 0.05
# Real guests (the lab): seconds to give a guest, once its kernel has
# brought its vcpus up, to reach the point where it answers shutdown and
# suspend requests; 0 (the simulator) does not wait at all.
BOOT_WAIT = float(os.environ.get("XEND_CONTRACT_BOOT_WAIT", "0"))
# Whether the backend can run an HVM guest that reacts to ACPI (the lab may
# have none): XEND_CONTRACT_HVM=0 skips those tests.
HVM_GUESTS = os.environ.get("XEND_CONTRACT_HVM", "1") == "1"


class FakeClock:
    """A clock tests move by hand (epoch seconds)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class EventRecorder:
    """A watch_events callback that tests can wait on."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: DomainEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[DomainEvent], bool],
                 timeout: float = GUEST_TIMEOUT) -> DomainEvent:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no matching event within {timeout}s; "
                        f"got {self.events}")
                self._cond.wait(left)

    def of(self, domid: int) -> list[tuple[str, str | None]]:
        with self._cond:
            return [(e.kind, e.reason) for e in self.events
                    if e.domid == domid]


def pv_config(name: str | None = None, *, mem_mib: int = 256,
              maxmem_mib: int | None = None, vcpus: int = 2,
              maxvcpus: int | None = None, **extra: Any) -> dict[str, Any]:
    """A small PV guest as `xl -N create` would print it."""
    maxvcpus = maxvcpus or vcpus
    config: dict[str, Any] = {
        "c_info": {"type": "pv",
                   "name": name or f"t-{uuidlib.uuid4().hex[:8]}",
                   "uuid": str(uuidlib.uuid4())},
        "b_info": {"max_vcpus": maxvcpus, "avail_vcpus": list(range(vcpus)),
                   "max_memkb": (maxmem_mib or mem_mib) * 1024,
                   "target_memkb": mem_mib * 1024, "sched_params": {},
                   "kernel": KERNEL, "cmdline": CMDLINE,
                   "type.pv": {}, "arch_arm": {}, "arch_x86": {}},
    }
    if RAMDISK:
        config["b_info"]["ramdisk"] = RAMDISK
    config.update(extra)
    return config


def hvm_config(name: str | None = None, *, mem_mib: int = 256,
               vcpus: int = 1) -> dict[str, Any]:
    return {
        "c_info": {"type": "hvm",
                   "name": name or f"h-{uuidlib.uuid4().hex[:8]}",
                   "uuid": str(uuidlib.uuid4())},
        "b_info": {"max_vcpus": vcpus, "avail_vcpus": list(range(vcpus)),
                   "max_memkb": mem_mib * 1024,
                   "target_memkb": mem_mib * 1024, "sched_params": {},
                   "type.hvm": {"vga": {}, "vnc": {}, "sdl": {},
                                "spice": {}, "rdm": {}},
                   "arch_arm": {}, "arch_x86": {}},
    }


def running(hv: Hypervisor, **kw: Any) -> int:
    """Create a PV guest (see pv_config) and unpause it; on a real host,
    wait until its kernel is up (see BOOT_WAIT)."""
    domid = hv.create(pv_config(**kw))
    hv.unpause(domid)
    if BOOT_WAIT:
        # A PV kernel brings its vcpus up early in boot, shortly before
        # xenbus: then the guest starts answering control/shutdown.
        vcpus = kw.get("vcpus", 2)
        deadline = time.monotonic() + 90
        while hv.domain_info(domid).vcpu_online < vcpus \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(BOOT_WAIT)
    return domid

