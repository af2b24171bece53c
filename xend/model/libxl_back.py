"""libxl ``libxl_domain_config`` JSON -> DomainConfig (best effort).

Used when xend adopts a running domain it did not start, or whose
persisted config is gone: libxl keeps the JSON it was created from, and we
rebuild as much of the model as has a meaning there.  See
:func:`xend.model.libxl_json.from_libxl_json` for the list.
"""

from __future__ import annotations

from typing import Any

from xend.errors import ConfigError
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig

JSON = dict[str, Any]

_BUILDERS = {"pv": "linux", "hvm": "hvm", "pvh": "pvh"}
_ACTIONS = {"destroy": "destroy", "restart": "restart",
            "restart_rename": "rename-restart", "preserve": "preserve",
            "coredump_destroy": "coredump-destroy",
            "coredump_restart": "coredump-restart",
            "soft_reset": "restart"}
_TSC = {"default": 0, "always_emulate": 1, "native": 2,
        "native_paravirt": 3}
_TIMER = {"delay_for_missed_ticks": 0, "no_delay_for_missed_ticks": 1,
          "no_missed_ticks_pending": 2, "one_missed_tick_pending": 3}


def _flag(value: Any) -> int:
    return 1 if value in ("True", True, 1) else 0


def config_from_libxl(doc: JSON) -> DomainConfig:
    """Rebuild a DomainConfig from libxl JSON; ConfigError if unusable."""
    if not isinstance(doc, dict):
        raise ConfigError("Invalid libxl domain config: not an object")
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
    target = b.get("target_memkb")
    maxmem = b.get("max_memkb")
    if isinstance(target, int) and target > 0:
        kw["memory"] = target // 1024
    if isinstance(maxmem, int) and maxmem > 0:
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
    affinity = b.get("vcpu_hard_affinity")
    if isinstance(affinity, list) and affinity:
        specs = [",".join(str(c) for c in cpus) for cpus in affinity]
        kw["cpus"] = specs[0] if len(set(specs)) == 1 else tuple(specs)
    sched = b.get("sched_params") or {}
    if "weight" in sched:
        kw["cpu_weight"] = sched["weight"]
    if "cap" in sched:
        kw["cpu_cap"] = sched["cap"]
    if b.get("tsc_mode") in _TSC:
        kw["tsc_mode"] = _TSC[b["tsc_mode"]]
    if b.get("shadow_memkb"):
        kw["shadow_memory"] = b["shadow_memkb"] // 1024
    if b.get("localtime") == "True":
        kw["localtime"] = True
    if b.get("disable_migrate") == "True":
        kw["nomigrate"] = 1
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
    if builder == "hvm":
        kw["platform"] = _platform(b)
        if b.get("device_model_stubdomain") == "True":
            kw["platform"]["device_model"] = "stubdom-dm"
        if not kw.get("kernel"):
            kw["kernel"] = "hvmloader"
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        # libxl omits its default, destroy
        kw[key] = _ACTIONS.get(doc.get(key, "destroy"), "destroy")
    kw["disks"] = tuple(_disk(d) for d in doc.get("disks") or ())
    kw["vifs"] = tuple(_nic(n) for n in doc.get("nics") or ())
    kw["pci"] = tuple(_pci(p) for p in doc.get("pcidevs") or ())
    kw["vfbs"] = tuple(_vfb(v) for v in doc.get("vfbs") or ())
    try:
        return DomainConfig(**kw)
    except TypeError as exc:
        raise ConfigError(f"Invalid libxl domain config: {exc}") from None


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
    if b.get("video_memkb"):
        p["videoram"] = b["video_memkb"] // 1024
    if b.get("rtc_timeoffset"):
        p["rtc_timeoffset"] = b["rtc_timeoffset"]
    for key in ("pae", "viridian", "hpet", "vpt_align", "nographic", "usb",
                "xen_platform_pci"):
        if key in h:
            p[key] = _flag(h[key])
    for key in ("serial", "boot", "usbdevice", "soundhw", "keymap"):
        if isinstance(h.get(key), str):
            p[key] = h[key]
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
    script = d.get("script") or ""
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
        usecs = int(n["rate_interval_usecs"])
        per_sec = int(n["rate_bytes_per_interval"]) * 1000000 // usecs
        rate = f"{per_sec}B/s@{usecs}us"
    return VifSpec(mac=n.get("mac"), bridge=n.get("bridge"), ip=n.get("ip"),
                   script=n.get("script"), type=nictype,
                   vifname=n.get("ifname"), rate=rate, model=n.get("model"),
                   backend=_backend(n))


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
