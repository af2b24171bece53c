"""SXP -> DomainConfig: ``xm create -F file.sxp`` and stored ``(vm …)`` or
``(domain …)`` documents.

Reads what :func:`xend.model.to_sxp.config_sxp` writes (a round trip gives
an equal config) and what xend 4.4 accepted in hand-written SXP configs.
Parsed atoms are strings; numbers are converted here, and a bad value
raises ConfigError naming the key.
"""

from __future__ import annotations

from typing import Any

from xend.errors import ConfigError
from xend.model import sxp
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.platform import PLATFORM_KEYS, convert_platform_value

Sxp = Any

_INT_KEYS = ("memory", "maxmem", "shadow_memory", "cpu", "cpu_cap",
             "cpu_weight", "tsc_mode", "nomigrate", "target", "oos",
             "s3_integrity", "machine_address_size")
_STR_KEYS = ("uuid", "description", "features", "on_poweroff", "on_reboot",
             "on_crash", "on_xend_start", "on_xend_stop", "bootloader")
_IMAGE_STR = ("kernel", "ramdisk", "loader", "root")


def to_int(value: Sxp, key: str) -> int:
    """*value* (an SXP atom) as an int, hex allowed; ConfigError if not."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 0)
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            raise ConfigError(f"Invalid value for {key}: {value!r}") \
                from None


def config_from_sxp(doc: Sxp) -> DomainConfig:
    """A validated DomainConfig from a ``(vm …)`` or ``(domain …)`` list."""
    if not isinstance(doc, list) or not doc or doc[0] not in ("vm",
                                                              "domain"):
        raise ConfigError("Invalid SXP config: expected (vm ...) or "
                          "(domain ...)")
    kw: dict[str, Any] = {}
    name = sxp.child_value(doc, "name")
    if not isinstance(name, str):
        raise ConfigError("Invalid SXP config: no (name ...)")
    kw["name"] = name
    for key in _INT_KEYS:
        value = sxp.child_value(doc, key)
        if value is not None and not isinstance(value, list):
            kw[key] = to_int(value, key)
    for key in _STR_KEYS:
        value = sxp.child_value(doc, key)
        if isinstance(value, (str, int)) and value != "":
            kw[key] = str(value)
    _vcpus(doc, kw)
    _cpus(doc, kw)
    pool = sxp.child_value(doc, "pool_name")
    if isinstance(pool, str) and pool and pool != "Pool-0":
        kw["pool"] = pool
    args = sxp.child_value(doc, "bootloader_args")
    if kw.get("bootloader") and isinstance(args, str):
        kw["bootargs"] = args
    for key in ("localtime", "suppress_spurious_page_faults"):
        value = sxp.child_value(doc, key)
        if value is not None:
            kw[key] = bool(to_int(value, key))
    for backend in sxp.children(doc, "backend"):
        for kind in backend[1:]:
            if isinstance(kind, list) and kind and kind[0] in ("blkif",
                                                               "netif"):
                kw[kind[0]] = True
    for key in ("cpuid", "cpuid_check"):
        value = sxp.child_value(doc, key)
        if isinstance(value, list):
            kw[key] = tuple(str(v) for v in value)
    image = sxp.child_value(doc, "image")
    if isinstance(image, list) and image:
        _image(image, kw)
    _devices(doc, kw)
    acl = _access_control(doc)
    if acl:
        kw["access_control"] = (acl,)
    try:
        return DomainConfig(**kw).validate()
    except TypeError as exc:
        raise ConfigError(f"Invalid SXP config: {exc}") from None


def _access_control(doc: Sxp) -> str:
    """``policy=P,label=L`` from ``(security ((access_control …)))``."""
    for security in sxp.children(doc, "security"):
        for entry in security[1:]:
            acls: list[Any] = entry if isinstance(entry, list) else []
            if acls and not isinstance(acls[0], list):
                acls = [acls]  # (security (access_control …)) also seen
            for acl in acls:
                if isinstance(acl, list) and acl[:1] == ["access_control"]:
                    pairs = [p for p in acl[1:]
                             if isinstance(p, list) and len(p) == 2]
                    return ",".join(f"{p[0]}={p[1]}" for p in pairs)
    return ""


def _vcpus(doc: Sxp, kw: dict[str, Any]) -> None:
    vcpus = sxp.child_value(doc, "vcpus")
    avail = sxp.child_value(doc, "vcpu_avail")
    if vcpus is None:
        return
    count = to_int(vcpus, "vcpus")
    if avail is not None and doc[0] == "vm":
        mask = to_int(avail, "vcpu_avail")
        online = bin(mask).count("1")
        if online != count:
            kw["vcpus"] = online
            kw["maxvcpus"] = count
            return
    kw["vcpus"] = count


def _cpus(doc: Sxp, kw: dict[str, Any]) -> None:
    cpus: Any = sxp.child_value(doc, "cpus")
    if isinstance(cpus, str):
        kw["cpus"] = cpus
    elif isinstance(cpus, list) and cpus:
        if all(isinstance(c, list) for c in cpus):
            # (domain …) lists the affinity of every vcpu: () = unpinned
            if all(not c for c in cpus):
                return
            specs = [",".join(str(x) for x in c) for c in cpus]
            kw["cpus"] = specs[0] if len(set(specs)) == 1 else tuple(specs)
        else:
            kw["cpus"] = tuple(str(c) for c in cpus)


def _image(image: list[Sxp], kw: dict[str, Any]) -> None:
    builder = image[0]
    if builder not in ("linux", "hvm", "pvh"):
        raise ConfigError(f"Invalid SXP config: unknown image {builder!r}")
    kw["builder"] = builder
    for key in _IMAGE_STR:
        value = sxp.child_value(image, key)
        if isinstance(value, str):
            kw[key] = value
    ip = sxp.child_value(image, "ip")
    if isinstance(ip, str):
        kw["kernel_ip"] = ip
    args = sxp.child_value(image, "args")
    if isinstance(args, str):
        kw["extra"] = args
    superpages = sxp.child_value(image, "superpages")
    if superpages is not None:
        kw["superpages"] = to_int(superpages, "superpages")
    vhpt = sxp.child_value(image, "vhpt")
    if vhpt is not None:
        kw["other"] = {"vhpt": to_int(vhpt, "vhpt")}
    for key in ("hap", "oos"):
        value = sxp.child_value(image, key)
        if value is not None:
            kw[key] = to_int(value, key)
    platform: dict[str, Any] = {}
    for item in sxp.children(image):
        head: Any = item[0]
        if head in PLATFORM_KEYS and len(item) > 1 and not isinstance(
                item[1], list):
            platform[head] = convert_platform_value(head, item[1])
    kw["platform"] = _drop_defaults(platform)


def _drop_defaults(platform: dict[str, Any]) -> dict[str, Any]:
    """Unset options equal to xm's printed defaults, so that a config
    printed by ``config_sxp`` reads back equal to the original."""
    out = {}
    for key, value in platform.items():
        default = PLATFORM_KEYS[key][1]
        if default is not None and value == default:
            continue
        out[key] = value
    return out


def _devices(doc: Sxp, kw: dict[str, Any]) -> None:
    disks: list[DiskSpec] = []
    vifs: list[VifSpec] = []
    pcis: list[PciSpec] = []
    vfbs: list[VfbSpec] = []
    ioports: list[str] = []
    irqs: list[int] = []
    for device in sxp.children(doc, "device"):
        if len(device) < 2 or not isinstance(device[1], list):
            continue
        dev = device[1]
        kind = dev[0] if dev else None
        items = {i[0]: i[1] for i in dev[1:]
                 if isinstance(i, list) and len(i) > 1}
        if kind in ("vbd", "tap", "tap2"):
            backend = items.get("backend")
            disks.append(DiskSpec(
                str(items.get("uname", "")), str(items.get("dev", "")),
                str(items.get("mode", "r")),
                None if backend in (None, "0", 0) else str(backend),
                _opt_str(items.get("protocol"))))
        elif kind == "vif":
            known = {k: str(v) for k, v in items.items()
                     if k in VifSpec.__dataclass_fields__}
            if known.get("backend") == "0":
                del known["backend"]
            vifs.append(VifSpec(**known))
        elif kind == "pci":
            for sub in sxp.children(dev, "dev"):
                pcis.append(_pci(sub))
        elif kind == "vfb":
            vfbs.append(VfbSpec(tuple((str(k), str(v))
                                      for k, v in items.items())))
        elif kind == "ioports":
            lo = str(items.get("from", "0x0"))[2:]
            hi = str(items.get("to", "0x0"))[2:]
            ioports.append(lo if lo == hi else f"{lo}-{hi}")
        elif kind == "irq":
            irqs.append(to_int(items.get("irq", 0), "irq"))
    kw.update(disks=tuple(disks), vifs=tuple(vifs), pci=tuple(pcis),
              vfbs=tuple(vfbs), ioports=tuple(ioports), irq=tuple(irqs))


def _opt_str(value: Sxp) -> str | None:
    return None if value is None else str(value)


def _pci(dev: list[Sxp]) -> PciSpec:
    items = {i[0]: i[1] for i in dev[1:] if isinstance(i, list)
             and len(i) > 1}
    vdevfn = to_int(items.get("vdevfn", "0x100"), "vdevfn")
    opts: dict[str, int] = {}
    for opt in sxp.children(dev, "opts"):
        for pair in opt[1:]:
            if isinstance(pair, list) and len(pair) == 2:
                opts[str(pair[0])] = to_int(pair[1], str(pair[0]))
    return PciSpec(to_int(items.get("domain", 0), "domain"),
                   to_int(items.get("bus", 0), "bus"),
                   to_int(items.get("slot", 0), "slot"),
                   to_int(items.get("func", 0), "func"),
                   None if vdevfn & 0x100 else vdevfn >> 3,
                   opts.get("msitranslate"), opts.get("power_mgmt"),
                   opts.get("permissive"), opts.get("seize"))
