"""xm's ``cpuid`` entries <-> libxl's ``b_info.cpuid`` policy JSON.

An entry is xend 4.4's syntax, ``LEAF[,SUBLEAF]:REG=VALUE[,REG=VALUE...]``:
LEAF and SUBLEAF are decimal or ``0x`` hex; REG is ``eax``, ``ebx``,
``ecx`` or ``edx``; VALUE is 32 policy characters, most significant bit
first (``1``/``0`` force the bit, ``x`` keeps Xen's default, ``k`` and
``s`` take the host's), or a ``0x`` number, which xend turned into the 32
forced bits it spells.  libxl 4.17 still reads this syntax (xl's list form
of ``cpuid=`` calls ``libxl_cpuid_parse_config_xend``) into one policy
object per (leaf, subleaf) -- ``{"leaf", "subleaf", "eax" ...}`` --
merging entries that name the same input, later registers winning.

In JSON, libxl 4.17.0 and 4.17.1 read the policy only as a bare array of
those objects; 4.17.2 and later (4.18 on) print ``{"cpuid": [...], "msr":
[...]}`` but still read the bare array.  :func:`cpuid_policy_json` writes
the array, which every 4.17 reads the same way.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from xend.errors import ConfigError

JSON = dict[str, Any]

REGISTERS = ("eax", "ebx", "ecx", "edx")
POLICY_CHARS = frozenset("01xks")
# ASCII only, no sign or "_" (int() alone takes "1_0", "+1" and "١")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10}")


def _number(text: str, entry: str, what: str) -> int:
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        raise ConfigError(f"Invalid cpuid entry {entry!r}: {what} "
                          f"{text!r} is not a number (decimal, or hex "
                          "after 0x)")
    value = int(text, 0) if text[:2].lower() == "0x" else int(text, 10)
    if not 0 <= value <= 0xFFFFFFFF:
        raise ConfigError(f"Invalid cpuid entry {entry!r}: {what} "
                          f"{text!r} is out of range")
    return value


def _policy(value: str, entry: str, reg: str) -> str:
    value = value.strip()
    if value[:2].lower() == "0x":
        bits = _number(value, entry, reg)
        return format(bits, "032b")
    if len(value) != 32 or not set(value) <= POLICY_CHARS:
        raise ConfigError(f"Invalid cpuid entry {entry!r}: {reg} needs 32 "
                          "characters of 0, 1, x, k, s (or a 0x number)")
    return value


def parse_cpuid_entry(entry: str) -> tuple[int, int | None, dict[str, str]]:
    """``(leaf, subleaf or None, {register: 32 policy characters})``."""
    if not isinstance(entry, str) or ":" not in entry:
        raise ConfigError(f"Invalid cpuid entry {entry!r}: expected "
                          "LEAF[,SUBLEAF]:REG=VALUE,...")
    inputs, _, regs = entry.partition(":")
    leaf_text, comma, sub_text = inputs.partition(",")
    leaf = _number(leaf_text, entry, "leaf")
    subleaf = _number(sub_text, entry, "subleaf") if comma else None
    policy: dict[str, str] = {}
    for item in regs.split(","):
        reg, eq, value = item.partition("=")
        reg = reg.strip()
        if not eq or reg not in REGISTERS:
            raise ConfigError(f"Invalid cpuid entry {entry!r}: registers "
                              "are set as (eax|ebx|ecx|edx)=VALUE")
        policy[reg] = _policy(value, entry, reg)
    return leaf, subleaf, policy


def cpuid_policy_json(entries: Iterable[str]) -> list[JSON]:
    """The ``b_info.cpuid`` array of leaves for xm's *entries*."""
    merged: dict[tuple[int, int | None], dict[str, str]] = {}
    for entry in entries:
        leaf, subleaf, policy = parse_cpuid_entry(entry)
        merged.setdefault((leaf, subleaf), {}).update(policy)
    leaves: list[JSON] = []
    for (leaf, subleaf), policy in merged.items():
        item: JSON = {"leaf": leaf}
        if subleaf is not None:
            item["subleaf"] = subleaf
        item.update((reg, policy[reg]) for reg in REGISTERS if reg in policy)
        leaves.append(item)
    return leaves


def cpuid_entries_from_json(doc: Any) -> tuple[str, ...]:
    """xm entries for a ``b_info.cpuid`` value (the bare array of leaves,
    or the object libxl 4.17.2 and later print).  MSR policies have no xm
    spelling and are left out; so are malformed leaves."""
    leaves = doc.get("cpuid") if isinstance(doc, dict) else doc
    if not isinstance(leaves, list):
        return ()
    out: list[str] = []
    for item in leaves:
        if not isinstance(item, dict) or not isinstance(item.get("leaf"), int):
            continue
        inputs = f"{item['leaf']:#x}"
        if isinstance(item.get("subleaf"), int):
            inputs += f",{item['subleaf']:#x}"
        regs = [f"{reg}={item[reg]}" for reg in REGISTERS
                if isinstance(item.get(reg), str)]
        if regs:
            out.append(f"{inputs}:{','.join(regs)}")
    return tuple(out)
