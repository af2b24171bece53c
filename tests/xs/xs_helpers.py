"""Helpers for the xend-Xenstore tests: configs, a recording store wrapper.

Kept out of conftest.py so test modules import them by a unique name.
"""

from __future__ import annotations

import uuid as uuidlib
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from xenstore.store import StoreOps

from xend.hv.base import JSON
from xend.model.devices import DiskSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import to_libxl_json
from tests.bootfiles import KERNEL

HOST_CPUS = 4


def domain_config(name: str = "web1", **changes: Any) -> DomainConfig:
    values: dict[str, Any] = dict(
        name=name, uuid=str(uuidlib.uuid4()), kernel=KERNEL,
        extra="console=hvc0", memory=256, maxmem=512, vcpus=2, maxvcpus=4,
        shadow_memory=2, on_poweroff="destroy", on_reboot="restart",
        on_crash="preserve", description="a web server",
        disks=[DiskSpec.parse("phy:/dev/vg/web1,xvda,w")],
        vifs=[VifSpec.parse("bridge=xenbr0")])
    values.update(changes)
    return DomainConfig(**values).validate()


def libxl_config(cfg: DomainConfig) -> JSON:
    return to_libxl_json(cfg, HOST_CPUS)


class _RecordingOps:
    """StoreOps that log every write, mkdir, rm and set_perms."""

    def __init__(self, ops: StoreOps, log: list[str]) -> None:
        self._ops = ops
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ops, name)

    def write(self, path: str, value: str) -> None:
        self._log.append(path)
        self._ops.write(path, value)

    def mkdir(self, path: str) -> None:
        self._log.append(path)
        self._ops.mkdir(path)

    def rm(self, path: str) -> None:
        self._log.append(path)
        self._ops.rm(path)

    def set_perms(self, path: str, perms: list[str]) -> None:
        self._log.append(path)
        self._ops.set_perms(path, perms)


class RecordingStore:
    """Wraps a Store; records the paths changed, per committed transaction
    (``transactions``) and outside any (``direct``)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.transactions: list[list[str]] = []
        self.direct: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def write(self, path: str, value: str) -> None:
        self.direct.append(path)
        self.store.write(path, value)

    def mkdir(self, path: str) -> None:
        self.direct.append(path)
        self.store.mkdir(path)

    def rm(self, path: str) -> None:
        self.direct.append(path)
        self.store.rm(path)

    def set_perms(self, path: str, perms: list[str]) -> None:
        self.direct.append(path)
        self.store.set_perms(path, perms)

    def run_transaction(self, body: Callable[[StoreOps], Any]) -> Any:
        attempt: list[str] = []

        def recorded(t: StoreOps) -> Any:
            attempt.clear()         # only the attempt that commits counts
            return body(_RecordingOps(t, attempt))  # type: ignore[arg-type]
        result = self.store.run_transaction(recorded)
        self.transactions.append(list(attempt))
        return result

    @contextmanager
    def transaction(self) -> Iterator[StoreOps]:
        attempt: list[str] = []
        with self.store.transaction() as t:
            yield _RecordingOps(t, attempt)  # type: ignore[misc]
        self.transactions.append(attempt)

    def written(self) -> set[str]:
        return set(self.direct).union(*self.transactions)

    def reset(self) -> None:
        self.transactions.clear()
        self.direct.clear()


def tree(store: Any, path: str = "/") -> dict[str, str]:
    """Every node under ``path`` with its value (for comparisons)."""
    out: dict[str, str] = {}
    stack = [path]
    while stack:
        node = stack.pop()
        out[node] = store.read(node) or ""
        base = node.rstrip("/")
        stack.extend(f"{base}/{child}" for child in store.list(node))
    return out
