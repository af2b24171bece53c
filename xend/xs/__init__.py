"""xend's use of Xenstore: where the store is, what xend writes, what it hears.

* :mod:`xend.xs.embedded` - the store xend talks to: an embedded xenstored
  it runs itself (hypervisor ``sim``) or the host's xenstored (``libxl``).
* :mod:`xend.xs.mirror` - the toolstack's keys (xend 4.4's, minus those
  libxl 4.17 writes), one transaction per domain change.
* :mod:`xend.xs.watches` - ``@releaseDomain``/``@introduceDomain`` turned
  into :class:`~xend.hv.base.DomainEvent` for the restart policies.
"""
