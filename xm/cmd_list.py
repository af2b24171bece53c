"""Domain listings: ``xm list`` (brief and ``-l`` SXP) and ``xm uptime``."""

from __future__ import annotations

from typing import Any

from xm import render
from xm.context import XmContext
from xm.errors import XmUsageError


def _records(xm: XmContext, doms: list[str], state: str = "all",
             full: bool = False) -> list[Any]:
    """Named domains in argument order, else all of them sorted by name."""
    if doms:
        return [xm.call("xend.domain", d, full) for d in doms]
    return render.sort_by_name(
        xm.call("xend.domains_with_state", True, state, full))


def list_domains(xm: XmContext, doms: list[str], long: bool,
                 state: str | None, vcpus: bool) -> None:
    if state is not None and state.lower() != "all" and doms:
        raise XmUsageError("You may specify either a state or a particular "
                           "VM, but not both")
    if vcpus:
        xm.err.write("xm list -v is deprecated.  Please use xm vcpu-list.\n")
        from xm.cmd_vcpu import list_vcpus
        list_vcpus(xm, doms)
        return
    records = _records(xm, doms, (state or "all").lower(), full=long)
    if not long:
        xm.out.write(render.brief_list(records))
        return
    from xend.model.sxp import pretty   # only -l needs the SXP printer
    for rec in records:
        xm.out.write(pretty(rec.get("sxp") or ["domain"]))


def uptime(xm: XmContext, doms: list[str], short: bool) -> None:
    xm.out.write(render.uptime(_records(xm, doms), short, xm.now()))
