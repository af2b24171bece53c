"""DomainConfig -> SXP: ``xm create -n`` (``(vm …)``) and ``xm list -l``
(``(domain …)``).

The shapes and key orders are those of xm/xend 4.4 (reference §3.2 and
§2.2), because scripts grep them: xendomains needs ``(domain`` to start a
record and ``(domid N)`` and ``(name X)`` to end their lines, which the
width-80 printer guarantees since a whole domain never fits on one line.
Render with :func:`xend.model.sxp.pretty`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from xend.model.domconfig import DomainConfig
from xend.model.platform import HVM_IMAGE_ORDER, platform_value

Sxp = Any


def config_sxp(cfg: DomainConfig) -> list[Sxp]:
    """The ``(vm …)`` document ``xm create -n`` printed for *cfg*."""
    out: list[Sxp] = ["vm", ["name", cfg.name], ["memory", cfg.memory]]
    if cfg.maxmem is not None:
        out.append(["maxmem", cfg.maxmem])
    if cfg.shadow_memory:
        out.append(["shadow_memory", cfg.shadow_memory])
    # xm printed the on_* keys a config set; the model keeps values, not
    # whether they were set, so we print those that differ from xend's
    # defaults - identical output for configs that do not set them.
    if cfg.on_poweroff != "destroy":
        out.append(["on_poweroff", cfg.on_poweroff])
    if cfg.tsc_mode:
        out.append(["tsc_mode", cfg.tsc_mode])
    if cfg.nomigrate:
        out.append(["nomigrate", cfg.nomigrate])
    for key in ("on_reboot", "on_crash"):
        if getattr(cfg, key) != "restart":
            out.append([key, getattr(cfg, key)])
    if cfg.features:
        out.append(["features", cfg.features])
    out += [["on_xend_start", cfg.on_xend_start],
            ["on_xend_stop", cfg.on_xend_stop]]
    if cfg.target:
        out.append(["target", cfg.target])
    if cfg.cpuid:
        out.append(["cpuid", list(cfg.cpuid)])
    if cfg.cpuid_check:
        out.append(["cpuid_check", list(cfg.cpuid_check)])
    if cfg.machine_address_size:
        out.append(["machine_address_size", cfg.machine_address_size])
    if cfg.suppress_spurious_page_faults:
        out.append(["suppress_spurious_page_faults", 1])
    if cfg.description:
        out.append(["description", cfg.description])
    if cfg.maxvcpus is not None:
        # xm's encoding: all vcpus built, a bitmask of the online ones
        out.append(["vcpu_avail", (1 << cfg.vcpus) - 1])
        out.append(["vcpus", cfg.maxvcpus])
    else:
        out.append(["vcpus", cfg.vcpus])
    if cfg.uuid is not None:
        out.append(["uuid", cfg.uuid])
    if cfg.cpu is not None:
        out.append(["cpu", cfg.cpu])
    if cfg.cpus is not None:
        out.append(["cpus", _cpus_value(cfg.cpus)])
    if cfg.cpu_cap is not None:
        out.append(["cpu_cap", cfg.cpu_cap])
    if cfg.cpu_weight is not None:
        out.append(["cpu_weight", cfg.cpu_weight])
    if cfg.blkif:
        out.append(["backend", ["blkif"]])
    if cfg.netif:
        out.append(["backend", ["netif"]])
    if cfg.localtime:
        out.append(["localtime", 1])
    if cfg.oos:
        out.append(["oos", cfg.oos])
    if cfg.pool:
        out.append(["pool_name", cfg.pool])
    if cfg.bootloader:
        out.append(["bootloader", cfg.bootloader])
        out.append(["bootloader_args",
                    cfg.bootargs if cfg.bootargs is not None else "-q"])
    out.append(["image", image_sxp(cfg)])
    out.append(["s3_integrity", cfg.s3_integrity])
    out += [["device", dev] for dev in device_sxps(cfg)]
    if cfg.access_control:
        out.append(["security", [["access_control",
                                  *_kv_items(cfg.access_control[0])]]])
    return out


def _cpus_value(cpus: str | Sequence[str]) -> Sxp:
    return cpus if isinstance(cpus, str) else list(cpus)


def _kv_items(text: str) -> list[Sxp]:
    items: list[Sxp] = []
    for part in text.split(","):
        key, _, value = part.partition("=")
        items.append([key.strip(), value.strip()])
    return items


def image_sxp(cfg: DomainConfig, cmdline: bool = False) -> list[Sxp]:
    """``(linux …)``/``(hvm …)``: the boot and device-model settings.

    With *cmdline*, the kernel arguments appear composed as one ``args``
    (what xend reported for a domain) instead of root/ip/args.
    """
    p = cfg.platform
    img: list[Sxp] = [cfg.builder]
    for key in ("kernel", "ramdisk", "loader"):
        if getattr(cfg, key):
            img.append([key, getattr(cfg, key)])
    if not cmdline:
        if cfg.kernel_ip:
            img.append(["ip", cfg.kernel_ip])
        if cfg.root:
            img.append(["root", cfg.root])
    for key in ("videoram", "parallel", "serial"):
        value = platform_value(p, key)
        if value:
            img.append([key, value])
    if p.get("monitor_path"):
        img += [["monitor_path", p["monitor_path"]], ["monitor", 1]]
    elif p.get("monitor"):
        img.append(["monitor", p["monitor"]])
    args = cfg.kernel_cmdline if cmdline else cfg.extra
    if args:
        img.append(["args", args])
    if cfg.superpages:
        img.append(["superpages", cfg.superpages])
    if cfg.is_hvm:
        img += _hvm_items(cfg)
    if cfg.other.get("vhpt"):
        img.append(["vhpt", cfg.other["vhpt"]])
    if cfg.machine_address_size:
        img.append(["machine_address_size", cfg.machine_address_size])
    if cfg.suppress_spurious_page_faults:
        img.append(["suppress_spurious_page_faults", 1])
    img += [["tsc_mode", cfg.tsc_mode], ["nomigrate", cfg.nomigrate]]
    return img


def _hvm_items(cfg: DomainConfig) -> list[Sxp]:
    """The HVM keys, in xm's order, with xm's defaults for unset ones."""
    fields: dict[str, Any] = {
        "cpuid": list(cfg.cpuid), "cpuid_check": list(cfg.cpuid_check),
        "hap": cfg.hap, "localtime": int(cfg.localtime), "oos": cfg.oos,
        "vcpus": cfg.vcpus, "pci": [pci.to_sxp()[1:] for pci in cfg.pci],
    }
    items: list[Sxp] = []
    for key in HVM_IMAGE_ORDER:
        value = fields[key] if key in fields else platform_value(
            cfg.platform, key)
        if value is not None:
            items.append([key, value])
    if cfg.platform.get("vncpasswd") is not None:
        items.append(["vncpasswd", cfg.platform["vncpasswd"]])
    return items


def device_sxps(cfg: DomainConfig) -> list[Sxp]:
    """The ``(device X)`` payloads, in xm's order: disks, PCI, ioports,
    irqs, vifs, vif2s, then a vkbd and the vfb for each framebuffer."""
    devs: list[Sxp] = [disk.to_sxp() for disk in cfg.disks]
    if cfg.pci:
        devs.append(["pci", *[pci.to_sxp() for pci in cfg.pci]])
    for spec in cfg.ioports:
        lo, _, hi = spec.partition("-")
        devs.append(["ioports", ["from", "0x" + lo],
                     ["to", "0x" + (hi or lo)]])
    devs += [["irq", ["irq", irq]] for irq in cfg.irq]
    devs += [vif.to_sxp() for vif in cfg.vifs]
    devs += [["vif2", *_kv_items(v)] for v in cfg.vif2 if v.strip()]
    for vfb in cfg.vfbs:
        devs += [["vkbd"], vfb.to_sxp()]
    return devs


# ---------------------------------------------------------------- list -l

def domain_sxp(cfg: DomainConfig, runtime: Mapping[str, Any] | None = None
               ) -> list[Sxp]:
    """The ``(domain …)`` record ``xm list -l`` prints.

    *runtime* holds what only the running domain knows: ``domid`` (None or
    absent for an inactive managed domain: then no domid/state/mfn keys),
    ``state`` (6-char string), ``status`` (Xen-API power state, default 0
    halted / 2 when a domid is given), ``cpu_time`` (s), ``online_vcpus``,
    ``start_time``, ``memory``/``maxmem`` (MiB, current), ``vcpu_affinity``
    (list of CPU lists), ``cpu_weight``/``cpu_cap``, ``uuid``,
    ``store_mfn``/``console_mfn``, and ``devices`` (SXP device payloads that
    replace the ones derived from the config, e.g. with generated MACs).
    """
    rt = dict(runtime or {})
    domid = rt.get("domid")
    running = domid is not None
    vcpus = int(rt.get("vcpus", cfg.max_vcpus))
    out: list[Sxp] = ["domain"]
    if running:
        out.append(["domid", domid])
    out += [
        ["cpu_weight", _first(rt.get("cpu_weight"), cfg.cpu_weight, 256)],
        ["cpu_cap", _first(rt.get("cpu_cap"), cfg.cpu_cap, 0)],
        ["pool_name", cfg.pool or "Pool-0"],
        ["bootloader", cfg.bootloader],
        ["vcpus", vcpus],
        ["cpus", _affinity_sxp(cfg, rt.get("vcpu_affinity"), vcpus)],
        ["on_poweroff", cfg.on_poweroff],
        ["description", cfg.description],
        ["on_crash", cfg.on_crash],
        ["uuid", _first(rt.get("uuid"), cfg.uuid, "")],
        ["bootloader_args", cfg.bootargs or ""],
        ["name", cfg.name],
        ["on_reboot", cfg.on_reboot],
        ["maxmem", _first(rt.get("maxmem"), cfg.max_memory)],
        ["memory", _first(rt.get("memory"), cfg.memory)],
        ["shadow_memory", cfg.shadow_memory],
        ["features", cfg.features],
        ["on_xend_start", cfg.on_xend_start],
        ["on_xend_stop", cfg.on_xend_stop],
    ]
    if rt.get("start_time") is not None:
        out.append(["start_time", float(rt["start_time"])])
    out.append(["cpu_time", float(rt.get("cpu_time", 0.0))])
    out.append(["online_vcpus",
                int(rt.get("online_vcpus", cfg.vcpus if running else 0))])
    if cfg.cpu is not None:
        out.append(["cpu", cfg.cpu])
    out.append(["image", image_sxp(cfg, cmdline=True)])
    out.append(["status", int(rt.get("status", 2 if running else 0))])
    if running:
        out.append(["state", rt.get("state", "------")])
        for key in ("store_mfn", "console_mfn"):
            if rt.get(key) is not None:
                out.append([key, rt[key]])
    devices = rt.get("devices")
    if devices is None:
        devices = [_listed_device(d, i) for i, d in
                   enumerate(device_sxps(cfg))]
    out += [["device", dev] for dev in devices]
    return out


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def _affinity_sxp(cfg: DomainConfig, given: Any, vcpus: int) -> list[Sxp]:
    if given is not None:
        return [list(cpus) for cpus in given]
    try:
        affinity = cfg.vcpu_affinity()
    except Exception:  # 'all' needs the host size; show "unpinned"
        affinity = None
    if affinity is None:
        return [[] for _ in range(vcpus)]
    return [list(cpus) for cpus in affinity]


def _listed_device(dev: list[Sxp], index: int) -> list[Sxp]:
    """A config device as xend listed it: vbds say whether they boot."""
    if dev and dev[0] in ("vbd", "tap", "tap2"):
        items = {item[0]: item[1] for item in dev[1:]}
        return [dev[0], ["bootable", 1 if index == 0 else 0],
                ["dev", items["dev"]], ["uname", items["uname"]],
                ["mode", items["mode"]],
                ["backend", items.get("backend", 0)]]
    if dev and dev[0] == "vif" and not any(i[0] == "backend"
                                           for i in dev[1:]):
        return [*dev, ["backend", 0]]
    return dev
