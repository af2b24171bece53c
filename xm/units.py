"""Pure parsers and formatters for xm's argument syntaxes.

* memory sizes: ``512`` (MiB), ``1g``, ``768m``, ``524288k``;
* CPU lists: ``0-3,5,^1`` (``^n`` removes n from the set built so far);
* CPU affinity maps back to text: ``any cpu``, ``0-3,5,7-8``, ``no cpus``.

Parsers raise :class:`ValueError`, which xm reports as 4.4 did
(``Error: Invalid argument.`` + usage).
"""

from __future__ import annotations

from typing import Iterable

from xend.limits import CPU_LIMIT

_UNIT_KIB = {"k": 1, "m": 1024, "g": 1024 * 1024}


def parse_memory_mib(text: str) -> int:
    """A memory size in MiB; the unit suffix k/m/g is optional (MiB).

    Like xm 4.4 (``int_unit``) a KiB value is rounded down to whole MiB.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty memory size")
    unit = "m"
    if s[-1].isalpha():
        unit = s[-1].lower()
        s = s[:-1]
        if unit not in _UNIT_KIB:
            raise ValueError(f"unknown memory unit in {text!r}")
    if not s.isdigit():             # no sign, no spaces, no fractions
        raise ValueError(f"bad memory size {text!r}")
    return int(s) * _UNIT_KIB[unit] // 1024


def _cpu_range(item: str) -> range:
    lo, sep, hi = item.partition("-")
    if not lo.isdigit() or (sep and not hi.isdigit()):
        raise ValueError(f"bad cpu {item!r}")
    first, last = int(lo), int(hi) if sep else int(lo)
    if last < first:
        raise ValueError(f"bad cpu range {item!r}")
    # No Xen host has CPUs from CPU_LIMIT on: clipped before it is expanded
    # (xend ignores the CPUs this host lacks, as xl does).
    return range(first, min(last, CPU_LIMIT - 1) + 1)


def parse_cpu_list(text: str) -> list[int]:
    """``0-3,5,^1`` -> [0, 2, 3, 5]; ``^n`` / ``^a-b`` remove from the set
    built so far (left to right, as xm 4.4 did)."""
    cpus: set[int] = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("^"):
            cpus.difference_update(_cpu_range(item[1:]))
        else:
            cpus.update(_cpu_range(item))
    if not cpus:
        raise ValueError(f"no cpus in {text!r}")
    return sorted(cpus)


def parse_cpus_arg(text: str) -> str:
    """The CPUs argument of ``xm vcpu-pin``: ``all`` or a normalised list
    in ranges (``0-3,^2`` -> ``0-1,3``), short whatever the range was."""
    if text == "all":
        return "all"
    return format_ranges(parse_cpu_list(text))


def parse_vcpu_arg(text: str) -> int:
    """The VCPU argument of ``xm vcpu-pin``: a number, or ``all`` (-1)."""
    if text == "all":
        return -1
    value = int(text)
    if value < 0:
        raise ValueError("negative vcpu")
    return value


def format_ranges(cpus: Iterable[int]) -> str:
    """[0, 1, 2, 3, 5, 7, 8] -> ``0-3,5,7-8``; nothing -> ``no cpus``."""
    ordered = sorted(set(cpus))
    if not ordered:
        return "no cpus"
    parts = []
    start = prev = ordered[0]
    for c in ordered[1:] + [None]:
        if c is not None and c == prev + 1:
            prev = c
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if c is not None:
            start = prev = c
    return ",".join(parts)


def format_cpumap(cpus: Iterable[int], nr_host_cpus: int) -> str:
    """An affinity as ``xm vcpu-list`` shows it: ``any cpu`` when it covers
    every host CPU (CPUs beyond the host are ignored), else ranges."""
    present = {c for c in cpus if 0 <= c < nr_host_cpus}
    if nr_host_cpus > 0 and len(present) == nr_host_cpus:
        return "any cpu"
    return format_ranges(present)
