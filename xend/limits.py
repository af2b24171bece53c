"""Xen's hard limits on what one domain can have, shared by the config model,
xm and both backends (sim and libxl).

Every size, count and CPU number a user gives is checked against these
*before* anything is built from it (a vcpu list, a CPU range, a bitmap), so
that an absurd value is one clear error and never a MemoryError.  This
module must stay importable without Xen and without any daemon code.
"""

from __future__ import annotations

#: vcpus per guest, by libxl domain type: Xen's HVM_MAX_VCPUS (PVH guests
#: are HVM containers) and the PV ABI's limit.
MAX_VCPUS = {"pv": 512, "pvh": 128, "hvm": 128}
#: The same, by xm builder.
MAX_VCPUS_BY_BUILDER = {"linux": MAX_VCPUS["pv"], "pvh": MAX_VCPUS["pvh"],
                        "hvm": MAX_VCPUS["hvm"]}

#: No Xen host has a CPU numbered this or higher: Xen is built for at most
#: NR_CPUS CPUs, 4095 in Xen 4.17 and 16383 in later releases.  CPU ranges
#: are clipped to this (or to the host's count) before being expanded.
CPU_LIMIT = 16384

#: Xen counts a domain's pages in 32 bits (``max_pages``): at most
#: 2**32 - 1 pages of 4 KiB, just under 16 TiB.  libxl adds 1 MiB of slack
#: (LIBXL_MAXMEM_CONSTANT) to the maximum it gives Xen, so that is left out.
MAX_MEMORY_KB = (2**32 - 1) * 4 - 1024
MAX_MEMORY_MIB = MAX_MEMORY_KB // 1024

#: Network interfaces one config may ask for (``nics=``, which pads the vif
#: list with default vifs).  libxl sets no number; each vif takes event
#: channels and grant pages from the guest's own limited tables, so no
#: guest boots with anywhere near this many.
MAX_NICS = 1024


def memory_error(what: str, value: int, unit: str = "MiB") -> str | None:
    """The one-line complaint for a memory size above Xen's limit, or None."""
    limit = MAX_MEMORY_MIB if unit == "MiB" else MAX_MEMORY_KB
    if value > limit:
        return (f"Invalid {what}: {value} {unit} is more than Xen can give "
                f"a domain ({limit} {unit})")
    return None
