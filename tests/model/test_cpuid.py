"""xend's cpuid entries: parsing, the libxl policy JSON, and back."""

from __future__ import annotations

import pytest

from xend.errors import ConfigError
from xend.model.cpuid import (cpuid_entries_from_json, cpuid_policy_json,
                              parse_cpuid_entry)
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import to_libxl_json

BITS = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1"


@pytest.mark.parametrize("entry, parsed", [
    (f"1:eax={BITS}", (1, None, {"eax": BITS})),
    (f"0x80000001:ecx={BITS}", (0x80000001, None, {"ecx": BITS})),
    (f"0xd,1:eax={BITS}, ebx=kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
     (0xD, 1, {"eax": BITS, "ebx": "k" * 32})),
    # xend turned a 0x number into the 32 bits it forces, MSB first
    ("1:edx=0x5", (1, None, {"edx": "0" * 29 + "101"})),
    ("4,0:eax=0xFFFFFFFF", (4, 0, {"eax": "1" * 32})),
])
def test_parse(entry: str, parsed: object) -> None:
    assert parse_cpuid_entry(entry) == parsed


@pytest.mark.parametrize("entry", [
    "", "eax=" + BITS, f"x1:eax={BITS}", f"8000000a:eax={BITS}",
    f"1,:eax={BITS}", "1:", f"1:esi={BITS}", f"1:eax {BITS}",
    "1:eax=" + BITS[:-1], "1:eax=" + BITS[:-1] + "q", "1:eax=0x100000000",
    f"0x100000000:eax={BITS}", f"-1:eax={BITS}", f"+1:eax={BITS}",
    f"1_0:eax={BITS}", f"\u0661:eax={BITS}", f"0x:eax={BITS}",
    f"4294967296:eax={BITS}", "1:eax=0x" + "0" * 9, 1,
])
def test_parse_errors(entry: object) -> None:
    with pytest.raises(ConfigError, match="Invalid cpuid entry"):
        parse_cpuid_entry(entry)  # type: ignore[arg-type]


def test_bad_entries_are_refused_at_translation() -> None:
    # a stored config (from before cpuid was translated) still loads; it
    # is refused when xend translates it, at start (xm refuses it at
    # once: tests/config/test_loader.py)
    cfg = DomainConfig(name="a", kernel="/k", cpuid=["1:eax=1"])
    assert DomainConfig.from_dict(cfg.to_dict()).cpuid == ("1:eax=1",)
    with pytest.raises(ConfigError, match="Invalid cpuid entry"):
        to_libxl_json(cfg)


def test_entries_for_one_input_are_merged_later_wins() -> None:
    doc = cpuid_policy_json([f"1:eax={BITS},ecx={BITS}",
                             "1:ecx=" + "0" * 32, "0x1,0:eax=" + "1" * 32])
    assert doc == [{"leaf": 1, "eax": BITS, "ecx": "0" * 32},
                   {"leaf": 1, "subleaf": 0, "eax": "1" * 32}]


def test_back_from_json() -> None:
    entries = (f"1:eax={BITS}", "0xd,1:edx=0x1,ebx=" + "s" * 32)
    doc = cpuid_policy_json(entries)
    back = cpuid_entries_from_json(doc)
    assert back == (f"0x1:eax={BITS}",
                    f"0xd,0x1:ebx={'s' * 32},edx={'0' * 31}1")
    assert cpuid_policy_json(back) == doc
    # libxl 4.17.2 and later print an object; MSRs have no xm form
    assert cpuid_entries_from_json({"cpuid": doc, "msr": []}) == back
    assert cpuid_entries_from_json(
        {"cpuid": [], "msr": [{"index": 1, "policy": "x" * 64}]}) == ()
    assert cpuid_entries_from_json(None) == ()
    assert cpuid_entries_from_json([{"leaf": "1"}, 3, {"leaf": 2}]) == ()
