"""DomainConfig: the one internal description of a domain.

xm builds it from a config file (:mod:`xm.config`), xend keeps it for managed
domains (``to_dict``/``from_dict`` JSON, versioned) and turns it into libxl
JSON (:mod:`xend.model.libxl_json`) and into SXP for ``xm create -n`` and
``xm list -l`` (:mod:`xend.model.to_sxp`).  Every xm config variable has a
home here: a field, the ``platform`` mapping (device-model options, see
:mod:`xend.model.platform`) or ``other`` (deprecated and IA64 variables).
Those libxl 4.17 cannot apply are kept too, so that nothing a user wrote is
lost, and ``xm create`` says it ignored them (:mod:`xm.config.unapplied`).

Sizes are MiB, as in xm.  Instances are immutable; derive changed copies
with :func:`dataclasses.replace`.  Sequence fields accept lists but always
hold tuples.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Mapping, Sequence

from xend.errors import ConfigError
from xend.limits import (CPU_LIMIT, MAX_MEMORY_MIB, MAX_VCPUS,
                         MAX_VCPUS_BY_BUILDER)
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.platform import convert_platform_value
from xend.model.values import (check_action, check_name, check_uuid,
                               parse_cpu_list, parse_vif_rate)

BUILDERS = ("linux", "hvm", "pvh")
ACTION_FIELDS = ("on_poweroff", "on_reboot", "on_crash", "on_xend_start",
                 "on_xend_stop")


@dataclass(frozen=True)
class DomainConfig:
    """A domain's configuration (what xm's config file describes)."""

    name: str
    uuid: str | None = None
    description: str = ""
    builder: str = "linux"
    # --- boot
    kernel: str = ""
    ramdisk: str = ""
    loader: str = ""
    root: str = ""
    kernel_ip: str = ""
    extra: str = ""
    bootloader: str = ""
    bootargs: str | None = None
    features: str = ""
    # --- memory (MiB) and CPUs
    memory: int = 128
    maxmem: int | None = None
    shadow_memory: int = 0
    vcpus: int = 1
    maxvcpus: int | None = None
    cpu: int | None = None
    cpus: str | Sequence[str] | None = None
    cpu_weight: int | None = None
    cpu_cap: int | None = None
    pool: str | None = None
    # --- lifecycle
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "restart"
    on_xend_start: str = "ignore"
    on_xend_stop: str = "ignore"
    # --- hypervisor features
    localtime: bool = False
    tsc_mode: int = 0
    nomigrate: int = 0
    target: int = 0
    s3_integrity: int = 1
    oos: int = 1
    hap: int = 1
    superpages: int = 0
    machine_address_size: int | None = None
    suppress_spurious_page_faults: bool | None = None
    blkif: bool = False
    netif: bool = False
    cpuid: Sequence[str] = ()
    cpuid_check: Sequence[str] = ()
    # --- devices
    disks: Sequence[DiskSpec] = ()
    vifs: Sequence[VifSpec] = ()
    pci: Sequence[PciSpec] = ()
    vfbs: Sequence[VfbSpec] = ()
    vscsi: Sequence[str] = ()
    vusb: Sequence[str] = ()
    ioports: Sequence[str] = ()
    irq: Sequence[int] = ()
    vif2: Sequence[str] = ()
    access_control: Sequence[str] = ()
    # --- device model / firmware options that were set (HVM mostly)
    platform: Mapping[str, int | str] = field(default_factory=dict)
    # --- variables kept but not used to build the domain
    other: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples, so that a config
        # cannot change under the feet of whoever shares it.
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                object.__setattr__(self, f.name, tuple(value))
        object.__setattr__(self, "platform", dict(self.platform))
        object.__setattr__(self, "other", dict(self.other))

    # ------------------------------------------------------------ derived

    @property
    def is_hvm(self) -> bool:
        return self.builder == "hvm"

    @property
    def max_memory(self) -> int:
        """The balloon ceiling in MiB (``maxmem``, or ``memory``)."""
        return self.maxmem if self.maxmem is not None else self.memory

    @property
    def max_vcpus(self) -> int:
        """VCPUs the domain is built with (``maxvcpus``, or ``vcpus``)."""
        return self.maxvcpus if self.maxvcpus is not None else self.vcpus

    @property
    def kernel_cmdline(self) -> str:
        """The guest kernel command line xend composed.

        ``root=ROOT`` then ``ip=IP`` (each only if ``extra`` does not set
        it already, as a whole word), then ``extra`` - user arguments last,
        as xend did because some kernels rely on that order.  Parts are
        joined with one space (xend left a trailing space when ``extra`` was
        empty).
        """
        parts: list[str] = []
        if self.root and not _has_arg(self.extra, "root="):
            parts.append("root=" + self.root)
        if self.kernel_ip and not _has_arg(self.extra, "ip="):
            parts.append("ip=" + self.kernel_ip)
        if self.extra:
            parts.append(self.extra)
        return " ".join(parts)

    def vcpu_affinity(self, max_cpus: int | None = None
                      ) -> list[list[int]] | None:
        """Hard affinity per vcpu (``max_vcpus`` entries for a string, one
        per list item for a list), or None when ``cpus`` is unset.
        ``cpu=N`` (xm's "VCPU0 on CPU N") pins vcpu 0 when ``cpus`` is unset.
        """
        if self.cpus is None:
            if self.cpu is None:
                return None
            anywhere = list(range(max_cpus)) if max_cpus else None
            if anywhere is None:
                return [[self.cpu]]
            return [[self.cpu]] + [anywhere] * (self.max_vcpus - 1)
        if isinstance(self.cpus, str):
            cpus = parse_cpu_list(self.cpus, max_cpus)
            return [cpus] * self.max_vcpus
        return [parse_cpu_list(c, max_cpus) for c in self.cpus]

    # ------------------------------------------------------------ checks

    def validate(self) -> "DomainConfig":
        """Raise ConfigError for the first bad value; return self."""
        check_name(self.name)
        if self.uuid is not None:
            check_uuid(self.uuid)
        if self.builder not in BUILDERS:
            raise ConfigError(f"Invalid builder: {self.builder!r} "
                              f"(expected one of {', '.join(BUILDERS)})")
        if self.builder != "hvm" and not self.kernel and not self.bootloader:
            raise ConfigError(f"Domain {self.name}: no kernel and no "
                              "bootloader")
        _check_int(self.memory, "memory", 1, MAX_MEMORY_MIB)
        if self.maxmem is not None:
            _check_int(self.maxmem, "maxmem", 1, MAX_MEMORY_MIB)
            if self.maxmem < self.memory:
                raise ConfigError(f"maxmem ({self.maxmem}) must not be "
                                  f"less than memory ({self.memory})")
        _check_int(self.shadow_memory, "shadow_memory", 0, MAX_MEMORY_MIB)
        # Checked before anything is built from them (vcpu lists, maps).
        max_vcpus = MAX_VCPUS_BY_BUILDER.get(self.builder, MAX_VCPUS["pv"])
        _check_int(self.vcpus, "vcpus", 1, max_vcpus)
        if self.maxvcpus is not None:
            _check_int(self.maxvcpus, "maxvcpus", 1, max_vcpus)
            if self.maxvcpus < self.vcpus:
                raise ConfigError(f"maxvcpus ({self.maxvcpus}) must not be "
                                  f"less than vcpus ({self.vcpus})")
        if self.cpu is not None:
            _check_int(self.cpu, "cpu", 0, CPU_LIMIT - 1)
        if self.cpus is not None:
            specs = [self.cpus] if isinstance(self.cpus, str) else self.cpus
            if len(specs) > max_vcpus:
                raise ConfigError(
                    f"Invalid value for cpus: {len(specs)} entries, more "
                    f"than a domain can have vcpus ({max_vcpus})")
            for spec in specs:
                # Syntax only: 'all' and ranges are bounded by CPU_LIMIT.
                parse_cpu_list(spec, max_cpus=CPU_LIMIT)
        if self.cpu_weight is not None:
            _check_int(self.cpu_weight, "cpu_weight", 1, 65535)
        if self.cpu_cap is not None:
            _check_int(self.cpu_cap, "cpu_cap", 0, 65535)
        for key in ACTION_FIELDS:
            check_action(key, getattr(self, key))
        _check_int(self.tsc_mode, "tsc_mode", 0, 3)
        _check_int(self.nomigrate, "nomigrate", 0, 1)
        seen: set[str] = set()
        for disk in self.disks:
            disk.validate()
            if disk.vdev in seen:
                raise ConfigError(f"Duplicate disk device {disk.vdev}")
            seen.add(disk.vdev)
        for vif in self.vifs:
            vif.validate()
            if vif.rate is not None:
                parse_vif_rate(vif.rate)
        for key, value in self.platform.items():
            convert_platform_value(key, value)
        return self

    # ------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``version`` 1); unset (None) fields omitted."""
        from xend.model.serialize import config_to_dict
        return config_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DomainConfig":
        """The config *data* (from :meth:`to_dict`) describes; validated."""
        from xend.model.serialize import config_from_dict
        return config_from_dict(data)


def _has_arg(args: str, prefix: str) -> bool:
    # whole words only: xend's substring test took "nfsroot=" for "root="
    # and dropped root=/dev/nfs from NFS-root guests
    return any(word.startswith(prefix) and len(word) > len(prefix)
               for word in args.split())


def _check_int(value: Any, what: str, lo: int,
               hi: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"Invalid value for {what}: {value!r} "
                          "(expected an integer)")
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
        raise ConfigError(f"Invalid value for {what}: {value} "
                          f"(must be {bound})")
