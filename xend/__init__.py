"""xend: the Xen management daemon, re-made for libxl (Xen 4.17+).

Importing this package does no work and needs no Xen: the daemon is built by
its composition root (:mod:`xend.daemon`), the libxl library is loaded on
first use by :mod:`bindings`.
"""

__version__ = "0.1.0"
