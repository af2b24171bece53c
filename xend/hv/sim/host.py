"""The simulated host: what ``xm info`` reports and Xen's console ring.

The numbers describe a plausible x86-64 box running Xen 4.17 with the
simulator's cpu count, memory size and scheduler.  Xen keeps some memory for
itself (its heap, frame tables); the simulator charges a fixed
``XEN_RESERVED_KB`` so that free memory is total minus Xen minus the
domains' current memory, as ``xl info`` shows it.
"""

from __future__ import annotations

import socket

from xend.hv.base import CpuTopology, HostInfo, HostTopology, NumaNode

XEN_RESERVED_KB = 64 * 1024
CPU_MHZ = 2400
# A 64-bit AMD/Intel-like feature word dump, the format of xl info's hw_caps.
HW_CAPS = ("178bfbff:f6f83203:2c100800:00000121:0000000f:"
           "009c01a9:00000000:00000100")
XEN_CAPS = "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64"
XEN_EXTRA = ".0-sim"
# Xen's default console ring (conring_size) is 16 KiB.
CONSOLE_RING_BYTES = 16 * 1024
# ACPI SLIT's distance of a node to itself.
LOCAL_DISTANCE = 10
# The DMA32 zone ends at 4 GiB.
DMA32_LIMIT_KB = 4 * 1024 * 1024
SCHEDULERS = {"credit": "SMP Credit Scheduler (credit)",
              "credit2": "SMP Credit Scheduler rev2 (credit2)",
              "null": "null Scheduler (null)",
              "rtds": "SMP RTDS Scheduler (rtds)",
              "arinc653": "ARINC 653 Scheduler (arinc653)"}


def commandline(scheduler: str, dom0_memory_mib: int) -> str:
    return (f"placeholder dom0_mem={dom0_memory_mib}M,max:{dom0_memory_mib}M"
            f" sched={scheduler} console=ring loglvl=all")


def host_info(*, host_cpus: int, total_kb: int, free_kb: int,
              scheduler: str, dom0_memory_mib: int) -> HostInfo:
    return HostInfo(
        nr_cpus=host_cpus, nr_nodes=1, cores_per_socket=host_cpus,
        threads_per_core=1, cpu_mhz=CPU_MHZ, hw_caps=HW_CAPS,
        virt_caps="pv hvm hap shadow", total_memory_kb=total_kb,
        free_memory_kb=free_kb, xen_major=4, xen_minor=17,
        xen_extra=XEN_EXTRA, xen_caps=XEN_CAPS, xen_scheduler=scheduler,
        xen_pagesize=4096, platform_params="virt_start=0xffff800000000000",
        xen_changeset="Simulated hypervisor (no Xen): xend.hv.sim",
        xen_commandline=commandline(scheduler, dom0_memory_mib),
        cc_compiler="gcc (Debian 12.2.0-14) 12.2.0",
        cc_compile_by="sim", cc_compile_domain="localdomain",
        cc_compile_date="Wed Nov  1 00:00:00 UTC 2023",
        extra={"host": socket.gethostname(), "backend": "sim"})


def topology(*, host_cpus: int, free_kb: int,
             total_kb: int) -> HostTopology:
    """One socket, one node: cpu ``i`` is core ``i`` (no hyperthreads),
    matching ``host_info``'s cores_per_socket and threads_per_core.

    The node holds all of the host's memory.  Its free DMA32 memory (what
    4.4 showed as dma32Memory) is the free memory up to 4 GiB: Xen hands
    domains memory from the top of the address space down, so the memory
    below 4 GiB is the last to go; the simulator models no MMIO hole.
    """
    cpus = tuple(CpuTopology(cpu=i, core=i, socket=0, node=0)
                 for i in range(host_cpus))
    node = NumaNode(node=0, total_kb=total_kb, free_kb=free_kb,
                    distances=(LOCAL_DISTANCE,),
                    dma32_free_kb=min(free_kb, DMA32_LIMIT_KB))
    return HostTopology(cpus=cpus, nodes=(node,))


def boot_log(*, host_cpus: int, total_kb: int, scheduler: str,
             dom0_memory_mib: int) -> list[str]:
    """The first lines Xen prints at boot, for ``xm dmesg``."""
    lines = [
        " Xen 4.17" + XEN_EXTRA,
        "(XEN) Xen version 4.17" + XEN_EXTRA + " (sim@localdomain) "
        "(gcc (Debian 12.2.0-14) 12.2.0) debug=n Wed Nov  1 00:00:00 UTC 2023",
        "(XEN) Latest ChangeSet: Simulated hypervisor (no Xen): xend.hv.sim",
        "(XEN) Bootloader: simulated",
        f"(XEN) Simulated host {socket.gethostname()}: {host_cpus} CPUs, "
        f"{total_kb // 1024} MiB RAM (xend.hv.sim, no hypervisor)",
        "(XEN) Command line: " + commandline(scheduler, dom0_memory_mib),
        "(XEN) Xen image load base address: 0",
        "(XEN) Video information:",
        "(XEN)  VGA is text mode 80x25, font 8x16",
        f"(XEN) System RAM: {total_kb // 1024}MB ({total_kb}kB)",
        "(XEN) Domain heap initialised",
        f"(XEN) Using scheduler: {SCHEDULERS.get(scheduler, scheduler)}",
        f"(XEN) Allocated console ring of {CONSOLE_RING_BYTES // 1024} KiB.",
        "(XEN) HVM: ASIDs enabled.",
        "(XEN) HVM: Hardware Assisted Paging (HAP) detected",
        f"(XEN) Brought up {host_cpus} CPUs",
        "(XEN) *** LOADING DOMAIN 0 ***",
        f"(XEN) Dom0 has maximum {host_cpus} VCPUs",
        f"(XEN) Dom0 memory: {dom0_memory_mib}MB",
        "(XEN) Initial low memory virq threshold set at 0x4000 pages.",
        "(XEN) Scrubbing Free RAM in background",
        "(XEN) Std. Loglevel: All",
        "(XEN) Guest Loglevel: All",
        "(XEN) *** Serial input to DOM0 (type 'CTRL-a' three times to "
        "switch input)",
        "(XEN) Freed 644kB init memory",
    ]
    return lines


def append_ring(ring: list[str], lines: list[str]) -> None:
    """Append to the console ring, dropping the oldest past its size."""
    ring.extend(lines)
    total = sum(len(line) + 1 for line in ring)
    while ring and total > CONSOLE_RING_BYTES:
        total -= len(ring.pop(0)) + 1
