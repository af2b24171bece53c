"""The fault campaign's checks: xm in-process, the invariant, the tally.

:func:`xm_in` runs an xm command line in this process (xm's own ``main``
with a client on the host's socket, which is a file, so the root namespace
reaches it): the same code and output as the ``xm`` program without the
start-up of a Python process per call.

:func:`violations` is the invariant of /work/wt/MIGRATION.md, once things
have settled, for one domain migrated from ``source`` to ``dest``:

* both xends answer ``xm list``;
* exactly one copy of the domain, running (no ``p`` or ``s`` in its state),
  and no ``--incoming``/``--migratedaway`` copy on either host;
* on the destination if ``xm migrate`` exited 0, on the source if it
  failed -- unless its error said the outcome was not known yet (the copy
  kept suspended, or xm lost its own xend), when either is right;
* same memory and uuid as before; no record left in either xend's
  ``state/inflight`` journal, no new ``Traceback`` in either log.

:func:`settle` waits (up to a deadline) until there are no violations.
:class:`Tally` counts the cases: where they ended, the errors by message.
"""

from __future__ import annotations

import io
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from tests.e2e.conftest import Result
from tests.migrate.twohosts import DomainRow, Host, parse_list
from xm.client import XendClient
from xm.context import XmContext
from xm.main import main as xm_main

LEFTOVER_SUFFIXES = ("--incoming", "--migratedaway")
# Errors after which either host may hold the domain: xend said the
# outcome is unknown, or xm lost its own xend (it was killed).
UNRESOLVED = ("kept suspended", "Unable to connect to xend",
              "Xend has probably crashed")


def xm_in(host: Host, *args: str, timeout: float | None = 120) -> Result:
    """``xm ARGS`` against ``host``'s xend, in this process."""
    out, err = io.StringIO(), io.StringIO()
    ctx = XmContext(client_factory=lambda: XendClient(host.socket, timeout),
                    stdout=out, stderr=err)
    rc = xm_main(list(args), ctx)
    return Result(rc, out.getvalue(), err.getvalue())


def running(row: DomainRow) -> bool:
    return row.id is not None and "p" not in row.state and \
        "s" not in row.state


def error_line(res: Result) -> str:
    """The first line of what xm printed on stderr ('' on success)."""
    lines = res.err.strip().splitlines()
    return lines[0] if lines else ""


@dataclass
class Expect:
    """What one case checks: the domain and where it may end."""

    name: str
    mem: int
    uuid: str
    source: Host
    dest: Host

    def allowed(self, res: Result) -> tuple[Host, ...]:
        if res.rc == 0:
            return (self.dest,)
        if any(word in res.err for word in UNRESOLVED):
            return (self.source, self.dest)
        return (self.source,)


class LogWatch:
    """New ``Traceback`` lines in the xend logs since the last look."""

    def __init__(self, hosts: Iterable[Host]) -> None:
        self.hosts = list(hosts)
        self.seen = {h.label: len(h.log()) for h in self.hosts}

    def new_tracebacks(self) -> list[str]:
        found = []
        for host in self.hosts:
            text = host.log()
            fresh = text[self.seen[host.label]:]
            self.seen[host.label] = len(text)
            if "Traceback" in fresh:
                found.append(f"Traceback in xend {host.label}'s log:\n"
                             f"{fresh[fresh.index('Traceback'):][:3000]}")
        return found


def inflight_records(host: Host) -> list[str]:
    path = host.base / "state" / "inflight"
    try:
        return sorted(n for n in os.listdir(path) if n.endswith(".json"))
    except FileNotFoundError:
        return []


def uuid_of(host: Host, name: str) -> str:
    res = xm_in(host, "list", "-l", name)
    assert res.rc == 0, res.err
    m = re.search(r"\(uuid ([0-9a-f-]+)\)", res.out)
    assert m is not None, res.out
    return m.group(1)


def where(hosts: Iterable[Host], name: str) -> dict[str, list[DomainRow]]:
    """label -> that host's rows of ``name`` and its leftovers; raises
    AssertionError naming a host whose xend does not answer."""
    found = {}
    for host in hosts:
        res = xm_in(host, "list", timeout=15)
        if res.rc != 0:
            raise AssertionError(f"xend {host.label} does not answer xm "
                                 f"list: {error_line(res)}")
        found[host.label] = [r for r in parse_list(res.out)
                             if r.name == name or
                             r.name.startswith(name + "--")]
    return found


def violations(expect: Expect, res: Result) -> tuple[list[str], str]:
    """(what is wrong, where the domain is: 'a', 'b' or a description)."""
    hosts = (expect.source, expect.dest)
    try:
        rows = where(hosts, expect.name)
    except AssertionError as exc:
        return [str(exc)], "?"
    problems = []
    copies = [(label, r) for label, rs in rows.items() for r in rs
              if r.name == expect.name]
    leftovers = [f"{r.name} ({r.state or 'halted'}) on {label}"
                 for label, rs in rows.items() for r in rs
                 if r.name != expect.name]
    if leftovers:
        problems.append("leftovers: " + ", ".join(leftovers))
    live = [(label, r) for label, r in copies if running(r)]
    seen = ", ".join(f"{label}:{r.state or 'halted'}" for label, r in copies)
    if len(live) != 1:
        problems.append(f"{len(live)} running copies ({seen or 'none'})")
    at = live[0][0] if len(live) == 1 else f"[{seen or 'lost'}]"
    if len(live) == 1:
        label, row = live[0]
        allowed = [h.label for h in expect.allowed(res)]
        if label not in allowed:
            problems.append(f"runs on {label} but xm migrate rc={res.rc} "
                            f"({error_line(res) or 'success'}) allows "
                            f"{'/'.join(allowed)}")
        if len(copies) != 1:
            problems.append(f"also a copy that does not run ({seen})")
        if row.mem != expect.mem:
            problems.append(f"memory {row.mem} MiB, not {expect.mem}")
        host = expect.source if label == expect.source.label else expect.dest
        if not problems and uuid_of(host, expect.name) != expect.uuid:
            problems.append("the uuid changed")
    for host in hosts:
        left = inflight_records(host)
        if left:
            problems.append(f"journal of {host.label} holds {left}")
    return problems, at


def settle(expect: Expect, res: Result, timeout: float = 20.0,
           poll: float = 0.25) -> tuple[list[str], str, float]:
    """Wait until the invariant holds (or ``timeout``): (problems left,
    where the domain is, seconds waited)."""
    start = time.monotonic()
    while True:
        problems, at = violations(expect, res)
        waited = time.monotonic() - start
        if not problems or waited >= timeout:
            return problems, at, waited
        time.sleep(poll)


def normalize(message: str) -> str:
    """An error message with ids and numbers blanked, for counting."""
    text = re.sub(r"[0-9a-f]{32}", "<id>", message)
    return re.sub(r"(?<![\d.])\d+(?![\d.])", "N", text)


@dataclass
class Tally:
    """The campaign's counts."""

    title: str
    cases: int = 0
    ended: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, what: str, res: Result, at: str,
            problems: list[str], count: bool = True) -> None:
        """One case (``count=False``: a calibration run, only checked)."""
        if count:
            self.cases += 1
            self.ended[at] += 1
            self.errors[normalize(error_line(res)) or "(rc 0)"] += 1
        status = "ok" if not problems else "VIOLATION: " + "; ".join(problems)
        line = (f"{what}: rc={res.rc} {error_line(res)!r} -> ends on {at}"
                f" [{status}]")
        print(line, flush=True)
        if problems:
            self.failures.append(line)

    def report(self) -> str:
        lines = [f"== {self.title}: {self.cases} cases in "
                 f"{self.seconds:.1f} s; ended on "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(
                     self.ended.items())),
                 "errors by message:"]
        lines += [f"  {n:4d}  {msg}" for msg, n in self.errors.most_common()]
        lines.append(f"violations: {len(self.failures)}")
        lines += [f"  {f}" for f in self.failures]
        return "\n".join(lines)
