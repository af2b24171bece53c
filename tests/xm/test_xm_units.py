"""Pure argument parsers and formatters (xm.units), table-driven."""

from __future__ import annotations

import pytest

from xm.units import (format_cpumap, format_ranges, parse_cpu_list,
                      parse_cpus_arg, parse_memory_mib, parse_vcpu_arg)


@pytest.mark.parametrize("text,mib", [
    ("512", 512), ("0", 0), ("768m", 768), ("768M", 768), ("1g", 1024),
    ("2G", 2048), ("524288k", 512), ("524288K", 512), ("1023k", 0),
    ("1536k", 1), (" 256 ", 256),
])
def test_parse_memory_mib(text, mib):
    assert parse_memory_mib(text) == mib


@pytest.mark.parametrize("text", ["", "m", "lots", "1t", "1.5g", "-5",
                                  "+5", "5 m", "0x10", "1gb"])
def test_parse_memory_mib_rejects(text):
    with pytest.raises(ValueError):
        parse_memory_mib(text)


@pytest.mark.parametrize("text,cpus", [
    ("0", [0]), ("0-3", [0, 1, 2, 3]), ("0-3,5,^1", [0, 2, 3, 5]),
    ("3,1,2", [1, 2, 3]), ("1,1", [1]), ("0-7,^2-5", [0, 1, 6, 7]),
    ("^1,0-2", [0, 1, 2]),          # removal applies to what came before
    ("0,,2", [0, 2]),
])
def test_parse_cpu_list(text, cpus):
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("text", ["", "a", "3-1", "1-", "-1", "^1", "0-1,^0-1",
                                  "1.5"])
def test_parse_cpu_list_rejects(text):
    with pytest.raises(ValueError):
        parse_cpu_list(text)


@pytest.mark.parametrize("text,sent", [("all", "all"), ("0-3,5,^1", "0,2-3,5"),
                                       ("1-2", "1-2")])
def test_parse_cpus_arg(text, sent):
    assert parse_cpus_arg(text) == sent


@pytest.mark.parametrize("text,vcpu", [("all", -1), ("0", 0), ("3", 3)])
def test_parse_vcpu_arg(text, vcpu):
    assert parse_vcpu_arg(text) == vcpu


@pytest.mark.parametrize("text", ["-1", "x", ""])
def test_parse_vcpu_arg_rejects(text):
    with pytest.raises(ValueError):
        parse_vcpu_arg(text)


@pytest.mark.parametrize("cpus,text", [
    ([0, 1, 2, 3], "0-3"), ([1, 2, 4, 5], "1-2,4-5"), ([0], "0"),
    ([0, 1, 4, 6, 7], "0-1,4,6-7"), ([], "no cpus"), ([5, 3, 4, 3], "3-5"),
])
def test_format_ranges(cpus, text):
    assert format_ranges(cpus) == text


@pytest.mark.parametrize("cpus,nr,text", [
    ([0, 1, 2, 3], 4, "any cpu"),
    (list(range(64)), 4, "any cpu"),    # 4.4 pinned "all" as 0-63
    ([0, 1, 2], 4, "0-2"),
    ([1, 2], 4, "1-2"),
    ([], 4, "no cpus"),
    ([7, 9], 4, "no cpus"),
])
def test_format_cpumap(cpus, nr, text):
    assert format_cpumap(cpus, nr) == text
