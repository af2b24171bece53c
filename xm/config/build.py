"""xm variable values -> DomainConfig (what create.py's preprocess and
make_config did, minus the SXP).

*values* holds only the variables that were set (in the file or on the
command line), already converted by :mod:`xm.config.variables`; defaults
come from the variable table, so the model can tell "set" from "default"
for the device-model options that libxl writes only when set.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from xend.errors import ConfigError
from xend.limits import MAX_NICS
from xend.model.cpuid import parse_cpuid_entry
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.platform import PLATFORM_KEYS, convert_platform_value, is_true
from xm.config.variables import VARIABLES

_RESTART = {"onreboot": ("destroy", "restart", "destroy"),
            "always": ("restart", "restart", "restart"),
            "never": ("destroy", "destroy", "destroy")}
_DIRECT = ("uuid", "description", "builder", "ramdisk", "loader",
           "features", "memory", "maxmem", "shadow_memory", "vcpus",
           "maxvcpus", "cpu", "cpu_weight", "cpu_cap", "pool",
           "on_xend_start", "on_xend_stop", "tsc_mode", "nomigrate",
           "target", "s3_integrity", "oos", "hap", "superpages",
           "machine_address_size")
_OTHER = ("vhpt", "bootentry", "vcpu_avail", "nics", "vncviewer")


def make_domain_config(values: Mapping[str, Any],
                       environ: Mapping[str, str] | None = None
                       ) -> DomainConfig:
    """The validated DomainConfig for the xm variables in *values*."""
    v = dict(values)

    def get(name: str) -> Any:
        return v[name] if name in v else VARIABLES[name].default

    if not v.get("name"):
        raise ConfigError("No domain name given (set name=...)")
    kw: dict[str, Any] = {"name": v["name"]}
    for key in _DIRECT:
        if key in v and v[key] is not None:
            kw[key] = v[key]
    if "kernel" in v:
        kw["kernel"] = _abspath(v["kernel"])
    if "ramdisk" in v:
        kw["ramdisk"] = _abspath(v["ramdisk"])
    root = get("root")
    kw["root"] = root[len("root="):] if root.startswith("root=") else root
    kw["extra"] = _extra(v)
    kw["kernel_ip"] = _kernel_ip(v)
    if v.get("bootloader"):
        kw["bootloader"] = v["bootloader"]
    if v.get("bootargs") is not None:
        kw["bootargs"] = v["bootargs"]  # used only with a bootloader
    _actions(v, kw)
    for key in ("localtime", "blkif", "netif"):
        if key in v:
            kw[key] = bool(v[key])
    if v.get("suppress_spurious_page_faults") is not None:
        kw["suppress_spurious_page_faults"] = bool(
            v["suppress_spurious_page_faults"])
    if v.get("cpus") not in (None, "", []):
        cpus = v["cpus"]
        kw["cpus"] = cpus if isinstance(cpus, str) else tuple(cpus)
    for key in ("cpuid", "cpuid_check", "vscsi", "vusb", "ioports", "vif2",
                "access_control"):
        if v.get(key):
            kw[key] = tuple(str(item) for item in v[key])
    for entry in kw.get("cpuid", ()):
        # now rather than when xend translates it (at start, for xm new)
        parse_cpuid_entry(entry)
    kw["irq"] = tuple(_int_item(i, "irq") for i in v.get("irq", []))
    kw["disks"] = tuple(DiskSpec.parse(_text(d, "disk"))
                        for d in v.get("disk", []))
    vifs = [VifSpec.parse(_text(i, "vif")) for i in v.get("vif", [])]
    nics = v.get("nics", -1)
    if isinstance(nics, int) and not isinstance(nics, bool) and nics > MAX_NICS:
        raise ConfigError(f"nics = {nics}: at most {MAX_NICS} network interfaces")
    if isinstance(nics, int) and nics > len(vifs):
        vifs += [VifSpec()] * (nics - len(vifs))  # deprecated padding
    kw["vifs"] = tuple(vifs)
    kw["pci"] = tuple(p for spec in v.get("pci", [])
                      for p in PciSpec.parse(_text(spec, "pci")))
    kw["vfbs"] = tuple(VfbSpec.parse(_text(f, "vfb"))
                       for f in v.get("vfb", []))
    kw["platform"] = _platform(v, environ)
    kw["other"] = {k: v[k] for k in _OTHER if v.get(k) not in (None, -1)}
    try:
        return DomainConfig(**kw).validate()
    except TypeError as exc:
        raise ConfigError(f"Invalid configuration: {exc}") from None


def _text(item: Any, what: str) -> str:
    if not isinstance(item, str):
        raise ConfigError(f"Invalid {what} specifier: {item!r}")
    return item


def _int_item(item: Any, what: str) -> int:
    try:
        return int(item)
    except (TypeError, ValueError):
        raise ConfigError(f"Invalid {what}: {item!r}") from None


def _abspath(path: str) -> str:
    """xm made a relative kernel path absolute when the file existed
    there; bare names (hvmloader) and missing files are left to xend."""
    if path and not os.path.isabs(path) and os.path.exists(path):
        return os.path.abspath(path)
    return path


def _extra(v: Mapping[str, Any]) -> str:
    extra = v.get("extra", "") or ""
    if v.get("nfs_root"):
        if not v.get("nfs_server"):
            raise ConfigError("Must set nfs root and nfs server")
        nfs = f"nfsroot={v['nfs_server']}:{v['nfs_root']}"
        extra = f"{nfs} {extra}" if extra else nfs
    return str(extra)


def _kernel_ip(v: Mapping[str, Any]) -> str:
    """xm's ``ip=IP:NFS:GW:MASK:HOST:IF:DHCP`` value (without ``ip=``)."""
    ip = v.get("ip", "") or ""
    dhcp = v.get("dhcp", "off") or "off"
    if not ip and dhcp == "off":
        return ""
    parts = [ip, v.get("nfs_server") or "127.0.255.255",
             v.get("gateway", ""), v.get("netmask", ""),
             v.get("hostname", ""), v.get("interface", "eth0"), dhcp]
    value = ":".join(str(p) for p in parts)
    return value[len("ip="):] if value.startswith("ip=") else value


def _actions(v: Mapping[str, Any], kw: dict[str, Any]) -> None:
    restart = v.get("restart")
    if restart is not None:
        if restart not in _RESTART:
            raise ConfigError(f"Invalid value for restart: {restart!r} "
                              "(expected onreboot, always or never)")
        kw["on_poweroff"], kw["on_reboot"], kw["on_crash"] = \
            _RESTART[restart]
    for key in ("on_poweroff", "on_reboot", "on_crash"):
        if v.get(key) is not None:
            kw[key] = v[key]


def _platform(v: Mapping[str, Any], environ: Mapping[str, str] | None
              ) -> dict[str, Any]:
    platform = {k: convert_platform_value(k, v[k])
                for k in PLATFORM_KEYS if v.get(k) is not None}
    if is_true(platform.get("sdl")) and environ is not None:
        # xm gave SDL the *client's* X display; only worth it when used
        if "display" not in platform and environ.get("DISPLAY"):
            platform["display"] = environ["DISPLAY"]
        if "xauthority" not in platform:
            xauth = environ.get("XAUTHORITY") or (
                environ.get("HOME", "") + "/.Xauthority")
            platform["xauthority"] = xauth
    return platform
