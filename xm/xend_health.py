"""What check_xend judges: the named domains, free memory, dom0's load.

:func:`gather` makes check_xend's two RPCs through the ``call`` it is
given (``xend.domains_with_state``, as ``xm list``; ``xend.node.info``, as
``xm info``), reads the load average and turns it all into one
:class:`Outcome`: the state, the text of the output line, the performance
data and the extra lines of ``-vv``.  xend's failures propagate to the
caller (:mod:`xm.check_xend`), which maps them to states.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, NamedTuple, Sequence

from xm.monitoring import (CRITICAL, OK, UNKNOWN, WARNING, Thresholds,
                           perfdata, worst)


class Options(NamedTuple):
    socket: str
    domains: tuple[str, ...]
    mem: Thresholds
    load: Thresholds
    timeout: float
    timeout_state: int
    verbosity: int


class Outcome(NamedTuple):
    state: int
    text: str
    perf: list[str]
    details: list[str]       # lines after the first (-vv)


# -- the domains -------------------------------------------------------------
def domain_condition(rec: dict[str, Any]) -> tuple[int, str]:
    """A record's state for the plugin and the word that says why."""
    if rec.get("domid") is None:        # managed, not in the hypervisor
        return CRITICAL, str(rec.get("power_state") or "halted")
    flags = set(str(rec.get("state") or ""))
    for flag, word in (("c", "crashed"), ("s", "shut down"),
                       ("d", "dying")):
        if flag in flags:
            return CRITICAL, word
    if "p" in flags:
        return WARNING, "paused by admin" if rec.get("paused_by_admin") \
            else "paused"
    return OK, "running" if "r" in flags else \
        "blocked" if "b" in flags else "runnable"


def find_domain(records: list[dict[str, Any]],
                ref: str) -> dict[str, Any] | None:
    """The record *ref* names: a name first, then a uuid, then an id."""
    for key in ("name", "uuid", "domid"):
        for rec in records:
            if str(rec.get(key)) == ref and rec.get(key) is not None:
                return rec
    return None


def _plural(n: int, word: str) -> str:
    return f"{word}{'' if n == 1 else 's'}"


def check_domains(records: list[dict[str, Any]], wanted: Sequence[str]
                  ) -> tuple[list[tuple[int, str]], list[str]]:
    """Problems [(state, text)] and each named domain as "name word"."""
    seen: dict[int, list[str]] = {CRITICAL: [], WARNING: []}
    checked = []
    for ref in wanted:
        rec = find_domain(records, ref)
        state, word = (CRITICAL, "missing") if rec is None \
            else domain_condition(rec)
        checked.append(f"{ref} {word}")
        if state != OK:
            seen[state].append(ref if state == WARNING else f"{ref} ({word})")
    problems = []
    if seen[CRITICAL]:
        problems.append((CRITICAL, _plural(len(seen[CRITICAL]), "domain")
                         + " not running: " + ", ".join(seen[CRITICAL])))
    if seen[WARNING]:
        problems.append((WARNING, _plural(len(seen[WARNING]), "domain")
                         + " paused: " + ", ".join(seen[WARNING])))
    return problems, checked


# -- one run ---------------------------------------------------------------
class _Findings:
    """What one run has found so far: problems [(state, text)], the
    summary's parts, performance data, -vv lines."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.summary: list[str] = []
        self.perf: list[str] = []
        self.details: list[str] = []

    def judge(self, what: str, shown: str, figure: float,
              limits: Thresholds) -> None:
        tripped = limits.tripped(figure)
        if tripped is not None:
            state = limits.state(figure)
            word = "critical" if state == CRITICAL else "warning"
            self.problems.append(
                (state, f"{what} {shown} ({word}: {tripped.why(figure)})"))


def _memory(found: _Findings, info: dict[str, Any],
            limits: Thresholds) -> None:
    free, total = info.get("free_memory"), info.get("total_memory")
    if not isinstance(free, int):
        found.problems.append((UNKNOWN, "xend's node info has no "
                               "free_memory"))
        return
    found.judge("free memory", f"{free} MiB", free, limits)
    found.summary.append(f"{free} MiB free")
    found.perf.append(perfdata("free_memory", free, "MB", limits, 0,
                               total if isinstance(total, int) else None))
    found.details.append(f"memory: {free} MiB free of {total} MiB")


def _load(found: _Findings,
          loadavg: Callable[[], tuple[float, float, float]],
          limits: Thresholds) -> None:
    try:
        loads = loadavg()
    except OSError as exc:
        found.problems.append((UNKNOWN, f"no load average: {exc}"))
        return
    found.judge("load", f"{loads[0]:.2f}", loads[0], limits)
    found.summary.append(f"load {loads[0]:.2f}")
    found.perf += [perfdata("load1", round(loads[0], 2), "", limits, 0),
                   perfdata("load5", round(loads[1], 2), minimum=0),
                   perfdata("load15", round(loads[2], 2), minimum=0)]
    found.details.append("load average: %.2f %.2f %.2f" % loads)


def _domain_lines(records: list[dict[str, Any]], opts: Options) -> list[str]:
    lines = []
    for ref in opts.domains:
        rec = find_domain(records, ref)
        lines.append(f"domain {ref}: " + (
            "not known to xend" if rec is None else
            f"id {rec.get('domid')}, state '{rec.get('state')}' "
            f"({domain_condition(rec)[1]})"))
    if opts.verbosity >= 3:
        lines += [f"known: {r.get('name')} id "
                  f"{'-' if r.get('domid') is None else r.get('domid')} "
                  f"state '{r.get('state')}'" for r in records]
    return lines


def gather(opts: Options, call: Callable[..., Any],
           loadavg: Callable[[], tuple[float, float, float]] = os.getloadavg,
           clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Ask xend (through *call*), read the load, judge; xend's failures
    propagate to the caller."""
    started = clock()
    records = list(call("xend.domains_with_state", True, "all"))
    info = {row[0]: row[1] for row in call("xend.node.info")
            if isinstance(row, (list, tuple)) and len(row) >= 2}
    elapsed = clock() - started
    found = _Findings()
    running = [r for r in records if r.get("domid") is not None]
    paused = [r for r in running if "p" in str(r.get("state") or "")]
    found.problems, checked = check_domains(records, opts.domains)
    found.perf += [perfdata("domains", len(running), minimum=0),
                   perfdata("paused", len(paused), minimum=0)]
    found.summary.append(f"{len(running)} {_plural(len(running), 'domain')}"
                         + (f" ({len(paused)} paused)" if paused else ""))
    if opts.domains and not found.problems:
        found.summary.append(f"all {len(opts.domains)} expected running")
    found.details.append(f"xend answered in {elapsed:.3f} s: {len(records)} "
                         f"{_plural(len(records), 'domain')} known")
    _memory(found, info, opts.mem)
    _load(found, loadavg, opts.load)
    found.perf.append(perfdata("time", round(elapsed, 6), "s", minimum=0))
    found.details += _domain_lines(records, opts)
    problems = sorted(found.problems,       # CRITICAL, WARNING, UNKNOWN
                      key=lambda p: (p[0] != CRITICAL, p[0] != WARNING))
    text = "; ".join(t for _, t in problems) or ", ".join(found.summary)
    if opts.verbosity >= 1:
        if problems:
            text += "; " + ", ".join(found.summary)
        if checked:
            text += " - " + ", ".join(checked)
    return Outcome(worst(*(s for s, _ in problems)), text, found.perf,
                   found.details)
