"""SimHypervisor: the simulated Xen host, assembled from its parts.

The class is the composition of :mod:`.core` (state, lock, persistence,
queries, events), :mod:`.lifecycle` (create, destroy, pause, shutdown,
triggers), :mod:`.saverestore`, :mod:`.resources` (memory, vcpus,
scheduler, devices, console, host) and :mod:`.admin` (debug keys, core
dumps).  It implements
:class:`xend.hv.base.Hypervisor` exactly.

Sim-only extras: ``inject_crash(domid)`` (the guest crashes now),
``run_due_events()`` (apply guest reactions due by the injected clock) and
``flush_events(timeout)`` (wait until queued events reached the callback).

Where libxl/Xen 4.17 behaviour is surprising, the simulator follows it:

* ``DomainInfo.max_memkb`` is Xen's limit (target + 1024 KiB after create,
  like libxl_dominfo), not the config's maxmem;
* ``set_max_memory`` never raises ``memory/static-max``, so a target above
  the *configured* maxmem stays refused after it (libxl_mem.c);
* ``pause`` counts: two pauses need two unpauses; unpausing a running
  domain is refused (Xen's controller pause count);
* the ``reset``/``init`` triggers are not implemented by Xen on x86
  (NotSupported); ``power``/``sleep`` need an HVM/PVH guest;
* a nic gets devid = highest in use + 1 (libxl__device_nextid);
* the create memory check is libxl_domain_need_memory (target + shadow +
  1-2 MiB, 2 MiB aligned) against free memory; there is no autoballoon.

Deliberate differences: the PV kernel file is not looked for on this host;
a duplicate uuid is refused (Xen would allow it).

Xenstore: each guest watches its own ``control/shutdown`` through the store,
so a request written by anyone (``xenstore-write``) is acknowledged and acted
on (``poweroff``, ``halt``, ``reboot``) like one from ``shutdown``.  A guest
that shuts down or crashes calls ``on_domain_shutdown(domid)`` -- what Xen's
VIRQ_DOM_EXC tells xenstored; pass ``EmbeddedXenstored.shutdown_domain`` so
that ``@releaseDomain`` fires as on a real host.  Given a store that lacks
its domains (a new embedded xenstored after a restart of xend), the
simulator writes and introduces them again.
"""

from __future__ import annotations

from xend.hv.sim.admin import AdminOps
from xend.hv.sim.resources import ResourceOps
from xend.hv.sim.saverestore import SaveRestoreOps


class SimHypervisor(SaveRestoreOps, ResourceOps, AdminOps):
    """A simulated hypervisor that behaves like libxl on Xen 4.17.

    ``SimHypervisor(*, state_dir, host_memory_mib=8192, host_cpus=4,
    scheduler="credit", dom0_memory_mib=1024, store=None, clock=time.time,
    guest_shutdown_delay=0.5, on_domain_shutdown=None, stream_rate_kib=0,
    ignore_shutdown=())``

    ``stream_rate_kib`` paces ``save`` to that many KiB/s (0: unlimited),
    so that a migration takes long enough to be interrupted in tests.
    ``ignore_shutdown`` names guests that never act on a shutdown request
    (so that a watchdog can be tested).
    """
