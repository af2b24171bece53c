"""libxl ``libxl_domain_config`` JSON -> DomainConfig: the way back.

The inverse of :func:`xend.model.libxl_json.to_libxl_json` for what it
writes: ``to_libxl_json(config_from_libxl(to_libxl_json(cfg)))`` is
``to_libxl_json(cfg)`` (tests/model/test_libxl_back.py).  The model that
comes back may spell things differently -- the whole kernel command line is
in ``extra``, a ``tap:aio:`` disk is ``file:`` -- but describes the same
domain.

Used when xend adopts a running domain it did not start, or whose
persisted config is gone (libxl keeps the JSON it was created from), and
to restore an ``xl save`` file, whose header carries the JSON xl retrieved
from libxl.  Such documents also hold every default libxl filled in and
keys the model has no field for (``max_grant_frames``,
``device_model_version``, ``vkbs`` ...): those are dropped, and libxl fills
in the same defaults again when the domain is built from our translation.
See :func:`xend.model.libxl_json.from_libxl_json` for the list.
"""

from __future__ import annotations

import os
from typing import Any

from xend.errors import ConfigError
from xend.model.cpuid import cpuid_entries_from_json
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig

JSON = dict[str, Any]

_BUILDERS = {"pv": "linux", "hvm": "hvm", "pvh": "pvh"}
_ACTIONS = {"destroy": "destroy", "restart": "restart",
            "restart_rename": "rename-restart", "preserve": "preserve",
            "coredump_destroy": "coredump-destroy",
            "coredump_restart": "coredump-restart",
            "soft_reset": "restart"}
_MEMKB_DEFAULT = (1 << 64) - 1
_TSC = {"default": 0, "always_emulate": 1, "native": 2,
        "native_paravirt": 3}
_TIMER = {"delay_for_missed_ticks": 0, "no_delay_for_missed_ticks": 1,
          "no_missed_ticks_pending": 2, "one_missed_tick_pending": 3}


def _flag(value: Any) -> int:
    return 1 if value in ("True", True, 1) else 0


def config_from_libxl(doc: JSON) -> DomainConfig:
    """Rebuild a DomainConfig from libxl JSON; ConfigError if unusable.

    Not validated: see :func:`checked_config_from_libxl`."""
    if not isinstance(doc, dict):
        raise ConfigError("Invalid libxl domain config: not an object")
    try:
        return _convert(doc)
    except (AttributeError, TypeError, ValueError, OverflowError) as exc:
        # a member of the wrong JSON type (a list for a struct ...)
        raise ConfigError(f"Invalid libxl domain config: {exc}") from None


def checked_config_from_libxl(doc: JSON) -> DomainConfig:
    """:func:`config_from_libxl`, with every value checked as strictly as
    a managed domain's file (types too): for documents from outside, such
    as the header of an ``xl save`` file."""
    return DomainConfig.from_dict(config_from_libxl(doc).to_dict())


def _convert(doc: JSON) -> DomainConfig:
    c = doc.get("c_info") or {}
    b = doc.get("b_info") or {}
    if not c.get("name"):
        raise ConfigError("Invalid libxl domain config: no name")
    builder = _BUILDERS.get(c.get("type", "pv"), "linux")
    kw: dict[str, Any] = {"name": c["name"], "builder": builder}
    if c.get("uuid"):
        kw["uuid"] = c["uuid"]
    if c.get("pool_name"):
        kw["pool"] = c["pool_name"]
    if c.get("hap") == "False":
        kw["hap"] = 0
    if c.get("oos") == "False":
        kw["oos"] = 0
    if c.get("driver_domain") == "True":
        kw["blkif"] = kw["netif"] = True
    target = _memkb(b.get("target_memkb"))
    maxmem = _memkb(b.get("max_memkb"))
    if target is not None:
        kw["memory"] = target // 1024
    if maxmem is not None:
        if maxmem // 1024 != kw.get("memory", maxmem // 1024):
            kw["maxmem"] = maxmem // 1024
        kw.setdefault("memory", maxmem // 1024)
    avail = b.get("avail_vcpus")
    max_vcpus = b.get("max_vcpus")
    vcpus = len(avail) if isinstance(avail, list) and avail else max_vcpus
    if isinstance(vcpus, int) and vcpus > 0:
        kw["vcpus"] = vcpus
        if isinstance(max_vcpus, int) and max_vcpus > vcpus:
            kw["maxvcpus"] = max_vcpus
    cpus = _cpus(b)
    if cpus is not None:
        kw["cpus"] = cpus
    sched = b.get("sched_params") or {}
    if "weight" in sched:
        kw["cpu_weight"] = sched["weight"]
    if "cap" in sched:
        kw["cpu_cap"] = sched["cap"]
    if b.get("tsc_mode") in _TSC:
        kw["tsc_mode"] = _TSC[b["tsc_mode"]]
    shadow = _memkb(b.get("shadow_memkb"))
    if shadow is not None:
        kw["shadow_memory"] = shadow // 1024
    if b.get("localtime") == "True":
        kw["localtime"] = True
    if b.get("disable_migrate") == "True":
        kw["nomigrate"] = 1
    cpuid = cpuid_entries_from_json(b.get("cpuid"))
    if cpuid:
        kw["cpuid"] = cpuid
    pv = b.get("type.pv") or {}
    for key in ("kernel", "ramdisk", "bootloader"):
        value = b.get(key) or pv.get(key)
        if value:
            kw[key] = value
    cmdline = b.get("cmdline") or pv.get("cmdline")
    if cmdline:
        kw["extra"] = cmdline
    args = b.get("bootloader_args") or pv.get("bootloader_args")
    if args:
        kw["bootargs"] = " ".join(args)
    platform = _common_platform(b)
    if builder == "hvm":
        platform.update(_platform(b))
        if b.get("device_model_stubdomain") == "True":
            platform["device_model"] = "stubdom-dm"
        if not kw.get("kernel"):
            kw["kernel"] = "hvmloader"
        firmware = (b.get("type.hvm") or {}).get("firmware")
        if isinstance(firmware, str) and firmware:
            kw["loader"] = firmware
    if platform:
        kw["platform"] = platform
    ioports = b.get("ioports")
    if isinstance(ioports, list):
        kw["ioports"] = tuple(_ioport(r) for r in ioports)
    irqs = b.get("irqs")
    if isinstance(irqs, list):
        kw["irq"] = tuple(int(i) for i in irqs)
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        # libxl omits its default, destroy
        kw[key] = _ACTIONS.get(doc.get(key, "destroy"), "destroy")
    kw["disks"] = tuple(_disk(d) for d in doc.get("disks") or ())
    kw["vifs"] = tuple(_nic(n) for n in doc.get("nics") or ())
    kw["pci"] = tuple(_pci(p) for p in doc.get("pcidevs") or ())
    kw["vfbs"] = tuple(_vfb(v) for v in doc.get("vfbs") or ())
    return DomainConfig(**kw)


def _cpus(b: JSON) -> str | tuple[str, ...] | None:
    """``cpus`` from the hard affinity: one string when every vcpu has the
    same, unless xl's "per-vcpu list" sign (NUMA placement off) says the
    config listed them one by one."""
    affinity = b.get("vcpu_hard_affinity")
    if not isinstance(affinity, list) or not affinity:
        return None
    specs = [",".join(str(c) for c in cpus) for cpus in affinity]
    if len(set(specs)) == 1 and b.get("numa_placement") != "False":
        return specs[0]
    return tuple(specs)


def _ioport(r: Any) -> str:
    first, number = int(r.get("first", 0)), int(r.get("number", 1))
    if number == 1:
        return f"{first:x}"
    return f"{first:x}-{first + number - 1:x}"


def _memkb(value: Any) -> int | None:
    """A size in KiB that is set: not 0 and not libxl's "default" marker
    (LIBXL_MEMKB_DEFAULT, ~0, which a document may spell as -1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if value <= 0 or value >= _MEMKB_DEFAULT:
        return None
    return value


def _signed32(value: int) -> int:
    # to_libxl_json writes a negative offset as its uint32 form
    return value - (1 << 32) if value > 0x7FFFFFFF else value


def _common_platform(b: JSON) -> dict[str, Any]:
    """Platform options to_libxl_json writes for every builder."""
    p: dict[str, Any] = {}
    video = _memkb(b.get("video_memkb"))
    if video is not None:
        p["videoram"] = video // 1024
    offset = b.get("rtc_timeoffset")
    if isinstance(offset, int) and offset:
        p["rtc_timeoffset"] = _signed32(offset)
    return p


def _platform(b: JSON) -> dict[str, Any]:
    h = b.get("type.hvm") or {}
    p: dict[str, Any] = {}
    if "acpi" in b:
        p["acpi"] = _flag(b["acpi"])
    if "apic" in b:
        p["apic"] = _flag(b["apic"])
    if b.get("timer_mode") in _TIMER:
        p["timer_mode"] = _TIMER[b["timer_mode"]]
    if "nested_hvm" in b:
        p["nestedhvm"] = _flag(b["nested_hvm"])
    for key in ("pae", "viridian", "hpet", "vpt_align", "nographic", "usb",
                "xen_platform_pci"):
        if key in h:
            p[key] = _flag(h[key])
    for key in ("serial", "boot", "usbdevice", "soundhw", "keymap"):
        if isinstance(h.get(key), str):
            p[key] = h[key]
    if "gfx_passthru" in h:
        kind = h.get("gfx_passthru_kind")
        p["gfx_passthru"] = (kind if isinstance(kind, str) and kind
                             else _flag(h["gfx_passthru"]))
    kind = (h.get("vga") or {}).get("kind")
    if kind in ("std", "cirrus"):
        p["stdvga"] = 1 if kind == "std" else 0
    p.update(_display_options(h.get("vnc") or {}, h.get("sdl") or {}))
    return p


def _display_options(vnc: JSON, sdl: JSON) -> dict[str, Any]:
    p: dict[str, Any] = {}
    if "enable" in vnc:
        p["vnc"] = _flag(vnc["enable"])
    if "listen" in vnc:
        p["vnclisten"] = vnc["listen"]
    if "passwd" in vnc:
        p["vncpasswd"] = vnc["passwd"]
    if "display" in vnc:
        p["vncdisplay"] = vnc["display"]
    if "findunused" in vnc:
        p["vncunused"] = _flag(vnc["findunused"])
    if "enable" in sdl:
        p["sdl"] = _flag(sdl["enable"])
    if "opengl" in sdl:
        p["opengl"] = _flag(sdl["opengl"])
    for key in ("display", "xauthority"):
        if key in sdl:
            p[key] = sdl[key]
    return p


def _backend(d: JSON) -> str | None:
    if d.get("backend_domname"):
        return str(d["backend_domname"])
    if d.get("backend_domid"):
        return str(d["backend_domid"])
    return None  # dom0, the default


def _disk(d: JSON) -> DiskSpec:
    path = d.get("pdev_path") or ""
    fmt = d.get("format", "raw")
    script = os.path.basename(str(d.get("script") or ""))
    if script.startswith("block-"):
        uname = f"{script[len('block-'):]}:{path}"
    elif not path:
        uname = ""
    elif fmt in ("qcow", "qcow2", "vhd"):
        uname = f"tap:{fmt}:{path}"
    elif path.startswith("/dev/"):
        uname = "phy:" + path
    else:
        uname = "file:" + path
    cdrom = bool(d.get("is_cdrom"))
    dev = str(d.get("vdev", "")) + (":cdrom" if cdrom else "")
    mode = "w" if d.get("readwrite") and not cdrom else "r"
    return DiskSpec(uname, dev, mode, _backend(d))


def _nic(n: JSON) -> VifSpec:
    nictype = {"vif_ioemu": "ioemu", "vif": "netfront"}.get(
        n.get("nictype", ""))
    rate = None
    if n.get("rate_bytes_per_interval") and n.get("rate_interval_usecs"):
        rate = rate_text(int(n["rate_bytes_per_interval"]),
                         int(n["rate_interval_usecs"]))
    return VifSpec(mac=n.get("mac"), bridge=n.get("bridge"), ip=n.get("ip"),
                   script=n.get("script"), type=nictype,
                   vifname=n.get("ifname"), rate=rate, model=n.get("model"),
                   backend=_backend(n))


def rate_text(per_interval: int, usecs: int) -> str:
    """An xm vif rate that parses back to *per_interval* bytes every
    *usecs* µs (exactly, for intervals up to a second): ``62500, 50000``
    -> ``1250000B/s@50000us``."""
    # rounded up: parse_vif_rate rounds down, and within one interval of a
    # second or less, rounding up then down gives the bytes back
    per_sec = -(-per_interval * 1000000 // usecs)
    return f"{per_sec}B/s@{usecs}us"


def _pci(p: JSON) -> PciSpec:
    vdevfn = p.get("vdevfn")
    return PciSpec(int(p.get("domain", 0)), int(p.get("bus", 0)),
                   int(p.get("dev", 0)), int(p.get("func", 0)),
                   (int(vdevfn) >> 3) if vdevfn else None,
                   1 if p.get("msitranslate") else None,
                   1 if p.get("power_mgmt") else None,
                   1 if p.get("permissive") else None,
                   1 if p.get("seize") else None)


def _vfb(v: JSON) -> VfbSpec:
    opts = _display_options(v.get("vnc") or {}, v.get("sdl") or {})
    if v.get("keymap"):
        opts["keymap"] = v["keymap"]
    return VfbSpec(tuple((k, str(val)) for k, val in opts.items()))
