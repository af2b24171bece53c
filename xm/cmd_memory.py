"""Memory commands: ``xm mem-set`` (balloon target) and ``xm mem-max``.

The ``Mem`` argument is parsed by :func:`xm.units.parse_memory_mib` in the
command table, so a handler only forwards MiB to xend.
"""

from __future__ import annotations

from xm.context import XmContext


def set_memory_target(xm: XmContext, dom: str, mem: int) -> None:
    xm.call("xend.domain.setMemoryTarget", dom, mem)


def set_memory_max(xm: XmContext, dom: str, mem: int) -> None:
    xm.call("xend.domain.maxmem_set", dom, mem)
