"""xm info -n's cpu_topology and numa_info strings (xend 4.4's format)."""

from __future__ import annotations

from xend.domains.numainfo import format_cpu_topology, format_numa_info
from xend.hv.base import CpuTopology, NumaNode

GiB = 1024 * 1024


def test_cpu_topology_rows() -> None:
    cpus = [CpuTopology(0, 0, 0, 0), CpuTopology(1, 0, 0, 0),
            CpuTopology(12, 5, 1, 1)]
    assert format_cpu_topology(cpus) == (
        "\ncpu:    core    socket     node\n"
        "  0:       0        0        0\n"
        "  1:       0        0        0\n"
        " 12:       5        1        1")


def test_cpu_with_an_unknown_field_has_no_row() -> None:
    cpus = [CpuTopology(0, 0, 0, 0), CpuTopology(1, 1, None, 0)]
    assert format_cpu_topology(cpus).splitlines()[2:] == \
        ["  0:       0        0        0"]
    assert format_cpu_topology([]) == "\ncpu:    core    socket     node"


def test_numa_info_one_node() -> None:
    node = NumaNode(0, 8 * GiB, 7104 * 1024, (10,), 4 * GiB)
    assert format_numa_info([node]) == (
        "\nnode: TotalMemory FreeMemory dma32Memory NodeDist:   0 \n"
        "   0:      8192MB     7104MB      4096MB         :  10 ")


def test_numa_info_distances_and_gaps() -> None:
    """A missing node keeps its column; an unknown distance is '-'; an
    unknown dma32 figure (libxl) is 0; KiB round down to MiB."""
    nodes = [NumaNode(0, 16 * GiB + 1023, 2 * GiB, (10, 20, None)),
             NumaNode(2, 1 * GiB, 0, (20, 20, 10))]
    assert format_numa_info(nodes) == (
        "\nnode: TotalMemory FreeMemory dma32Memory NodeDist:   0    1    2 \n"
        "   0:     16384MB     2048MB         0MB         :  10   20 -    \n"
        "   2:      1024MB        0MB         0MB         :  20   20   10 ")


def test_numa_info_without_nodes_is_none() -> None:
    assert format_numa_info([]) == "none"
