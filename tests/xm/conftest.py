"""Fixtures for the xm tests: a fake xend and a runner for xm command lines.

``FakeXend`` stands in for :class:`xm.client.XendClient`: it records every
call (method, params, fds), answers the query methods from a small table of
domain records built in the format documented in :mod:`xend.rpc.api`, and
returns canned values (or raises canned errors) for everything else.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from xend.errors import DomainNotFound
from xend.rpc.api import BY_NAME
from xm.context import XmContext
from xm.main import main


def record(name: str, domid: int | None, memory: int = 512, vcpus: int = 1,
           state: str = "-b----", cpu_time: float = 0.0,
           uptime: float = 0.0, **extra: Any) -> dict[str, Any]:
    """A domain record as xend.rpc.api documents it."""
    running = domid is not None
    rec: dict[str, Any] = {
        "name": name, "domid": domid,
        "uuid": extra.pop("uuid", f"00000000-0000-0000-0000-{abs(hash(name)) % 10**12:012d}"),
        "memory": memory, "maxmem": memory, "vcpus": vcpus,
        "online_vcpus": vcpus if running else 0,
        "state": state if running else "",
        "status": 2 if running else 0,
        "power_state": "running" if running else "halted",
        "cpu_time": cpu_time, "start_time": 1000.0 if running else None,
        "uptime": uptime if running else 0.0,
        "managed": extra.pop("managed", not running),
        "cpu_weight": 256, "cpu_cap": 0,
    }
    rec.update(extra)
    return rec


class FakeXend:
    """Records calls; answers queries from ``domains``; else ``answers``."""

    def __init__(self, domains: list[dict[str, Any]] | None = None) -> None:
        self.domains = list(domains or [])
        self.calls: list[tuple[str, tuple[Any, ...], list[int] | None]] = []
        self.answers: dict[str, Any] = {}
        self.closed = False

    def find(self, ref: Any) -> dict[str, Any]:
        for rec in self.domains:
            if ref in (rec["name"], rec["uuid"]) or (
                    rec["domid"] is not None and str(ref) == str(rec["domid"])):
                return rec
        raise DomainNotFound(ref)

    def call(self, method: str, *params: Any,
             fds: list[int] | None = None,
             on_progress: Callable[[Any], None] | None = None) -> Any:
        assert method in BY_NAME, f"{method} is not in xend.rpc.api"
        self.calls.append((method, params, fds))
        self.on_progress = on_progress
        if method in self.answers:
            answer = self.answers[method]
            if isinstance(answer, BaseException):
                raise answer
            return answer(*params) if callable(answer) else answer
        if method == "xend.domain":
            rec = dict(self.find(params[0]))
            if not (len(params) > 1 and params[1]):
                rec.pop("sxp", None)
            return rec
        if method == "xend.domains_with_state":
            detail = params[0] if params else True
            if not detail:
                return sorted(r["name"] for r in self.domains)
            return [dict(r) for r in self.domains]
        if len(BY_NAME[method].params) and BY_NAME[method].params[0].type == "dom":
            self.find(params[0])
        return None

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.calls]

    def close(self) -> None:
        self.closed = True


@dataclass
class Result:
    status: int
    out: str
    err: str


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


XmRunner = Callable[..., Result]


@pytest.fixture
def fake() -> FakeXend:
    return FakeXend([
        record("Domain-0", 0, memory=1024, vcpus=4, state="r-----",
               cpu_time=4711.2, uptime=3 * 86400 + 5, managed=False),
        record("guest1", 7, memory=512, vcpus=2, cpu_time=12.345,
               uptime=2 * 86400 + 13 * 3600 + 42),
        record("managed-off", None, memory=256, vcpus=1),
    ])


@pytest.fixture
def xm(fake: FakeXend) -> XmRunner:
    """``xm("list", "-l")`` -> Result(status, stdout, stderr)."""
    def run(*args: str, tty: bool = False, client: Any = None,
            sleep: Callable[[float], None] | None = None) -> Result:
        out = Tty() if tty else io.StringIO()
        err = Tty() if tty else io.StringIO()
        ctx = XmContext(client_factory=lambda: client or fake,
                        stdout=out, stderr=err,
                        sleep=sleep or (lambda s: None),
                        now=lambda: 1_700_000_000.0)
        status = main(list(args), context=ctx)
        return Result(status, out.getvalue(), err.getvalue())
    return run
