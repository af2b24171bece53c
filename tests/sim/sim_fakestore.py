"""A tiny dict-backed Xenstore for the simulator's tests.

It implements the :class:`xenstore.store.Store` methods the simulator uses,
with xenstored's semantics where the tests look: writes create parents,
``rm`` is recursive, a watch fires for the path and its descendants,
``introduce_domain``/``release_domain`` fire ``@introduceDomain`` /
``@releaseDomain``.  Transactions apply directly (no isolation), which is
enough for a single writer.  When the project's ``xenstore.memory``
``MemoryStore`` exists the tests can use it instead.
"""

from __future__ import annotations

import builtins
from contextlib import contextmanager
from typing import Callable, Iterator

from xenstore.store import StoreOps, WatchCallback, WatchEvent


class FakeStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.perms: dict[str, builtins.list[str]] = {}
        self.watches: builtins.list[tuple[str, str, WatchCallback]] = []
        self.introduced: builtins.list[int] = []
        self.released: builtins.list[int] = []
        self.transactions = 0

    # -- StoreOps ----------------------------------------------------------
    def _fire(self, path: str) -> None:
        for wpath, token, callback in list(self.watches):
            if path == wpath or path.startswith(wpath + "/"):
                callback(WatchEvent(path, token))

    def _mkparents(self, path: str) -> None:
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            parent = "/" + "/".join(parts[:i])
            self.values.setdefault(parent, "")

    def read(self, path: str) -> str | None:
        return self.values.get(path)

    def write(self, path: str, value: str) -> None:
        assert isinstance(value, str), (path, value)
        self._mkparents(path)
        self.values[path] = value
        self._fire(path)

    def mkdir(self, path: str) -> None:
        self._mkparents(path)
        self.values.setdefault(path, "")
        self._fire(path)

    def rm(self, path: str) -> None:
        for key in [k for k in self.values
                    if k == path or k.startswith(path + "/")]:
            del self.values[key]
            self.perms.pop(key, None)
        self._fire(path)

    def list(self, path: str) -> builtins.list[str]:
        prefix = path.rstrip("/") + "/"
        return sorted({k[len(prefix):].split("/")[0] for k in self.values
                       if k.startswith(prefix)})

    def exists(self, path: str) -> bool:
        return path in self.values

    def get_perms(self, path: str) -> builtins.list[str]:
        return list(self.perms.get(path, ["n0"]))

    def set_perms(self, path: str, perms: builtins.list[str]) -> None:
        assert path in self.values, path
        self.perms[path] = list(perms)

    # -- Store -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[StoreOps]:
        self.transactions += 1
        yield self

    def run_transaction(self, body: Callable[[StoreOps], None]) -> None:
        with self.transaction() as t:
            body(t)

    def watch(self, path: str, token: str, callback: WatchCallback) -> None:
        self.watches.append((path, token, callback))

    def unwatch(self, path: str, token: str) -> None:
        self.watches = [w for w in self.watches if w[:2] != (path, token)]

    def get_domain_path(self, domid: int) -> str:
        return f"/local/domain/{domid}"

    def introduce_domain(self, domid: int, mfn: int, port: int) -> None:
        self.introduced.append(domid)
        self._fire("@introduceDomain")

    def release_domain(self, domid: int) -> None:
        self.released.append(domid)
        self._fire("@releaseDomain")

    def close(self) -> None:
        pass

    def tree(self, prefix: str) -> dict[str, str]:
        return {k: v for k, v in self.values.items()
                if k == prefix or k.startswith(prefix + "/")}
