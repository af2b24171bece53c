"""libxl's cpu topology and NUMA lists as :class:`xend.hv.base.HostTopology`.

Pure functions over the JSON of ``libxl_cputopology`` and ``libxl_numainfo``
(see :meth:`bindings.libxl.Libxl.cpu_topology` / ``numa_info``).  Entries
Xen reports as invalid are handled as ``xl info -n`` handles them: a cpu
whose core is ``LIBXL_CPUTOPOLOGY_INVALID_ENTRY`` is offline and left out,
and so is a node whose size is ``LIBXL_NUMAINFO_INVALID_ENTRY`` (a node
without memory).
"""

from __future__ import annotations

from typing import Sequence

from xend.hv.base import JSON, CpuTopology, HostTopology, NumaNode

# ~(uint32_t)0, the value of both *_INVALID_ENTRY macros in libxl.h.  libxl
# stores it in the 64-bit size/free fields too, so it compares the same.
INVALID_ENTRY = 0xFFFFFFFF


def _valid(entry: JSON, key: str) -> int | None:
    # libxl's JSON printer leaves out a field at its default (0).
    value = int(entry.get(key) or 0)
    return None if value == INVALID_ENTRY else value


def cpu_topology(entries: Sequence[JSON]) -> tuple[CpuTopology, ...]:
    """The online cpus, indexed as libxl lists them."""
    cpus = []
    for cpu, entry in enumerate(entries):
        core = _valid(entry, "core")
        if core is None:
            continue
        cpus.append(CpuTopology(cpu=cpu, core=core,
                                socket=_valid(entry, "socket"),
                                node=_valid(entry, "node")))
    return tuple(cpus)


def numa_nodes(entries: Sequence[JSON]) -> tuple[NumaNode, ...]:
    """The nodes with memory; sizes come from libxl in bytes."""
    nodes = []
    for node, entry in enumerate(entries):
        size = _valid(entry, "size")
        if size is None:
            continue
        free = _valid(entry, "free")
        nodes.append(NumaNode(
            node=node, total_kb=size // 1024,
            free_kb=(free or 0) // 1024,
            distances=tuple(None if int(d) == INVALID_ENTRY else int(d)
                            for d in entry.get("dists") or ())))
    return tuple(nodes)


def host_topology(cputopology: Sequence[JSON],
                  numainfo: Sequence[JSON]) -> HostTopology:
    return HostTopology(cpus=cpu_topology(cputopology),
                        nodes=numa_nodes(numainfo))
