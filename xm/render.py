"""Pure renderers: domain records and host data in, xm 4.4's text out.

Every format string here is part of the compatibility contract (scripts
parse ``xm list``, ``xm info``, ``xm vcpu-list``, ``xm uptime`` and the
scheduler tables), so they are copied from xm 4.4 verbatim, quirks included
(e.g. the 8-wide time under the 9-wide ``Time(s)`` header).  Records follow
the format documented in :mod:`xend.rpc.api`.
"""

from __future__ import annotations

import time
from typing import Any, Iterable, Mapping, Sequence

from xm.units import format_cpumap

Record = Mapping[str, Any]

LIST_HEADER = "%-40s %5s %5s %5s %10s %9s" % (
    "Name", "ID", "Mem", "VCPUs", "State", "Time(s)")
LIST_ROW = ("%(name)-40s %(domid)5s %(mem)5d %(vcpus)5d %(state)10s "
            "%(cpu_time)8.1f")


def _domid(rec: Record) -> str:
    domid = rec.get("domid")
    return "" if domid is None else str(domid)


def is_running(rec: Record) -> bool:
    """Has a domid: exists in the hypervisor (inactive managed ones don't)."""
    return rec.get("domid") is not None


def sort_by_name(records: Iterable[Record]) -> list[Record]:
    """4.4 sorted by name in byte order (``Domain-0`` need not be first)."""
    return sorted(records, key=lambda r: str(r.get("name", "")).encode())


def list_row(rec: Record) -> str:
    running = is_running(rec)
    vcpus = rec.get("online_vcpus") if running else None
    if vcpus is None:
        vcpus = rec.get("vcpus", 0)
    return LIST_ROW % {
        "name": rec.get("name") or "??",
        "domid": _domid(rec),
        "mem": int(rec.get("memory", 0)),
        "vcpus": int(vcpus),
        "state": rec.get("state") or "",
        "cpu_time": float(rec.get("cpu_time") or 0.0),
    }


def brief_list(records: Iterable[Record]) -> str:
    """``xm list``: header and one row per record, in the given order."""
    return "".join(line + "\n"
                   for line in [LIST_HEADER] + [list_row(r) for r in records])


def info(pairs: Sequence[Any]) -> str:
    """``xm info``: ``"%-23s:" % key`` + space + value, one per line.

    A leading tag (4.4's ``node``) or any non-pair item is skipped.
    """
    out = []
    for item in pairs:
        if not isinstance(item, (list, tuple)) or not item:
            continue
        if len(item) < 2 or item[1] is None:
            out.append("%-23s: (none)" % item[0])
        else:
            out.append("%-23s:" % item[0] + " " + str(item[1]))
    return "".join(line + "\n" for line in out)


VCPU_HEADER = "%-32s %5s %5s %5s %5s %9s %s" % (
    "Name", "ID", "VCPU", "CPU", "State", "Time(s)", "CPU Affinity")
VCPU_ROW = ("%(name)-32s %(domid)5s %(number)5d %(c)5s %(s)5s "
            " %(cpu_time)8.1f %(cpumap)s")


def vcpu_row(rec: Record, vcpu: Mapping[str, Any]) -> str:
    cpu = int(vcpu.get("cpu", -1))
    # 4.4 tested cpu < 0 to spot a domain that is not running; an offline
    # vcpu of a running domain may report -1 too, and must still show --p.
    if not is_running(rec) or (cpu < 0 and vcpu.get("online")):
        c, s = "", ""
    elif vcpu.get("online"):
        c = str(cpu)
        s = (("r" if vcpu.get("running") else "-")
             + ("b" if vcpu.get("blocked") else "-") + "-")
    else:
        c, s = "-", "--p"
    nr = int(vcpu.get("nr_host_cpus", 0))
    affinity = vcpu.get("affinity")
    cpumap = "any cpu" if affinity is None else format_cpumap(affinity, nr)
    return VCPU_ROW % {
        "name": rec.get("name") or "??", "domid": _domid(rec),
        "number": int(vcpu.get("vcpu", 0)), "c": c, "s": s,
        "cpu_time": float(vcpu.get("cpu_time") or 0.0), "cpumap": cpumap,
    }


def vcpu_list(domains: Iterable[tuple[Record, Sequence[Mapping[str, Any]]]]
              ) -> str:
    """``xm vcpu-list``: (record, vcpu dicts) per domain, in order."""
    lines = [VCPU_HEADER]
    for rec, vcpus in domains:
        lines += [vcpu_row(rec, v) for v in vcpus]
    return "".join(line + "\n" for line in lines)


UPTIME_HEADER = "%-33s %4s %s " % ("Name", "ID", "Uptime")


def _updays(seconds: int) -> tuple[str, int, int, int]:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    prefix = ""
    if days > 0:
        prefix = f"{days} day" + ("s" if days > 1 else "") + ", "
    return prefix, hours, minutes, secs


def uptime_seconds(rec: Record) -> int:
    if not is_running(rec):
        return 0
    return int(round(float(rec.get("uptime") or 0.0)))


def uptime_row(rec: Record) -> str:
    prefix, h, m, s = _updays(uptime_seconds(rec))
    return ("%-32s %5s " % (rec.get("name") or "??", _domid(rec))
            + prefix + "%2d:%02d" % (h, m) + ":%02d" % s)


def uptime_short_row(rec: Record, now: float) -> str:
    prefix, h, m, _ = _updays(uptime_seconds(rec))
    clock = time.strftime(" %H:%M:%S", time.localtime(now))
    return (clock + " up " + prefix + "%2d:%02d" % (h, m)
            + f", {rec.get('name') or '??'} ({_domid(rec)})")


def uptime(records: Iterable[Record], short: bool, now: float) -> str:
    """``xm uptime`` (``-s``: one ``uptime(1)``-like line per domain)."""
    if short:
        lines = [uptime_short_row(r, now) for r in records]
    else:
        lines = [UPTIME_HEADER] + [uptime_row(r) for r in records]
    return "".join(line + "\n" for line in lines)


CREDIT_HEADER = "%-33s %4s %6s %4s" % ("Name", "ID", "Weight", "Cap")
CREDIT2_HEADER = "%-33s %4s %6s" % ("Name", "ID", "Weight")


def _param(params: Mapping[str, Any] | None, key: str) -> int:
    # 4.4 showed -1 when the scheduler gave no value for a domain.
    if not params or params.get(key) is None:
        return -1
    return int(params[key])


def sched_credit(rows: Iterable[tuple[Record, Mapping[str, Any] | None]]
                 ) -> str:
    """``xm sched-credit``: (record, {'weight', 'cap'}) per domain."""
    lines = [CREDIT_HEADER]
    for rec, params in rows:
        lines.append("%(name)-32s %(domid)5s %(weight)6d %(cap)4d" % {
            "name": rec.get("name") or "??", "domid": _domid(rec),
            "weight": _param(params, "weight"), "cap": _param(params, "cap")})
    return "".join(line + "\n" for line in lines)


def sched_credit2(rows: Iterable[tuple[Record, Mapping[str, Any] | None]]
                  ) -> str:
    """``xm sched-credit2``: (record, {'weight'}) per domain."""
    lines = [CREDIT2_HEADER]
    for rec, params in rows:
        lines.append("%(name)-32s %(domid)5s %(weight)6d" % {
            "name": rec.get("name") or "??", "domid": _domid(rec),
            "weight": _param(params, "weight")})
    return "".join(line + "\n" for line in lines)
