"""Which domains can have their core dumped: the rule both backends share.

A PV guest's memory map (the p2m table, and Xen's ``max_pfn`` for it in
the shared info page) is written by the guest's own kernel early in its
boot.  Until that kernel has run, libxc has nothing to walk
(``xc_domain_dumpcore`` fails with "p2m_size < nr_pages", libxl with
ERROR_FAIL and ENOSYS in its log), so a PV domain created paused and
never unpaused cannot be dumped -- by ``xl dump-core`` either.  A restored
domain brings its memory map with it.  HVM and PVH domains have theirs in
Xen from the start.
"""

from __future__ import annotations

from xend.errors import InvalidState


def never_ran(domid: int) -> InvalidState:
    """The error for dumping a PV domain whose kernel never ran."""
    return InvalidState(
        f"cannot dump the core of domain {domid}: it is a PV domain that "
        "has never run, and its kernel sets up the memory map a dump "
        "walks (unpause it first)")
