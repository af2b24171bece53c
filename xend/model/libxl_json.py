"""DomainConfig -> libxl ``libxl_domain_config`` JSON, as Xen 4.17 xl makes it.

:func:`to_libxl_json` gives the document ``xl -N create`` prints for the xl
config equivalent to an xm config: the same keys, in the order libxl's JSON
generator writes them (IDL field order), defaults omitted, defbools as the
strings ``"True"``/``"False"``, nested structs always present.  xm-only
meanings are translated first: ``phy:hda1`` -> ``/dev/hda1``, ``tap:qcow2:``
-> format ``qcow2``, ``rename-restart`` -> ``restart_rename``, the kernel
command line is composed the xend way (``root=`` … ``ip=`` … extra).

``device_model``: ``qemu-dm`` (any directory) or ``qemu-system-i386`` is
libxl's default device model, ``stubdom-dm`` (HVM) sets
``device_model_stubdomain``; any other value is refused (ConfigError).

``cpuid`` (xend's syntax, see :mod:`xend.model.cpuid`) becomes
``b_info.cpuid``; ``blkif``/``netif`` make a driver domain
(``c_info.driver_domain``).  The xm variables libxl 4.17 cannot express
are listed, each with its reason, in :mod:`xm.config.unapplied` (``xm
create`` warns about each one a config sets).  Within devices, vif
``accel``/``policy``/``label``, disk ``protocol`` and the shared-write mode
``w!`` (it becomes plain read-write) are not translated either.

:func:`from_libxl_json` is the best-effort way back, for a running domain
whose only description is libxl's stored JSON (see its docstring).
"""

from __future__ import annotations

import os
from typing import Any

from xend.errors import ConfigError
from xend.model.cpuid import cpuid_policy_json
from xend.model.devices import DiskSpec, PciSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.libxl_hvm import (device_model_stubdomain, hvm_build_info,
                                  hvm_toplevel_fields, vfb_json)
from xend.model.values import parse_vif_rate

JSON = dict[str, Any]

ACTIONS_TO_LIBXL = {
    "destroy": "destroy", "restart": "restart",
    "rename-restart": "restart_rename", "preserve": "preserve",
    "coredump-destroy": "coredump_destroy",
    "coredump-restart": "coredump_restart",
}
ACTIONS_FROM_LIBXL = {v: k for k, v in ACTIONS_TO_LIBXL.items()}
ACTIONS_FROM_LIBXL["soft_reset"] = "restart"
TSC_MODES = ("default", "always_emulate", "native", "native_paravirt")
DOMAIN_TYPES = {"linux": "pv", "hvm": "hvm", "pvh": "pvh"}


def to_libxl_json(cfg: DomainConfig, max_cpus: int | None = None) -> JSON:
    """The ``libxl_domain_config`` JSON for *cfg* (validated first).

    *max_cpus* (the host's CPU count) is needed only to expand ``all`` in
    ``cpus``.  Raises ConfigError for a value libxl cannot express (e.g. a
    ``tap:vmdk:`` disk).
    """
    cfg.validate()
    out: JSON = {"c_info": _create_info(cfg),
                 "b_info": _build_info(cfg, max_cpus)}
    if cfg.disks:
        out["disks"] = [_disk(d) for d in cfg.disks]
    if cfg.vifs:
        out["nics"] = [_nic(i, v) for i, v in enumerate(cfg.vifs)]
    if cfg.pci:
        out["pcidevs"] = [_pci(cfg, p) for p in cfg.pci]
    if cfg.vfbs:
        out["vfbs"] = [vfb_json(i, v) for i, v in enumerate(cfg.vfbs)]
        out["vkbs"] = [{"devid": i} for i in range(len(cfg.vfbs))]
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        action = ACTIONS_TO_LIBXL[getattr(cfg, key)]
        if action != "destroy":
            out[key] = action
    # xl's default on_soft_reset; xend had no such event.
    out["on_soft_reset"] = "soft_reset"
    return _reorder(out)


_CONFIG_ORDER = ("c_info", "b_info", "disks", "nics", "pcidevs", "vfbs",
                 "vkbs", "on_poweroff", "on_reboot", "on_watchdog",
                 "on_crash", "on_soft_reset")


def _reorder(out: JSON) -> JSON:
    return {k: out[k] for k in _CONFIG_ORDER if k in out}


def _create_info(cfg: DomainConfig) -> JSON:
    c: JSON = {"type": DOMAIN_TYPES[cfg.builder]}
    if not cfg.hap:
        c["hap"] = "False"
    if not cfg.oos:
        c["oos"] = "False"
    c["name"] = cfg.name
    if cfg.uuid:
        c["uuid"] = cfg.uuid
    if cfg.pool:
        c["pool_name"] = cfg.pool
    c["run_hotplug_scripts"] = "True"
    if cfg.blkif or cfg.netif:
        # xm's "may serve as a block/network backend"; libxl then gives
        # the domain what a driver domain needs (its libxl and
        # device-model Xenstore directories)
        c["driver_domain"] = "True"
    return c


def _build_info(cfg: DomainConfig, max_cpus: int | None) -> JSON:
    b: JSON = {"max_vcpus": cfg.max_vcpus,
               "avail_vcpus": list(range(cfg.vcpus))}
    affinity = cfg.vcpu_affinity(max_cpus)
    if affinity is not None:
        b["vcpu_hard_affinity"] = affinity[: cfg.max_vcpus]
        if not isinstance(cfg.cpus, str):
            # xl turns NUMA placement off for a per-vcpu list
            b["numa_placement"] = "False"
    if cfg.tsc_mode:
        b["tsc_mode"] = TSC_MODES[cfg.tsc_mode]
    b["max_memkb"] = cfg.max_memory * 1024
    b["target_memkb"] = cfg.memory * 1024
    videoram = cfg.platform.get("videoram")
    if videoram is not None:
        b["video_memkb"] = int(videoram) * 1024
    if cfg.shadow_memory:
        b["shadow_memkb"] = cfg.shadow_memory * 1024
    offset = cfg.platform.get("rtc_timeoffset")
    if offset:
        b["rtc_timeoffset"] = int(offset) & 0xFFFFFFFF
    if cfg.localtime:
        b["localtime"] = "True"
    if cfg.nomigrate:
        b["disable_migrate"] = "True"
    if cfg.cpuid:
        b["cpuid"] = cpuid_policy_json(cfg.cpuid)
    if device_model_stubdomain(cfg):
        b["device_model_stubdomain"] = "True"
    sched: JSON = {}
    if cfg.cpu_weight is not None:
        sched["weight"] = cfg.cpu_weight
    if cfg.cpu_cap is not None:
        sched["cap"] = cfg.cpu_cap
    b["sched_params"] = sched
    if cfg.ioports:
        b["ioports"] = [_ioport(r) for r in cfg.ioports]
    if cfg.irq:
        b["irqs"] = list(cfg.irq)
    b["claim_mode"] = "True"
    kernel = cfg.kernel
    if cfg.is_hvm and os.path.basename(kernel) == "hvmloader":
        kernel = ""  # xm's HVM "kernel" named the firmware; xl drops it
    if kernel:
        b["kernel"] = kernel
    cmdline = cfg.kernel_cmdline
    if cmdline:
        b["cmdline"] = cmdline
    if cfg.ramdisk:
        b["ramdisk"] = cfg.ramdisk
    hvm_top = hvm_toplevel_fields(cfg)
    if "acpi" in hvm_top:
        b["acpi"] = hvm_top.pop("acpi")
    if cfg.bootloader:
        b["bootloader"] = cfg.bootloader
        if cfg.bootargs:
            b["bootloader_args"] = cfg.bootargs.split()
    b.update(hvm_top)  # timer_mode, nested_hvm, apic: in IDL order
    if cfg.is_hvm:
        b["type.hvm"] = hvm_build_info(cfg)
    elif cfg.builder == "pvh":
        b["type.pvh"] = {}
    else:
        pv: JSON = {}
        if cfg.pci:
            pv["e820_host"] = "True"  # xl sets it for PV passthrough
        b["type.pv"] = pv
    b["arch_arm"] = {}
    b["arch_x86"] = {}
    return b


def _ioport(spec: str) -> JSON:
    lo, _, hi = spec.partition("-")
    try:
        first = int(lo, 16)
        last = int(hi or lo, 16)
    except ValueError:
        raise ConfigError(f"Invalid i/o port range specifier: {spec}") \
            from None
    return {"first": first, "number": last - first + 1}


def _backend_domain(value: str | None, out: JSON) -> None:
    """xm named a backend domain by id or name; like xl we pass either as
    ``backend_domname`` (libxl resolves a number as a domid)."""
    if value is not None:
        out["backend_domname"] = value


def _disk(disk: DiskSpec) -> JSON:
    kind, path, fmt = disk.source()
    if not fmt:
        raise ConfigError(f"Disk {disk.uname}: this tap driver is not "
                          "supported by libxl")
    out: JSON = {}
    _backend_domain(disk.backend, out)
    out["pdev_path"] = path
    out["vdev"] = disk.vdev
    out["format"] = fmt
    if kind not in ("phy", "file", "tap"):
        out["script"] = "block-" + kind
    if disk.is_cdrom:
        out["removable"] = 1
    elif disk.readwrite:
        out["readwrite"] = 1
    if disk.is_cdrom:
        out["is_cdrom"] = 1
    return out


def _nic(devid: int, vif: VifSpec) -> JSON:
    out: JSON = {}
    _backend_domain(vif.backend, out)
    out["devid"] = devid
    if vif.model:
        out["model"] = vif.model
    if vif.mac:
        out["mac"] = vif.mac.lower()
    if vif.ip:
        out["ip"] = vif.ip
    if vif.bridge:
        out["bridge"] = vif.bridge
    if vif.vifname:
        out["ifname"] = vif.vifname
    if vif.script:
        out["script"] = vif.script
    if vif.type == "ioemu":
        out["nictype"] = "vif_ioemu"
    elif vif.type in ("netfront", "vif"):
        out["nictype"] = "vif"
    if vif.rate:
        per_interval, usecs = parse_vif_rate(vif.rate)
        out["rate_bytes_per_interval"] = per_interval
        out["rate_interval_usecs"] = usecs
    return out


def disk_to_libxl(disk: DiskSpec) -> JSON:
    """One ``libxl_device_disk`` JSON, for hot-plugging *disk*."""
    disk.validate()
    return _disk(disk)


def nic_to_libxl(vif: VifSpec) -> JSON:
    """One ``libxl_device_nic`` JSON without a devid, for hot-plugging
    *vif*: libxl (and the simulator) pick the next free devid."""
    vif.validate()
    out = _nic(0, vif)
    del out["devid"]
    return out


def _pci(cfg: DomainConfig, pci: PciSpec) -> JSON:
    out: JSON = {}
    if pci.func:
        out["func"] = pci.func
    if pci.slot:
        out["dev"] = pci.slot
    if pci.bus:
        out["bus"] = pci.bus
    if pci.domain:
        out["domain"] = pci.domain
    if pci.vslot is not None:
        out["vdevfn"] = pci.vslot << 3
    out["vfunc_mask"] = 1
    for key, glob in (("msitranslate", "pci_msitranslate"),
                      ("power_mgmt", "pci_power_mgmt"),
                      ("permissive", None), ("seize", None)):
        value = getattr(pci, key)
        if value is None and glob is not None:
            value = cfg.platform.get(glob)
        if value:
            out[key] = True
    if not cfg.is_hvm:
        # xl copies the HVM rdm policy union member for PV guests too,
        # where it reads as "strict"; we print what xl prints.
        out["rdm_policy"] = "strict"
    return out


# ---------------------------------------------------------------- back

def from_libxl_json(doc: JSON) -> DomainConfig:
    """A DomainConfig rebuilt from a ``libxl_domain_config`` document.

    The inverse of :func:`to_libxl_json` for everything it writes (see
    :mod:`xend.model.libxl_back`), for domains xend did not start (or whose
    config was lost) and for ``xl save`` files: name, uuid, type, pool,
    hap/oos, driver_domain (as blkif and netif), memory, maxmem, vcpus,
    maxvcpus and affinity, scheduler weight/cap, tsc_mode, shadow memory,
    localtime, nomigrate, cpuid (its MSR part has no xm spelling),
    kernel/ramdisk/cmdline (all of it lands in ``extra``), bootloader and
    its args, on_* actions, ioports, irqs, disks (``phy:`` for ``/dev``
    paths, ``file:`` for raw files, ``tap:<format>:`` otherwise), nics
    (mac, bridge, ip, script, type, vifname, rate, model, backend), PCI
    devices, vfbs, and the HVM options (firmware, boot, serial, vnc, sdl,
    stdvga, acpi, apic, pae, timer_mode, videoram …).  Anything else is
    dropped.  Not validated.
    """
    from xend.model.libxl_back import config_from_libxl
    return config_from_libxl(doc)

