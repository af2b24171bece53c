"""``xm info -n``'s two multi-line values, formatted as xend 4.4 did.

4.4's ``XendNode.format_cpu_to_core_socket_node`` and ``format_numa_info``
built these strings in the daemon; ``xm info`` prints them after the key
like any other value, so each starts with a newline.  Memory is in MiB.

One deliberate difference: 4.4.0's distance loop used a name it never
defined, so its catch-all turned the whole numa_info value into ``none``
on every host.  We print what that code meant to print: one distance
column per node, ``-`` where Xen gave no distance.
"""

from __future__ import annotations

from typing import Sequence

from xend.hv.base import CpuTopology, NumaNode

CPU_HEADER = "cpu:    core    socket     node"
NUMA_HEADER = "node: TotalMemory FreeMemory dma32Memory NodeDist:"


def format_cpu_topology(cpus: Sequence[CpuTopology]) -> str:
    """A newline, the header, then ``'%3d:%8d %8d %8d'`` per cpu.

    A cpu with an unknown core, socket or node has no row (4.4 skipped
    the row it could not format)."""
    lines = ["", CPU_HEADER]
    for c in cpus:
        if c.core is None or c.socket is None or c.node is None:
            continue
        lines.append("%3d:%8d %8d %8d" % (c.cpu, c.core, c.socket, c.node))
    return "\n".join(lines)


def format_numa_info(nodes: Sequence[NumaNode]) -> str:
    """A newline, the header with one ``'%4d '`` per node id, then a row per
    node: its memory (total, free, free below 4 GiB; 0 when unknown) and
    its distance to each node."""
    if not nodes:
        return "none"
    columns = max(max(n.node for n in nodes) + 1,
                  max(len(n.distances) for n in nodes))
    lines = ["", NUMA_HEADER + "".join("%4d " % j for j in range(columns))]
    for n in nodes:
        row = "%4d:  %8dMB %8dMB  %8dMB         :" % (
            n.node, n.total_kb // 1024, n.free_kb // 1024,
            (n.dma32_free_kb or 0) // 1024)
        for j in range(columns):
            dist = n.distances[j] if j < len(n.distances) else None
            row += "-    " if dist is None else "%4d " % dist
        lines.append(row)
    return "\n".join(lines)
