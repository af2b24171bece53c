"""The fault campaign's cases on one pair of hosts (see test_migrate_faults).

:class:`Campaign` keeps one domain, ``NAME``, at home on host a and runs
case after case on the same two xends: each case migrates it towards b
while a fault strikes, waits until things settle, checks the invariant
(:func:`tests.migrate.faultcheck.violations`), tallies the case, and brings
the domain home again (migrating it back from b, or, after a violation,
destroying whatever is left and creating it afresh) so the next case starts
from the same place.

* :meth:`Campaign.cut` -- through a cut proxy that breaks the connection
  after exactly N bytes up (a's stream) or down (b's replies), RST or FIN;
* :meth:`Campaign.kill` -- ``xm migrate`` (a subprocess) while ``kill -9``
  strikes the receiving or the sending xend after a delay, which is then
  started again.

The rate a's simulator streams at (``sim-stream-rate``) and the domain's
memory set how long a migration lasts, hence where a random delay lands.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Result
from tests.migrate.cutproxy_run import CutProxy
from tests.migrate.faultcheck import (Expect, LogWatch, Tally, error_line,
                                      settle, uuid_of, xm_in)
from tests.migrate.streamlayout import Layout, parse
from tests.migrate.twohosts import Host, TwoHosts

NAME = "fm"
PORT = 8002
TLS_PORT = 8003
HANG_SECONDS = 45.0      # longer than any honest case (the 30 s in-line ask)


class Campaign:
    def __init__(self, hosts: TwoHosts, workdir: Path, title: str,
                 memory: int = 64) -> None:
        self.hosts = hosts
        self.a, self.b = hosts.a, hosts.b
        self.workdir = workdir
        self.memory = memory
        self.tally = Tally(title)
        self.logs = LogWatch(hosts)
        self.started = time.monotonic()
        self.up_total = 0           # the up stream's length, last seen
        self.flags: list[str] = []  # xm migrate's: -l, -s
        self.tls = False
        self.a.create(NAME, memory=memory)
        self.uuid = uuid_of(self.a, NAME)

    @property
    def expect(self) -> Expect:
        return Expect(NAME, self.memory, self.uuid, self.a, self.b)

    # -- cases ------------------------------------------------------------------
    def record(self, what: str, res: Result, extra: list[str] | None = None,
               count: bool = True) -> str:
        """Settle, check, tally one case; bring the domain home.  Returns
        where it ended ('a', 'b' or a description)."""
        return self.conclude(what, res, self.check(res), extra, count)

    def check(self, res: Result, settle_for: float = 20.0
              ) -> tuple[list[str], str, float]:
        return settle(self.expect, res, settle_for)

    def conclude(self, what: str, res: Result,
                 checked: tuple[list[str], str, float],
                 extra: list[str] | None = None, count: bool = True) -> str:
        problems, at, waited = checked
        problems = list(extra or []) + problems + self.logs.new_tracebacks()
        if waited >= 1.0:
            what += f" (settled in {waited:.1f} s)"
        self.tally.add(what, res, at, problems, count)
        self.home(at, bool(problems))
        return at

    def home(self, at: str, broken: bool) -> None:
        if not broken and at == "a":
            return
        if not broken and at == "b":
            res = xm_in(self.b, "migrate", NAME, self.a.ip)
            if res.rc == 0 and self.a.domain(NAME) is not None:
                return
            print(f"  (migrating home failed: {error_line(res)})")
        self.repair()

    def repair(self) -> None:
        """Destroy every copy and leftover, create the domain again."""
        for host in self.hosts:
            for row in host.domains():
                if row.name == NAME or row.name.startswith(NAME + "--"):
                    xm_in(host, "destroy", row.name)
                    if row.id is None:
                        xm_in(host, "delete", row.name)
        self.a.create(NAME, memory=self.memory)
        self.uuid = uuid_of(self.a, NAME)
        self.logs.new_tracebacks()

    def finish(self) -> Tally:
        self.tally.seconds = time.monotonic() - self.started
        for host in self.hosts:             # the real xm, once, at the end
            host.ok("list")
        print(self.tally.report(), flush=True)
        return self.tally

    # -- the cut proxy ----------------------------------------------------------
    def use(self, live: bool = False, tls: bool = False) -> None:
        """The migrations to cut from now on: live or not, over TLS (port
        8003, ``xm migrate -s``) or TCP."""
        self.flags = ["-l"] * live + ["-s"] * tls
        self.tls = tls

    def proxy(self, **options: Any) -> CutProxy:
        return CutProxy(self.a.net,
                        (self.b.ip, TLS_PORT if self.tls else PORT),
                        self.workdir / "proxies", **options).start()

    def migrate_via(self, proxy: CutProxy) -> Result:
        return xm_in(self.a, "migrate", *self.flags, "-p", str(proxy.port),
                     NAME, proxy.ip)

    def learn(self) -> tuple[bytes, bytes]:
        """One uncut migration through a recording proxy (and back): its
        up and down streams."""
        proxy = self.proxy(record=True)
        try:
            res = self.migrate_via(proxy)
            assert res.rc == 0, res.err
            [conn] = proxy.wait_connections(1)
            up, down = proxy.recorded(conn.conn)
        finally:
            proxy.stop()
        assert (len(up), len(down)) == (conn.up, conn.down)
        assert self.record("uncut run", res, count=False) == "b"
        self.up_total = len(up)
        return up, down

    def learn_layouts(self) -> tuple[Layout, Layout]:
        up, down = self.learn()
        return parse("up", up), parse("down", down)

    def cut(self, layout: Layout, offset: int, close: str) -> None:
        """Cut ``layout.direction`` after ``offset`` bytes of the stream
        learned.  Up, the image's length varies by a few bytes (the image
        goes in pieces of varying size, 5 bytes of head each), so an offset
        past the image keeps its distance from the stream's end as last
        seen.  A case whose stream ended before the cut is run again with
        the length seen, and so is the very end (the whole up stream
        delivered, then the cut) until it is hit, a few times at most."""
        up = layout.direction == "up"
        tail = up and offset >= layout.span("image")[1]
        for _attempt in range(5):
            planned = offset + (self.up_total - layout.total if tail else 0)
            cut = self._cut_once(layout.direction, planned, close)
            if cut is None:
                continue                # no fault: the stream was shorter
            if not up or offset != layout.total or \
                    cut.cut_place() == "after the whole stream":
                return
            rest = layout.rest_after(cut)
            self.up_total = planned + (5 if rest is None else rest)
        print(f"  (the end of the up stream was missed: {close})")

    def _cut_once(self, direction: str, offset: int,
                  close: str) -> Layout | None:
        """One case: the up stream as the proxy forwarded it, or None if
        it ended before the cut (checked, not counted)."""
        proxy = self.proxy(cut_after=offset, direction=direction,
                           close=close, record=True)
        start = time.monotonic()
        try:
            res = self.migrate_via(proxy)
            took = time.monotonic() - start
            # Settled with the proxy still up: status queries use it.
            checked = self.check(res)
        finally:
            conns = proxy.stop()
        first = next(c for c in conns if c.conn == 1)
        raw = dict(zip(("up", "down"), proxy.recorded(1)))
        if self.tls:                # encrypted: only the counts
            up = Layout("up", ())
            places = {d: f"at byte {len(b)} of TLS" for d, b in raw.items()}
        else:
            up, down = (parse(d, raw[d], partial=True) for d in raw)
            places = {"up": up.cut_place(), "down": down.cut_place()}
            if places["up"] == "after the whole stream":
                self.up_total = up.total
        other = "down" if direction == "up" else "up"
        if not first.cut:
            self.conclude(f"(no cut: the {direction} stream had "
                          f"{len(raw[direction])} bytes)", res, checked,
                          count=False)
            return None
        extra = []
        if len(raw[direction]) != offset:
            extra.append(f"the proxy cut at {len(raw[direction])}, not "
                         f"{offset}")
        if took > HANG_SECONDS:
            extra.append(f"xm migrate took {took:.0f} s")
        mode = "".join(f" {f}" for f in self.flags)
        what = (f"cut{mode} {direction} {offset} {close} {places[direction]}"
                f" [{other} {places[other]}; {took:.1f} s, "
                f"{len(conns)} conn{'s' if len(conns) > 1 else ''}]")
        self.conclude(what, res, checked, extra)
        return up

    def cut_raw(self, direction: str, offset: int, close: str) -> None:
        """A cut at a plain offset (a TLS stream has no layout to read);
        an offset past the stream's end gives no case."""
        self._cut_once(direction, offset, close)

    # -- kill -9 ------------------------------------------------------------------
    def xm_popen(self, live: bool) -> subprocess.Popen[str]:
        args = ["migrate", *(["-l"] if live else []), NAME, self.b.ip]
        return self.a.net.popen(sys.executable, "-m", "xm", *args,
                                env=self.a.env, cwd=self.a.base,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def timed_run(self, live: bool) -> float:
        """An undisturbed migration with the real xm (and back): seconds."""
        start = time.monotonic()
        proc = self.xm_popen(live)
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - start
        res = Result(proc.returncode, out, err)
        assert res.rc == 0, res.err
        assert self.record(f"timed run live={live} ({took:.2f} s)", res,
                           count=False) == "b"
        return took

    def kill(self, victim: Host, trigger: "Trigger", live: bool,
             stay_down: bool = False) -> str:
        """``xm migrate`` on a; ``kill -9`` of ``victim`` at ``trigger``;
        start it again (``stay_down``: only once xm has given up, so that
        a's resolver must settle it); wait for xm; check."""
        start = time.monotonic()
        proc = self.xm_popen(live)
        seen = trigger.wait(self, proc, start)
        done = proc.poll() is not None
        victim.kill9()
        when = time.monotonic() - start
        stages = {h.label: journal_stage(h) for h in self.hosts}
        out, err = "", ""
        if stay_down:
            out, err = self.wait_xm(proc)
        victim.restart()
        if not stay_down:
            out, err = self.wait_xm(proc)
        res = Result(proc.returncode, out, err)
        phase = ", ".join(f"{k}:{v}" for k, v in sorted(stages.items()))
        what = (f"kill -9 {victim.label} at {when:.3f} s ({trigger}"
                f"{'' if seen else ', not seen'}) live={live}"
                f"{', down until xm gave up' if stay_down else ''} "
                f"[journals then {phase}{'; xm had ended' if done else ''}]")
        extra = ["xm migrate hung"] if "(xm migrate hung)" in err else []
        return self.record(what, res, extra)


    def kill_both(self, trigger: "Trigger", live: bool,
                  gap: float) -> str:
        """Both xends killed at ``trigger``, b first; a started again while
        b is still down (its recovery cannot ask b), b ``gap`` seconds
        later: a's resolver must settle it."""
        start = time.monotonic()
        proc = self.xm_popen(live)
        seen = trigger.wait(self, proc, start)
        self.b.kill9()
        self.a.kill9()
        when = time.monotonic() - start
        stages = {h.label: journal_stage(h) for h in self.hosts}
        self.a.restart()
        time.sleep(gap)
        self.b.restart()
        out, err = self.wait_xm(proc)
        res = Result(proc.returncode, out, err)
        phase = ", ".join(f"{k}:{v}" for k, v in sorted(stages.items()))
        what = (f"kill -9 b and a at {when:.3f} s ({trigger}"
                f"{'' if seen else ', not seen'}) live={live}, a started "
                f"{gap:.1f} s before b [journals then {phase}]")
        extra = ["xm migrate hung"] if "(xm migrate hung)" in err else []
        return self.record(what, res, extra)

    @staticmethod
    def wait_xm(proc: subprocess.Popen[str]) -> tuple[str, str]:
        try:
            return proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return out, "(xm migrate hung)\n" + err


class Trigger:
    """When a kill strikes: ``delay`` seconds after ``xm migrate`` starts,
    or, with ``stage`` ("b:in/received", "a:out/go", ...), ``delay``
    seconds after that host's journal first shows that stage."""

    def __init__(self, delay: float, stage: str | None = None) -> None:
        self.delay, self.stage = delay, stage

    def __str__(self) -> str:
        if self.stage is None:
            return f"{self.delay:.2f} s after xm started"
        return f"{self.delay * 1000:.0f} ms after {self.stage}"

    def wait(self, campaign: Campaign, proc: subprocess.Popen[str],
             start: float) -> bool:
        """Sleep until the moment; False if the stage never showed
        (the migration ended first)."""
        seen = True
        if self.stage is not None:
            label, stage = self.stage.split(":")
            host = getattr(campaign, label)
            seen = False
            while proc.poll() is None and time.monotonic() - start < 60:
                if stage in journal_stage(host).split("+"):
                    seen = True
                    break
                time.sleep(0.001)
        time.sleep(self.delay)
        return seen


def journal_stage(host: Host) -> str:
    """The stage of the migration record in ``host``'s journal, or '-'."""
    path = host.base / "state" / "inflight"
    stages = []
    for record in sorted(path.glob("*.migrate-*.json")):
        try:
            doc = json.loads(record.read_text())
        except (OSError, ValueError):
            doc = {}
        op = str(doc.get("op", "?")).replace("migrate-", "")
        stages.append(f"{op}/{doc.get('stage', '?')}")
    return "+".join(stages) or "-"


def delays(rng: random.Random, count: int, span: float) -> list[float]:
    """``count`` delays spread over [0, span): one per equal slice, at a
    random point in it (so every phase gets some), shuffled."""
    out = [(i + rng.random()) * span / count for i in range(count)]
    rng.shuffle(out)
    return out
