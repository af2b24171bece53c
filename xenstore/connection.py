"""Server-side state of one client connection and of one domain.

A socket client is a :class:`Connection` with no domain: it acts as the
privileged dom0, as in the C daemon.  An introduced domain owns one
connection whose ``domid`` is the domain's; it is unprivileged unless it
is domain 0 (or the configured privileged domain).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

from .perms import NONE, Perm
from .tree import Transaction
from .wire import Message

Sink = Callable[[Message], None]

_serial = itertools.count(1)


@dataclass
class Watch:
    node: str                       # canonical path or @special
    token: bytes
    relative_prefix: str | None     # set when registered as a relative path

    def event_path(self, name: str) -> str:
        """Path to report: relative watches get relative paths back."""
        if self.relative_prefix is None:
            return name
        rest = name[len(self.relative_prefix):]
        return rest[1:] if rest.startswith("/") else rest


@dataclass
class Domain:
    domid: int
    introduced: bool = False
    port: int = 0
    mfn: int = 0
    shutdown: bool = False
    conn: "Connection | None" = None


@dataclass(eq=False)
class Connection:
    """One peer of the daemon (a socket client or a domain's ring)."""

    sink: Sink
    domain: Domain | None = None
    serial: int = field(default_factory=lambda: next(_serial))
    watches: list[Watch] = field(default_factory=list)
    transactions: dict[int, Transaction] = field(default_factory=dict)
    next_tx_id: int = 0
    target: int | None = None       # SET_TARGET: acts for this domid too
    closed: bool = False

    @property
    def domid(self) -> int:
        return self.domain.domid if self.domain is not None else 0

    def implicit_path(self) -> str:
        return f"/local/domain/{self.domid}"

    def send(self, msg: Message) -> None:
        if not self.closed:
            self.sink(msg)


def default_special_perms() -> list[Perm]:
    return [Perm(NONE, 0)]
