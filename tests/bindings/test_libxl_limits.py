"""LibxlHypervisor refuses sizes and counts beyond Xen's limits before any
libxl call, and drops CPUs the host lacks from an affinity (as Xen does)."""

from __future__ import annotations

from typing import Any

import pytest

from test_libxl_backend import FakeLibxl
from xend import errors as xe
from xend.hv.libxl import LibxlHypervisor


class LimitsLibxl(FakeLibxl):
    host = {"nr_cpus": 4}

    def set_vcpu_affinity(self, domid: int, vcpu: int,
                          cpus: list[int]) -> None:
        self._call("set_vcpu_affinity", domid, vcpu, cpus)

    def set_max_memory(self, domid: int, max_kb: int) -> None:
        self._call("set_max_memory", domid, max_kb)

    def set_memory_target(self, domid: int, target_kb: int) -> None:
        self._call("set_memory_target", domid, target_kb)


@pytest.fixture
def fake() -> LimitsLibxl:
    return LimitsLibxl()


@pytest.fixture
def hv(fake: LimitsLibxl) -> LibxlHypervisor:
    return LibxlHypervisor(libxl=fake)  # type: ignore[arg-type]


def test_affinity_drops_cpus_the_host_lacks(hv: LibxlHypervisor,
                                            fake: LimitsLibxl) -> None:
    hv.set_vcpu_affinity(5, 0, [0, 3, 4, 63, 10**12])
    assert fake.calls == [("set_vcpu_affinity", 5, 0, [0, 3])]
    with pytest.raises(xe.InvalidArgument, match="cpu 4 does not exist"):
        hv.set_vcpu_affinity(5, 0, [4, 63])
    assert len(fake.calls) == 1


def test_absurd_memory_never_reaches_libxl(hv: LibxlHypervisor,
                                           fake: LimitsLibxl) -> None:
    for op in (hv.set_max_memory, hv.set_memory_target):
        with pytest.raises(xe.InvalidArgument, match="more than Xen can give"):
            op(5, 10**30)
    assert fake.calls == []


@pytest.mark.parametrize("b_info", [
    {"max_memkb": 10**30, "target_memkb": 1024},
    {"max_memkb": 1024, "target_memkb": 10**30},
    {"max_vcpus": 10**8, "avail_vcpus": [0]},
])
def test_create_refuses_beyond_xen_limits(hv: LibxlHypervisor,
                                          fake: LimitsLibxl,
                                          b_info: dict[str, Any]) -> None:
    with pytest.raises(xe.InvalidArgument):
        hv.create({"c_info": {"type": "pv", "name": "w"}, "b_info": b_info})
    assert fake.calls == []
