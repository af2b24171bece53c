"""VCPU commands: ``xm vcpu-set``, ``xm vcpu-pin`` and ``xm vcpu-list``."""

from __future__ import annotations

from typing import Any

from xm import render
from xm.context import XmContext


def set_vcpus(xm: XmContext, dom: str, vcpus: int) -> None:
    xm.call("xend.domain.setVCpuCount", dom, vcpus)


def pin_vcpu(xm: XmContext, dom: str, vcpu: int, cpus: str) -> None:
    # vcpu -1 means all vcpus; cpus is "all" or a normalised "0,2,3".
    xm.call("xend.domain.pincpu", dom, vcpu, cpus)


def list_vcpus(xm: XmContext, doms: list[str]) -> None:
    if doms:
        records: list[Any] = [xm.call("xend.domain", d) for d in doms]
    else:
        records = render.sort_by_name(
            xm.call("xend.domains_with_state", True, "all", False))
    # getVCPUInfo by name: names are unique and stay valid for inactive
    # managed domains, which have no domid.
    rows = [(rec, xm.call("xend.domain.getVCPUInfo", rec["name"]))
            for rec in records]
    xm.out.write(render.vcpu_list(rows))
