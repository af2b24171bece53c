"""The Xenstore interface xend and the simulator program against.

Paths and values are ``str`` (the wire carries bytes).  Every implementation
(the pyxs-backed client, the in-memory store for unit tests) provides exactly
these methods.  Errors: ``KeyError``-free; a missing node reads as ``None``.
"""

from __future__ import annotations

import builtins

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable


@dataclass(frozen=True)
class WatchEvent:
    path: str
    token: str


WatchCallback = Callable[[WatchEvent], None]


@runtime_checkable
class StoreOps(Protocol):
    """Operations available both directly and inside a transaction."""

    def read(self, path: str) -> str | None: ...
    def write(self, path: str, value: str) -> None: ...
    def mkdir(self, path: str) -> None: ...
    def rm(self, path: str) -> None: ...
    def list(self, path: str) -> builtins.list[str]: ...
    def exists(self, path: str) -> bool: ...
    def get_perms(self, path: str) -> builtins.list[str]: ...
    def set_perms(self, path: str, perms: builtins.list[str]) -> None: ...


@runtime_checkable
class Store(StoreOps, Protocol):
    """A Xenstore connection."""

    def transaction(self) -> AbstractContextManager[StoreOps]:
        """A transaction; committed on exit, retried by the caller's code
        being run again on EAGAIN (use :meth:`run_transaction`)."""
        ...

    def run_transaction(self, body: Callable[[StoreOps], None]) -> None:
        """Run ``body`` in a transaction, re-running it on EAGAIN."""
        ...

    def watch(self, path: str, token: str, callback: WatchCallback) -> None: ...
    def unwatch(self, path: str, token: str) -> None: ...
    def get_domain_path(self, domid: int) -> str: ...
    def introduce_domain(self, domid: int, mfn: int, port: int) -> None: ...
    def release_domain(self, domid: int) -> None: ...
    def close(self) -> None: ...
