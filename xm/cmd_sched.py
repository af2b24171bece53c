"""Scheduler commands: ``xm sched-credit``, ``sched-credit2``, ``sched-sedf``.

Each first asks xend which scheduler Xen runs and refuses with xm 4.4's
``Error: Xen is running with the <X> scheduler`` if it is another one.
Without -w/-c they print a table (all domains, or the one named by -d);
setting a value needs -d (``Error: No domain given.``).
"""

from __future__ import annotations

from typing import Any, Mapping

from xend.errors import DomainNotFound, XendError
from xm import render
from xm.context import XmContext
from xm.errors import XmFailure, XmUsageError


def _require_scheduler(xm: XmContext, wanted: str) -> None:
    current = xm.call("xend.node.scheduler") or "unknown"
    if current != wanted:
        raise XmFailure(f"Xen is running with the {current} scheduler")


def _table_records(xm: XmContext, dom: str | None) -> list[Any]:
    if dom is not None:
        return [xm.call("xend.domain", dom)]
    return render.sort_by_name(
        xm.call("xend.domains_with_state", True, "all", False))


def _params(xm: XmContext, method: str, name: str
            ) -> Mapping[str, Any] | None:
    try:
        result = xm.call(method, name)
    except DomainNotFound:
        raise
    except XendError:
        # As in 4.4: a domain the scheduler cannot report shows -1.
        return None
    return result if isinstance(result, Mapping) else None


def sched_credit(xm: XmContext, domain: str | None, weight: int | None,
                 cap: int | None) -> None:
    _require_scheduler(xm, "credit")
    if weight is None and cap is None:
        rows = [(rec, _params(xm, "xend.domain.sched_credit_get",
                              rec["name"]))
                for rec in _table_records(xm, domain)]
        xm.out.write(render.sched_credit(rows))
        return
    if domain is None:
        raise XmUsageError("No domain given.")
    xm.call("xend.domain.sched_credit_set", domain, weight, cap)


def sched_credit2(xm: XmContext, domain: str | None,
                  weight: int | None) -> None:
    _require_scheduler(xm, "credit2")
    if weight is None:
        rows = [(rec, _params(xm, "xend.domain.sched_credit2_get",
                              rec["name"]))
                for rec in _table_records(xm, domain)]
        xm.out.write(render.sched_credit2(rows))
        return
    if domain is None:
        raise XmUsageError("No domain given.")
    xm.call("xend.domain.sched_credit2_set", domain, weight)


def sched_sedf(xm: XmContext, dom: str | None, **_settings: Any) -> None:
    # SEDF left Xen in 4.6, so a modern hypervisor never runs it; the
    # check gives the same answer xm 4.4 gave on a non-SEDF host.
    _require_scheduler(xm, "sedf")
    raise XmFailure("sched-sedf is not supported by this xend")
