"""The simulated hypervisor backend (``sim``): Xen 4.17 without Xen.

It consumes libxl JSON, enforces libxl's limits, fails with the same errors,
writes the Xenstore keys libxl writes (given a Store) and keeps its state in
``<state_dir>/sim`` (one file per domain, see :mod:`.state`) so domains
survive a restart of xend.
"""

from xend.hv.sim.hypervisor import SimHypervisor

__all__ = ["SimHypervisor"]
