"""Domain records: the JSON objects xm renders (see :mod:`xend.rpc.api`).

Pure functions from what the hypervisor reports (:class:`DomainInfo`) and
what xend keeps (:class:`DomainEntry`) to a record dict, plus the Xen-API
power state names that ``xm list --state=`` filters on.
"""

from __future__ import annotations

import time
from typing import Any

from xend.domains.table import DomainEntry
from xend.hv.base import DomainInfo

HALTED, PAUSED, RUNNING, SUSPENDED, SHUTTINGDOWN, CRASHED, UNKNOWN = range(7)
POWER_STATE_NAMES = ("halted", "paused", "running", "suspended",
                     "shuttingdown", "crashed", "unknown")
# What xm list --state takes (4.4's names); any other name matches nothing.
STATE_FILTERS = ("all", "running", "paused", "halted", "suspended",
                 "crashed", "unknown")


def power_state(info: DomainInfo | None, suspended: bool = False) -> int:
    if info is None:
        return SUSPENDED if suspended else HALTED
    if info.shutdown:
        if info.crashed:
            return CRASHED
        if info.shutdown_reason == "suspend":
            return SUSPENDED
        return SHUTTINGDOWN
    if info.dying:
        return SHUTTINGDOWN
    if info.paused:
        return PAUSED
    return RUNNING


def host_uptime() -> float:
    """Seconds since the host booted (Domain-0's uptime): the clock
    /proc/uptime reads, without opening a file on every record."""
    try:
        return time.clock_gettime(time.CLOCK_BOOTTIME)
    except (AttributeError, OSError):
        pass
    try:
        with open("/proc/uptime") as f:
            return float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def build_record(entry: DomainEntry | None, info: DomainInfo | None,
                 suspended: bool = False,
                 now: float | None = None) -> dict[str, Any]:
    """The record of one domain; ``entry`` is None for domains xend does not
    manage (Domain-0), ``info`` is None for domains that are not running."""
    now = time.time() if now is None else now
    status = power_state(info, suspended)
    cfg = entry.config if entry is not None else None
    if info is not None:
        memory = info.target_memkb // 1024
        # Xen's own limit sits a little above the target; the configured
        # maximum (changed by mem-max) is what xm shows as maxmem.
        maxmem = cfg.max_memory if cfg is not None else memory
        vcpus = info.vcpu_max
        online = info.vcpu_online
        if info.start_time is None:
            uptime = host_uptime()
        else:
            uptime = max(0.0, now - info.start_time)
        rec: dict[str, Any] = {
            "name": info.name, "domid": info.domid, "uuid": info.uuid,
            "state": info.state_string,
            "cpu_time": info.cpu_time_ns / 1e9,
            "start_time": info.start_time, "uptime": uptime,
        }
    else:
        assert cfg is not None
        memory = cfg.memory
        maxmem = cfg.max_memory
        vcpus = cfg.max_vcpus
        online = cfg.vcpus
        rec = {"name": cfg.name, "domid": None, "uuid": str(cfg.uuid),
               "state": "", "cpu_time": 0.0, "start_time": None,
               "uptime": 0.0}
    rec.update({
        "memory": memory, "maxmem": maxmem, "vcpus": vcpus,
        "online_vcpus": online, "status": status,
        "power_state": POWER_STATE_NAMES[status],
        "managed": bool(entry is not None and entry.managed),
    })
    return rec


def matches_state(record: dict[str, Any], state: str) -> bool:
    """``xm list --state`` semantics, as 4.4's ``XendDomain.list``: the
    record's Xen-API power state name equals ``state`` (lower case).  4.4
    named a shutting-down domain ``Halted`` too, so ``halted`` matches
    both; a name that is no power state (``shuttingdown`` included)
    matches nothing, and the list is empty, as in 4.4."""
    if state == "all":
        return True
    if state == "halted":
        return record["status"] in (HALTED, SHUTTINGDOWN)
    return state != "shuttingdown" and bool(record["power_state"] == state)
