"""The ``(domain ...)`` SXP of ``xm list -l`` for one record.

Domain-0 has no configuration in xend's table; a minimal one is made from
what the hypervisor reports so that it prints like any other domain.
"""

from __future__ import annotations

from typing import Any

from xend.domains.table import DomainEntry
from xend.hv.base import DomainInfo
from xend.model.domconfig import DomainConfig


def _dom0_config(info: DomainInfo) -> DomainConfig:
    return DomainConfig(name=info.name, uuid=info.uuid,
                        memory=max(1, info.target_memkb // 1024),
                        maxmem=max(1, info.max_memkb // 1024),
                        vcpus=max(1, info.vcpu_online),
                        maxvcpus=max(1, info.vcpu_max))


def domain_sxp_for(entry: DomainEntry | None, info: DomainInfo | None,
                   record: dict[str, Any]) -> list[Any]:
    from xend.model.to_sxp import domain_sxp
    if entry is not None:
        cfg = entry.config
    else:
        assert info is not None
        cfg = _dom0_config(info)
    return domain_sxp(cfg, record)
