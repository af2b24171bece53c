"""Server-side state of one client connection and of one domain.

A socket client is a :class:`Connection` with no domain: it acts as the
privileged dom0, as in the C daemon.  An introduced domain owns one
connection whose ``domid`` is the domain's; it is unprivileged unless it
is domain 0 (or the configured privileged domain).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Self, SupportsIndex

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


class WatchList(list[Watch]):
    """A connection's watches in registration order, with an index by
    node, so that finding the watches a change fires costs the depth of
    the changed path, not the number of watches (the simulator keeps one
    per guest on the same connection)."""

    def __init__(self, *items: Watch) -> None:
        super().__init__(items)
        self._index: dict[str, list[tuple[int, Watch]]] | None = None
        self._serial = 0

    def _build(self) -> dict[str, list[tuple[int, Watch]]]:
        index: dict[str, list[tuple[int, Watch]]] = {}
        for serial, watch in enumerate(self):
            index.setdefault(watch.node, []).append((serial, watch))
        self._serial = len(self)
        self._index = index
        return index

    def append(self, watch: Watch) -> None:
        super().append(watch)
        if self._index is not None:
            self._index.setdefault(watch.node, []).append(
                (self._serial, watch))
            self._serial += 1

    def remove(self, watch: Watch) -> None:
        # By identity first: list.remove would call Watch.__eq__ on every
        # watch before this one.
        for at, item in enumerate(self):
            if item is watch:
                super().__delitem__(at)
                break
        else:
            super().remove(watch)
            self._index = None
            return
        if self._index is not None:
            same = self._index.get(watch.node, [])
            for at, (_, indexed) in enumerate(same):
                if indexed is watch:
                    del same[at]
                    break
            else:
                self._index = None      # (an equal, not the same, watch)
                return
            if not same:
                del self._index[watch.node]

    # Every other change rebuilds the index when next needed.

    def clear(self) -> None:
        super().clear()
        self._index = None

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._index = None

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._index = None

    def __iadd__(self, other: Iterable[Watch]) -> Self:  # type: ignore[override,misc]
        super().__iadd__(other)
        self._index = None
        return self

    def insert(self, at: SupportsIndex, watch: Watch) -> None:
        super().insert(at, watch)
        self._index = None

    def extend(self, watches: Iterable[Watch]) -> None:
        super().extend(watches)
        self._index = None

    def pop(self, at: SupportsIndex = -1) -> Watch:
        self._index = None
        return super().pop(at)

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self._index = None

    def reverse(self) -> None:
        super().reverse()
        self._index = None

    def find(self, node: str, token: bytes) -> Watch | None:
        """The watch on ``node`` with ``token``, if any."""
        index = self._index if self._index is not None else self._build()
        for _, watch in index.get(node, ()):
            if watch.token == token:
                return watch
        return None

    def matching(self, name: str, exact: bool) -> list[Watch]:
        """The watches a change of ``name`` fires, in registration order:
        those on ``name`` itself and, unless ``exact``, on any ancestor
        (``/`` included)."""
        index = self._index if self._index is not None else self._build()
        if exact:
            return [w for _, w in index.get(name, ())]
        found: list[tuple[int, Watch]] = list(index.get(name, ()))
        end = len(name)
        while True:
            end = name.rfind("/", 0, end)
            if end <= 0:
                break
            found.extend(index.get(name[:end], ()))
        if name != "/":
            found.extend(index.get("/", ()))
        if len(found) > 1:
            found.sort(key=lambda pair: pair[0])
        return [w for _, w in found]


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
    watches: WatchList = field(default_factory=WatchList)
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
