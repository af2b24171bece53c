"""The domain manager: all domain services of xend behind one object.

It is built once by the composition root (:mod:`xend.daemon.main`) from a
hypervisor backend and a :class:`DomainTable`, and used by the RPC handlers.
"""

from __future__ import annotations

from xend.domains.coredump import CoreDumpMixin
from xend.domains.devices import DevicesMixin
from xend.domains.lifecycle import LifecycleMixin
from xend.domains.policy import PolicyMixin
from xend.domains.queries import QueriesMixin
from xend.domains.resources import ResourcesMixin
from xend.domains.saverestore import SaveRestoreMixin
from xend.domains.migration import MigrationMixin


class DomainManager(LifecycleMixin, SaveRestoreMixin, ResourcesMixin,
                    DevicesMixin, QueriesMixin, PolicyMixin, MigrationMixin,
                    CoreDumpMixin):
    """Create, query, change and stop domains, attach their devices, dump
    their cores; apply restart policies."""
