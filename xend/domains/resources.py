"""Memory, vcpus, pinning and scheduler parameters of a domain.

A running domain is changed in the hypervisor first, then the change is
recorded in its configuration (so a managed domain keeps it and a restart
uses it); a halted managed domain only has its configuration changed.
"""

from __future__ import annotations

from typing import Any

from xend.domains.base import DOM0_ID, DomainServiceBase
from xend.domains.table import DomainEntry
from xend.errors import InvalidArgument, XendError
from xend.limits import MAX_VCPUS, MAX_VCPUS_BY_BUILDER, memory_error

WEIGHT_MIN, WEIGHT_MAX = 1, 65535


class ResourcesMixin(DomainServiceBase):

    def _halted_config(self, entry: DomainEntry | None,
                       ref: str | int) -> DomainEntry:
        if entry is None:
            raise XendError(f"Domain '{ref}' is not running")
        return entry

    # -- memory ----------------------------------------------------------------
    @staticmethod
    def _check_memory(what: str, mib: int) -> None:
        if mib <= 0:
            raise InvalidArgument(f"Invalid memory size: {mib} MiB")
        problem = memory_error(what, mib)
        if problem:
            raise InvalidArgument(problem)

    @staticmethod
    def _target_changes(entry: DomainEntry | None,
                        mib: int) -> dict[str, Any]:
        """The config change of a new balloon target: ``memory`` only.  A
        config without ``maxmem`` had its maximum in ``memory``; it is kept
        as ``maxmem``, so that a lower target does not lower the ceiling."""
        changes: dict[str, Any] = {"memory": mib}
        if entry is not None and entry.config.maxmem is None:
            changes["maxmem"] = entry.config.max_memory
        return changes

    def set_memory_target(self, ref: str | int, mib: int) -> None:
        self._check_memory("memory target", mib)
        entry, domid = self.resolve(ref)
        if domid is None:
            entry = self._halted_config(entry, ref)
            maxmem = entry.config.max_memory
            if mib > maxmem:
                raise InvalidArgument(
                    f"memory target {mib} MiB is above maxmem {maxmem} MiB")
            self.update_config(entry, **self._target_changes(entry, mib))
            return
        if domid == DOM0_ID and self.dom0_min_mem and mib < self.dom0_min_mem:
            raise InvalidArgument(
                f"Domain-0 memory cannot be set below dom0-min-mem "
                f"({self.dom0_min_mem} MiB)")
        if entry is None:
            self.hv.set_memory_target(domid, mib * 1024)
            return
        self.change_running(entry, domid, "mem-set", "set_memory_target",
                            [mib * 1024], self._target_changes(entry, mib))

    def set_max_memory(self, ref: str | int, mib: int) -> None:
        self._check_memory("maximum memory", mib)
        entry, domid = self.resolve(ref)
        if domid is None:
            entry = self._halted_config(entry, ref)
            changes: dict[str, Any] = {"maxmem": mib}
            if int(entry.config.memory) > mib:
                changes["memory"] = mib
            self.update_config(entry, **changes)
            return
        self.hv.set_max_memory(domid, mib * 1024)
        self.update_config(entry, maxmem=mib)

    # -- vcpus -------------------------------------------------------------------
    def set_vcpus(self, ref: str | int, count: int) -> None:
        if count <= 0:
            raise InvalidArgument(f"Invalid number of vcpus: {count}")
        entry, domid = self.resolve(ref)
        if domid is None:
            entry = self._halted_config(entry, ref)
            limit = MAX_VCPUS_BY_BUILDER.get(entry.config.builder,
                                             MAX_VCPUS["pv"])
            if count > limit:
                raise InvalidArgument(
                    f"Invalid number of vcpus: {count} (a {entry.config.builder}"
                    f" domain can have at most {limit})")
            changes: dict[str, Any] = {"vcpus": count}
            if count > entry.config.max_vcpus:
                changes["maxvcpus"] = count
            self.update_config(entry, **changes)
            return
        info = self.hv.domain_info(domid)
        if count > info.vcpu_max:
            raise InvalidArgument(
                f"Cannot set vcpus greater than max vcpus on running domain "
                f"({info.vcpu_max})")
        if entry is None:
            self.hv.set_vcpus_online(domid, count)
            return
        self.change_running(entry, domid, "vcpu-set", "set_vcpus_online",
                            [count], {"vcpus": count})

    def vcpu_info(self, ref: str | int) -> list[dict[str, Any]]:
        entry, domid = self.resolve(ref)
        nr_cpus = self.hv.host_info().nr_cpus
        if domid is None:
            entry = self._halted_config(entry, ref)
            return [{"vcpu": n, "cpu": -1, "online": False, "blocked": False,
                     "running": False, "cpu_time": 0.0,
                     "affinity": self._configured_affinity(entry, n, nr_cpus),
                     "nr_host_cpus": nr_cpus}
                    for n in range(entry.config.max_vcpus)]
        return [{"vcpu": v.vcpuid, "cpu": v.cpu, "online": v.online,
                 "blocked": v.blocked, "running": v.running,
                 "cpu_time": v.time_ns / 1e9, "affinity": list(v.affinity),
                 "nr_host_cpus": nr_cpus}
                for v in self.hv.list_vcpus(domid)]

    @staticmethod
    def _configured_affinity(entry: DomainEntry, vcpu: int,
                             nr_cpus: int) -> list[int]:
        from xend.model.values import parse_cpu_list
        affinity = entry.config.vcpu_affinity(nr_cpus)
        if not affinity or vcpu >= len(affinity):
            return list(range(nr_cpus))
        return affinity[vcpu]

    def pin_vcpu(self, ref: str | int, vcpu: int, cpus: str) -> None:
        from xend.model.values import parse_cpu_list
        nr_cpus = self.hv.host_info().nr_cpus
        # CPUs the host lacks are ignored (as xl does); the range is
        # clipped to the host before it is expanded.
        cpu_list = parse_cpu_list(cpus, nr_cpus)
        if not cpu_list:
            raise InvalidArgument("Invalid argument: no cpus to pin to")
        entry, domid = self.running_domid(ref)
        info = self.hv.domain_info(domid)
        vcpus = range(info.vcpu_max) if vcpu == -1 else [vcpu]
        if vcpu != -1 and not 0 <= vcpu < info.vcpu_max:
            raise InvalidArgument(f"Invalid VCPU {vcpu}: the domain has "
                                  f"{info.vcpu_max} vcpus")
        for n in vcpus:
            self.hv.set_vcpu_affinity(domid, n, cpu_list)
        if vcpu == -1:
            self.update_config(entry, cpus=cpus)

    # -- scheduler ---------------------------------------------------------------
    def require_scheduler(self, name: str) -> None:
        actual = self.hv.scheduler()
        if actual != name:
            raise XendError(f"Xen is running with the {actual} scheduler")

    def sched_get(self, ref: str | int, scheduler: str) -> dict[str, int]:
        self.require_scheduler(scheduler)
        entry, domid = self.resolve(ref)
        if domid is None:
            entry = self._halted_config(entry, ref)
            weight = entry.config.cpu_weight or 256
            cap = entry.config.cpu_cap or 0
        else:
            params = self.hv.sched_get(domid)
            weight, cap = params.weight, params.cap
        result = {"weight": int(weight)}
        if scheduler == "credit":
            result["cap"] = int(cap)
        return result

    def sched_set(self, ref: str | int, scheduler: str,
                  weight: int | None, cap: int | None) -> None:
        self.require_scheduler(scheduler)
        if weight is not None and not WEIGHT_MIN <= weight <= WEIGHT_MAX:
            raise InvalidArgument(f"weight {weight} is out of range "
                                  f"({WEIGHT_MIN}..{WEIGHT_MAX})")
        entry, domid = self.resolve(ref)
        if domid is None:
            entry = self._halted_config(entry, ref)
            vcpus = entry.config.max_vcpus
        else:
            vcpus = self.hv.domain_info(domid).vcpu_max
        if cap is not None and not 0 <= cap <= 100 * vcpus:
            raise InvalidArgument(f"cap {cap} is out of range "
                                  f"(0..{100 * vcpus})")
        if domid is not None:
            self.hv.sched_set(domid, weight=weight, cap=cap)
        changes: dict[str, Any] = {}
        if weight is not None:
            changes["cpu_weight"] = weight
        if cap is not None:
            changes["cpu_cap"] = cap
        if changes:
            self.update_config(entry, **changes)
