"""Thin helpers around Xen's own `xl` and xenstore tools for lab tests."""
from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from typing import Any


class XlError(RuntimeError):
    pass


def run(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs `xl ARGS...`; on failure raises with xl's own stderr in the message."""
    proc = subprocess.run(["xl", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise XlError(f"xl {' '.join(args)} -> rc={proc.returncode}\n{proc.stderr.strip()}\n{proc.stdout.strip()}")
    return proc


@dataclass
class Domain:
    name: str
    domid: int
    mem_mb: int
    vcpus: int
    state: str       # xl's six flags, e.g. "-b----"; r b p s c d
    cpu_time: float = 0.0   # seconds (xl list's Time(s))

    @property
    def paused(self) -> bool:
        return "p" in self.state


def settled_flags(state: str) -> str:
    """The state flags that do not change by themselves: paused, shutdown,
    crashed, dying.  A guest flips between running (r), blocked (b) and
    runnable (neither) on its own from one moment to the next, so two
    listings taken apart (xm's and xl's) may differ there and still agree."""
    return "".join(c if c in "pscd" else "-" for c in state)


def list_domains() -> dict[str, Domain]:
    out = run("list").stdout.splitlines()[1:]       # skip the header
    doms = {}
    for line in out:
        parts = line.split()
        if len(parts) < 6:
            continue
        # Name may not contain spaces in xl; the last five columns are fixed.
        name, domid, mem, vcpus, state = parts[0], parts[1], parts[2], parts[3], parts[4]
        doms[name] = Domain(name, int(domid), int(mem), int(vcpus), state, float(parts[5]))
    return doms


def domain(name: str) -> Domain | None:
    return list_domains().get(name)


def long_info(name: str) -> dict[str, Any]:
    data: Any = json.loads(run("list", "-l", name).stdout)
    info: dict[str, Any] = data[0] if isinstance(data, list) else data
    return info


def wait_for(predicate: Any, timeout: float, interval: float = 0.5, what: str = "condition") -> Any:
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def wait_gone(name: str, timeout: float = 60) -> None:
    """`xl shutdown -w`/`xl destroy` can return before the domain is fully torn
    down; re-creating the same name before then fails, so wait for it."""
    wait_for(lambda: domain(name) is None, timeout, what=f"domain {name} to disappear")


def xenstore_read(path: str) -> str | None:
    proc = subprocess.run(["xenstore-read", path], capture_output=True, text=True, timeout=30)
    return proc.stdout.strip() if proc.returncode == 0 else None


def xenstore_ls(path: str) -> list[str]:
    proc = subprocess.run(["xenstore-list", path], capture_output=True, text=True, timeout=30)
    return proc.stdout.split() if proc.returncode == 0 else []
