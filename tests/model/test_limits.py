"""Sizes, counts and CPU ranges are checked against Xen's limits before
anything is built from them (the config model and the CPU-list parser).

Values that would take all memory where the checks are missing are tried
only in a child with a capped address space (:mod:`tests.memlimit`); the
in-process tests use values that are cheap even without the checks."""

from __future__ import annotations

import pytest

from tests.memlimit import run_limited
from xend.errors import ConfigError
from xend.limits import CPU_LIMIT, MAX_MEMORY_MIB
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import to_libxl_json
from xend.model.values import parse_cpu_list


def pv(**extra: object) -> DomainConfig:
    return DomainConfig(name="lim", kernel="/boot/vmlinuz", **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("spec, host, cpus", [
    ("0-63", 4, [0, 1, 2, 3]),              # xl ignores CPUs the host lacks
    ("2,7,9", 4, [2]),
    ("0-100000", 4, [0, 1, 2, 3]),
    ("0-100000,^1", 4, [0, 2, 3]),
    ("^0-100000,1", 4, []),                 # all removed: the caller decides
    ("0-100000", None, list(range(CPU_LIMIT))),
])
def test_cpu_ranges_are_clipped_to_the_host(spec: str, host: int | None,
                                            cpus: list[int]) -> None:
    assert parse_cpu_list(spec, host) == cpus


@pytest.mark.parametrize("spec, host, message", [
    ("4-63", 4, "none of its CPUs exists .the host has only 4 CPUs"),
    ("8", 4, "only 4 CPUs"),
    ("16384-100000", None, "no Xen host has CPUs beyond 16383"),
    ("0-" + "9" * 5000, 4, "Invalid cpus specification"),
])
def test_cpu_specs_naming_no_host_cpu_are_refused(spec: str, host: int | None,
                                                  message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_cpu_list(spec, host)


@pytest.mark.parametrize("changes, message", [
    ({"vcpus": 10**8}, "vcpus: 100000000 .must be between 1 and 512"),
    ({"maxvcpus": 10**30}, "maxvcpus"),
    ({"builder": "hvm", "vcpus": 129}, "vcpus: 129 .must be between 1 and 128"),
    ({"memory": 10**30}, "memory"),
    ({"maxmem": MAX_MEMORY_MIB + 1}, "maxmem"),
    ({"shadow_memory": 10**30}, "shadow_memory"),
    ({"cpu": 10**30}, "cpu"),
    ({"vcpus": 2, "cpus": ("0",) * 513}, "513 entries"),
])
def test_absurd_config_values_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        pv(**changes).validate()


def test_limits_themselves_are_accepted() -> None:
    pv(vcpus=512, memory=MAX_MEMORY_MIB).validate()
    pv(builder="hvm", vcpus=128).validate()


def test_affinity_json_lists_only_host_cpus() -> None:
    doc = to_libxl_json(pv(vcpus=2, cpus="0-100000"), max_cpus=4)
    assert doc["b_info"]["vcpu_hard_affinity"] == [[0, 1, 2, 3]] * 2
    doc = to_libxl_json(pv(vcpus=2, cpus=("all", "1-63")), max_cpus=4)
    assert doc["b_info"]["vcpu_hard_affinity"] == [[0, 1, 2, 3], [1, 2, 3]]


def test_absurd_values_refused_without_ballooning() -> None:
    """Under a 200 MiB cap the refusals (and clipped ranges) must come
    before any list is built: before the fix each of these died of
    MemoryError."""
    out = run_limited('''
        from xend.model.domconfig import DomainConfig
        from xend.model.libxl_json import to_libxl_json
        from xend.model.values import parse_cpu_list
        def cfg(**kw):
            return DomainConfig(name="lim", kernel="/boot/k", **kw)
        tried("vcpus=10**8 to libxl JSON",
              lambda: to_libxl_json(cfg(vcpus=10**8), 4))
        tried("cpus='0-100000000' validate",
              lambda: cfg(cpus="0-100000000").validate() and "valid")
        tried("cpus='0-100000000' to libxl JSON",
              lambda: to_libxl_json(cfg(cpus="0-100000000"), 4)
              ["b_info"]["vcpu_hard_affinity"])
        tried("parse '0-99999999999' on 4 cpus",
              lambda: parse_cpu_list("0-99999999999", 4))
    ''')
    assert "MemoryError" not in out
    assert "vcpus=10**8 to libxl JSON: refused: ConfigError: Invalid value " \
        "for vcpus: 100000000" in out
    assert "to libxl JSON: accepted: [[0, 1, 2, 3]]" in out
    assert "parse '0-99999999999' on 4 cpus: accepted: [0, 1, 2, 3]" in out
