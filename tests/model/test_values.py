"""Parsers for CPU lists, vif rates, memory sizes, names and actions."""

from __future__ import annotations

import pytest

from xend.errors import ConfigError
from xend.model.values import (check_action, check_mac, check_name,
                               check_uuid, parse_cpu_list, parse_kv_list,
                               parse_memory_mib, parse_vif_rate)


@pytest.mark.parametrize("spec, max_cpus, cpus", [
    ("0-3,5,^1", None, [0, 2, 3, 5]),
    ("^1,0-3", None, [0, 2, 3]),          # exclusions apply wherever they are
    ("0", None, [0]),
    ("", None, []),
    (" 2 , 3 ", None, [2, 3]),
    ("all", 4, [0, 1, 2, 3]),
    ("all,^0", 4, [1, 2, 3]),
    ("0-7,^2-5", None, [0, 1, 6, 7]),
])
def test_parse_cpu_list(spec: str, max_cpus: int | None,
                        cpus: list[int]) -> None:
    assert parse_cpu_list(spec, max_cpus) == cpus


@pytest.mark.parametrize("spec, max_cpus, message", [
    ("all", None, "needs the host CPU count"),
    ("3-1", None, "backwards"),
    ("a", None, "Invalid cpus"),
    ("0-", None, "Invalid cpus"),
    ("8", 4, "only 4 CPUs"),
])
def test_parse_cpu_list_errors(spec: str, max_cpus: int | None,
                               message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_cpu_list(spec, max_cpus)


@pytest.mark.parametrize("rate, result", [
    ("10Mb/s", (62500, 50000)),          # xl's documented example
    ("10MB/s", (500000, 50000)),
    ("1Gb/s", (6250000, 50000)),
    ("100Kb/s@20ms", (250, 20000)),
    ("1MB/s@1s", (1000000, 1000000)),
    ("8b/s@500us", (0, 500)),
    ("1000B/s@2", (2000, 2000000)),      # bare interval is seconds
])
def test_parse_vif_rate(rate: str, result: tuple[int, int]) -> None:
    assert parse_vif_rate(rate) == result


@pytest.mark.parametrize("rate", ["10Mb", "Mb/s", "0Mb/s", "10Mb/s@",
                                  "10Mb/s@0ms", "10Xb/s", "10Mb/s@5h"])
def test_parse_vif_rate_errors(rate: str) -> None:
    with pytest.raises(ConfigError, match="Invalid vif rate"):
        parse_vif_rate(rate)


@pytest.mark.parametrize("value, mib", [
    ("512", 512), (512, 512), ("1g", 1024), ("1G", 1024), ("768m", 768),
    ("262144k", 256), ("1t", 1024 * 1024), (" 64 ", 64),
])
def test_parse_memory(value: str | int, mib: int) -> None:
    assert parse_memory_mib(value) == mib


@pytest.mark.parametrize("value", ["", "abc", "-5", "1.5g", True, -1])
def test_parse_memory_errors(value: object) -> None:
    with pytest.raises(ConfigError, match="Invalid memory size"):
        parse_memory_mib(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name, ok", [
    ("guest1", True), ("Domain-0", True), ("a.b:c+d_e", True),
    ("", False), ("has space", False), ("slash/no", False),
])
def test_check_name(name: str, ok: bool) -> None:
    if ok:
        assert check_name(name) == name
    else:
        with pytest.raises(ConfigError, match="Invalid domain name"):
            check_name(name)


def test_check_mac_and_uuid() -> None:
    assert check_mac("00:16:3E:AA:bb:cc") == "00:16:3e:aa:bb:cc"
    with pytest.raises(ConfigError, match="Invalid MAC"):
        check_mac("00:16:3e:aa:bb")
    assert check_uuid("5F3C8E2A-1b2c-4d5e-8f90-0123456789ab") == \
        "5f3c8e2a-1b2c-4d5e-8f90-0123456789ab"
    with pytest.raises(ConfigError, match="Invalid uuid"):
        check_uuid("5f3c8e2a")


@pytest.mark.parametrize("key, value, ok", [
    ("on_poweroff", "destroy", True),
    ("on_reboot", "rename-restart", True),
    ("on_crash", "coredump-restart", True),
    ("on_reboot", "coredump-restart", False),
    ("on_poweroff", "reboot", False),
    ("on_xend_start", "start", True),
    ("on_xend_stop", "suspend", True),
    ("on_xend_stop", "start", False),
])
def test_check_action(key: str, value: str, ok: bool) -> None:
    if ok:
        assert check_action(key, value) == value
    else:
        with pytest.raises(ConfigError, match=f"Invalid value for {key}"):
            check_action(key, value)


def test_parse_kv_list() -> None:
    assert parse_kv_list(" mac=00:16:3e:00:00:01 , bridge = br0", "vif") == [
        ("mac", "00:16:3e:00:00:01"), ("bridge", "br0")]
    assert parse_kv_list("  ", "vif") == []
    with pytest.raises(ConfigError, match="should be a pair"):
        parse_kv_list("bridge", "vif")
