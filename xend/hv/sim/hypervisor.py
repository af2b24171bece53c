"""SimHypervisor: the simulated Xen host, assembled from its parts.

The class is the composition of :mod:`.core` (state, lock, persistence,
queries, events), :mod:`.lifecycle` (create, destroy, pause, shutdown,
triggers), :mod:`.saverestore` and :mod:`.resources` (memory, vcpus,
scheduler, devices, console, host).  It implements
:class:`xend.hv.base.Hypervisor` exactly; its sim-only extras are
``inject_crash``, ``run_due_events`` and ``flush_events``.
"""

from __future__ import annotations

from xend.hv.sim.resources import ResourceOps
from xend.hv.sim.saverestore import SaveRestoreOps


class SimHypervisor(SaveRestoreOps, ResourceOps):
    """A simulated hypervisor that behaves like libxl on Xen 4.17.

    ``SimHypervisor(*, state_dir, host_memory_mib=8192, host_cpus=4,
    scheduler="credit", dom0_memory_mib=1024, store=None, clock=time.time,
    guest_shutdown_delay=0.5)``
    """
