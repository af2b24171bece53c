"""``xm shutdown`` and ``xm reboot``, with xm 4.4's ``-w`` waiting loops.

``-w`` polls xend once per second: a shut-down domain is done when it no
longer runs (prints ``Domain X terminated``); a rebooted one when its
restart count changed (``Domain X rebooted``), or it is given up after 30
seconds of absence (``Domain X destroyed for failing to reboot``).

"Runs" is xm 4.4's ``xend.domains(0)``: the Xen-API power state Running.  A
domain that is gone, shut down but kept (``on_poweroff=preserve``), crashed,
dying or paused has stopped; ``-a`` asks only the running ones (but dom0).
"""

from __future__ import annotations

from typing import Any

from xm.context import XmContext
from xm.errors import XmFailure
from xm.progress import Progress

RECREATING_TIMEOUT = 30


def _running_names(xm: XmContext) -> set[str]:
    records = xm.call("xend.domains_with_state", True, "all", False)
    return {r["name"] for r in records if r.get("domid") is not None}


def _still_running(xm: XmContext,
                   records: list[dict[str, Any]] | None = None) -> set[str]:
    """Names of the domains in the Xen-API power state Running (not paused,
    not shut down, crashed or dying), what 4.4's ``domains(0)`` gave."""
    if records is None:
        records = xm.call("xend.domains_with_state", True, "all", False)
    return {r["name"] for r in records if r.get("domid") is not None
            and r.get("power_state") == "running"}


def _targets(xm: XmContext, dom: str | None, all_: bool) -> list[str]:
    if all_:
        # 4.4's -a: the running-state domains but Domain-0 (a paused or a
        # preserved shut-down domain is not asked again).
        records = xm.call("xend.domains_with_state", True, "all", False)
        running = _still_running(xm, records)
        return sorted(r["name"] for r in records
                      if r["name"] in running and r.get("domid") != 0)
    if dom is None:
        raise XmFailure("No domain parameter given")
    rec: Any = xm.call("xend.domain", dom)
    return [rec["name"]]


def _mode(halt: bool, reboot: bool) -> str:
    if halt and reboot:
        raise XmFailure("Can't specify halt and reboot")
    return "halt" if halt else "reboot" if reboot else "poweroff"


def _wait_shutdown(xm: XmContext, doms: list[str], progress: Progress) -> None:
    pending = list(doms)
    while pending:
        alive = _still_running(xm)
        for d in [d for d in pending if d not in alive]:
            progress.println(f"Domain {d} terminated", xm.out)
            pending.remove(d)
        if pending:
            xm.sleep(1)
    progress.println("All domains terminated", xm.out)


def _wait_reboot(xm: XmContext, doms: list[str], counts: dict[str, int],
                 progress: Progress) -> None:
    pending = list(doms)
    absent: dict[str, int] = {}
    while pending:
        alive = _running_names(xm)
        for d in list(pending):
            if d in alive:
                if xm.call("xend.domain.getRestartCount", d) != counts[d]:
                    progress.println(f"Domain {d} rebooted", xm.out)
                    pending.remove(d)
            else:
                # Probably being recreated right now: give it a while.
                absent[d] = absent.get(d, -1) + 1
                if absent[d] > RECREATING_TIMEOUT:
                    progress.println(
                        f"Domain {d} destroyed for failing to reboot", xm.out)
                    pending.remove(d)
        if pending:
            xm.sleep(1)
    progress.println("All domains rebooted", xm.out)


def _shutdown(xm: XmContext, doms: list[str], mode: str, wait: bool) -> None:
    counts: dict[str, int] = {}
    for d in doms:
        if wait and mode == "reboot":
            counts[d] = xm.call("xend.domain.getRestartCount", d)
        xm.call("xend.domain.shutdown", d, mode)
    if not wait or xm.dry_run:         # xm -N sent nothing to wait for
        return
    verb = "reboot" if mode == "reboot" else "shut down"
    label = f"Waiting for {len(doms)} domain(s) to {verb} ..."
    with Progress(label, xm.err, xm.interactive()) as progress:
        if mode == "reboot":
            _wait_reboot(xm, doms, counts, progress)
        else:
            _wait_shutdown(xm, doms, progress)


def shutdown(xm: XmContext, dom: str | None, all: bool, wait: bool,
             halt: bool, reboot: bool) -> None:
    mode = _mode(halt, reboot)
    _shutdown(xm, _targets(xm, dom, all), mode, wait)


def reboot(xm: XmContext, dom: str | None, all: bool, wait: bool) -> None:
    _shutdown(xm, _targets(xm, dom, all), "reboot", wait)
