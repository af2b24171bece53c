"""Domain-0's uptime comes from the boot clock, not a file read per record
(xm list and every ``xend.domain Domain-0`` call build one)."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from xend.domains import records


def test_host_uptime_reads_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    with open("/proc/uptime") as f:
        before = float(f.read().split()[0])
    opened: list[Any] = []

    def no_open(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        raise AssertionError(f"host_uptime opened {args}")

    monkeypatch.setattr(builtins, "open", no_open)
    uptime = records.host_uptime()
    monkeypatch.undo()
    with open("/proc/uptime") as f:
        after = float(f.read().split()[0])
    print(f"/proc/uptime {before:.2f}..{after:.2f}, host_uptime {uptime:.2f}")
    assert opened == []
    assert before - 0.02 <= uptime <= after + 0.02
