"""Device specifications of the domain model: disks, vifs, PCI, framebuffers.

Each class is an immutable record with a parser for the xm config-file
string syntax (``'phy:vg/root,xvda,w'``, ``'mac=..., bridge=xenbr0'``, …),
``to_dict``/``from_dict`` for JSON, and properties the translators need.
Nothing here talks to Xen.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from xend.errors import ConfigError
from xend.model.values import check_mac, parse_kv_list, parse_vif_rate

DISK_MODES = ("r", "w", "w!")

#: ``tap:``/``tap2:`` driver -> libxl disk format ('' = not supported).
TAP_FORMATS = {"aio": "raw", "sync": "raw", "ioemu": "raw", "remus": "raw",
               "qcow": "qcow", "qcow2": "qcow2", "vhd": "vhd",
               "vmdk": "", "ram": ""}

VIF_KEYS = ("backend", "bridge", "ip", "mac", "script", "type", "vifname",
            "rate", "model", "accel", "policy", "label")

VFB_KEYS = ("vnc", "sdl", "vncunused", "vncdisplay", "vnclisten", "vncpasswd",
            "display", "xauthority", "opengl", "keymap", "serial", "monitor",
            "videoram")


def _check_keys(cls: type, data: Mapping[str, Any], what: str) -> None:
    if not isinstance(data, Mapping):
        raise ConfigError(f"Invalid {what}: expected an object, "
                          f"got {data!r}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"Invalid {what}: unknown key {unknown[0]!r}")


# ---------------------------------------------------------------- disks

@dataclass(frozen=True)
class DiskSpec:
    """One ``disk`` entry: ``UNAME,DEV,MODE[,BACKEND[,PROTOCOL]]``."""

    uname: str
    dev: str
    mode: str = "w"
    backend: str | None = None
    protocol: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "DiskSpec":
        """Parse one xm disk string (3 to 5 comma-separated fields)."""
        if not isinstance(spec, str):
            raise ConfigError(f"Invalid disk specifier: {spec!r}")
        parts = spec.split(",")
        if not 3 <= len(parts) <= 5:
            raise ConfigError("Invalid disk specifier: " + spec)
        parts += [""] * (5 - len(parts))
        uname, dev, mode, backend, protocol = (p.strip() for p in parts)
        disk = cls(uname, dev, mode, backend or None, protocol or None)
        disk.validate()
        return disk

    def validate(self) -> None:
        """ConfigError unless every field is usable."""
        where = f"disk {self.uname},{self.dev},{self.mode}"
        if not self.dev or not self.vdev:
            raise ConfigError(f"Invalid disk specifier: {where}: "
                              "no virtual device")
        if self.mode not in DISK_MODES:
            raise ConfigError(f"Invalid disk specifier: {where}: mode must "
                              "be r, w or w!")
        if not self.uname and not self.is_cdrom:
            raise ConfigError(f"Invalid disk specifier: {where}: an empty "
                              "source is allowed only for a cdrom")
        if self.uname and ":" not in self.uname:
            raise ConfigError(f"Invalid disk specifier: {where}: the source "
                              "needs a type prefix (phy:, file:, tap:aio:, …)")
        if self.uname.startswith(("tap:", "tap2:")):
            driver = self.uname.split(":")[1]
            if driver not in TAP_FORMATS:
                raise ConfigError(f"Invalid disk specifier: {where}: unknown "
                                  f"tap driver {driver!r}")

    @property
    def vdev(self) -> str:
        """The guest device, without ``ioemu:`` and ``:cdrom``/``:disk``."""
        dev = self.dev
        if dev.startswith("ioemu:"):
            dev = dev[len("ioemu:"):]
        for suffix in (":cdrom", ":disk"):
            if dev.endswith(suffix):
                dev = dev[: -len(suffix)]
        return dev

    @property
    def is_cdrom(self) -> bool:
        return self.dev.endswith(":cdrom")

    @property
    def readwrite(self) -> bool:
        return self.mode.startswith("w") and not self.is_cdrom

    @property
    def device_class(self) -> str:
        """The xend device class: ``vbd``, ``tap`` or ``tap2``."""
        if self.uname.startswith("tap2:"):
            return "tap2"
        if self.uname.startswith("tap:"):
            return "tap"
        return "vbd"

    def source(self) -> tuple[str, str, str]:
        """``(kind, path, format)`` of the backing store.

        kind is ``phy``, ``file``, ``tap`` or a block-script name (``nbd``,
        ``iscsi`` …); format is the libxl disk format (``raw``, ``qcow2`` …,
        ``empty`` for an empty cdrom, ``''`` when libxl cannot serve it).
        A relative ``phy:`` name is under ``/dev``, as in xend.
        """
        if not self.uname:
            return "phy", "", "empty"
        kind, _, rest = self.uname.partition(":")
        if kind == "phy":
            path = rest if rest.startswith("/") else "/dev/" + rest
            return "phy", path, "raw"
        if kind == "file":
            return "file", rest, "raw"
        if kind in ("tap", "tap2"):
            driver, _, path = rest.partition(":")
            return "tap", path, TAP_FORMATS.get(driver, "")
        return kind, rest, "raw"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DiskSpec":
        _check_keys(cls, data, "disk")
        for key, value in data.items():
            if not isinstance(value, str) and not (
                    value is None and key in ("backend", "protocol")):
                raise ConfigError(f"Invalid disk: {key} must be a string, "
                                  f"not {value!r}")
        try:
            disk = cls(**data)
        except TypeError as exc:
            raise ConfigError(f"Invalid disk: {exc}") from None
        disk.validate()
        return disk

    def to_sxp(self) -> list[Any]:
        """``[cls, [uname U], [dev D], [mode M], …]`` as xm create built it."""
        out: list[Any] = [self.device_class, ["uname", self.uname],
                          ["dev", self.dev], ["mode", self.mode]]
        if self.backend:
            out.append(["backend", self.backend])
        if self.protocol:
            out.append(["protocol", self.protocol])
        return out


# ---------------------------------------------------------------- vifs

@dataclass(frozen=True)
class VifSpec:
    """One ``vif`` entry; ``None`` means "use the default"."""

    mac: str | None = None
    bridge: str | None = None
    ip: str | None = None
    script: str | None = None
    type: str | None = None
    vifname: str | None = None
    rate: str | None = None
    model: str | None = None
    backend: str | None = None
    accel: str | None = None
    policy: str | None = None
    label: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "VifSpec":
        """Parse ``'k=v, k=v'``; ``''`` is a vif with every default."""
        if not isinstance(spec, str):
            raise ConfigError(f"Invalid vif specifier: {spec!r}")
        values: dict[str, str] = {}
        for key, value in parse_kv_list(spec, "vif"):
            if key not in VIF_KEYS:
                raise ConfigError("Invalid vif option: " + key)
            values[key] = value
        vif = cls(**values)
        vif.validate()
        return vif

    def validate(self) -> None:
        if self.mac is not None:
            check_mac(self.mac)
        if self.rate is not None:
            parse_vif_rate(self.rate)
        if self.type not in (None, "ioemu", "netfront", "vif"):
            raise ConfigError(f"Invalid vif option: type={self.type}")

    def items(self) -> list[tuple[str, str]]:
        """The options that are set, in the canonical order of VIF_KEYS."""
        return [(k, getattr(self, k)) for k in VIF_KEYS
                if getattr(self, k) is not None]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.items())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "VifSpec":
        _check_keys(cls, data, "vif")
        vif = cls(**{k: None if v is None else str(v)
                     for k, v in data.items()})
        vif.validate()
        return vif

    def to_sxp(self) -> list[Any]:
        return ["vif", *[[k, v] for k, v in self.items()]]


# ---------------------------------------------------------------- PCI

_PCI_RE = re.compile(
    r"^(?:(?P<domain>[0-9a-fA-F]{1,4})[:,])?"
    r"(?P<bus>[0-9a-fA-F]{1,2})[:,]"
    r"(?P<slot>[0-9a-fA-F]{1,2})[.,]"
    r"(?P<func>\*|[0-7](?:[,=-][0-7])*)"
    r"(?:@(?P<vslot>[01]?[0-9a-fA-F]))?"
    r"(?:,(?P<opts>.*))?$")

PCI_OPTS = ("msitranslate", "power_mgmt", "permissive", "seize")
AUTO_PHP_SLOT = 0x100
#: largest value of each PciSpec field (a PCI address; options are flags)
_PCI_LIMITS = {"domain": 0xFFFF, "bus": 0xFF, "slot": 0xFF, "func": 7,
               "vslot": 0xFF, **{opt: 1 for opt in PCI_OPTS}}


@dataclass(frozen=True)
class PciSpec:
    """One passed-through PCI function."""

    domain: int
    bus: int
    slot: int
    func: int
    vslot: int | None = None
    msitranslate: int | None = None
    power_mgmt: int | None = None
    permissive: int | None = None
    seize: int | None = None

    @classmethod
    def parse(cls, spec: str) -> list["PciSpec"]:
        """``[DDDD:]BB:SS.F[@VSLOT][,opt=0|1…]`` -> one spec per function.

        A function list (``0,2``/``0-3``) expands; ``*`` (every function
        present on the host) needs sysfs and is refused here.
        """
        m = _PCI_RE.match(spec.strip()) if isinstance(spec, str) else None
        if not m:
            raise ConfigError(f"Failed to parse pci device: {spec}")
        if m.group("func") == "*":
            raise ConfigError(f"Failed to parse pci device: {spec}: "
                              "function '*' is not supported; list the "
                              "functions")
        opts: dict[str, int] = {}
        for key, value in parse_kv_list(m.group("opts") or "", "pci"):
            if key not in PCI_OPTS or value not in ("0", "1"):
                raise ConfigError(f"Invalid pci option {key}={value} "
                                  f"in {spec}")
            opts[key] = int(value)
        funcs: list[int] = []
        for term in re.split(r"[,=]", m.group("func")):
            lo, _, hi = term.partition("-")
            funcs.extend(range(int(lo), int(hi or lo) + 1))
        vslot = m.group("vslot")
        return [cls(int(m.group("domain") or "0", 16), int(m.group("bus"), 16),
                    int(m.group("slot"), 16), func,
                    int(vslot, 16) if vslot else None, **opts)
                for func in funcs]

    @property
    def key(self) -> str:
        return f"{self.bus:02x}:{self.slot:02x}.{self.func:x}"

    @property
    def bdf(self) -> str:
        return f"{self.domain:04x}:{self.key}"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PciSpec":
        _check_keys(cls, data, "pci device")
        try:
            num = {k: int(v) for k, v in data.items() if v is not None}
            pci = cls(num.pop("domain", 0), num.pop("bus"), num.pop("slot"),
                      num.pop("func"), num.pop("vslot", None),
                      num.pop("msitranslate", None),
                      num.pop("power_mgmt", None),
                      num.pop("permissive", None), num.pop("seize", None))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ConfigError(f"Invalid pci device {dict(data)}: {exc}") \
                from None
        for key, top in _PCI_LIMITS.items():
            value = getattr(pci, key)
            if value is not None and not 0 <= value <= top:
                raise ConfigError(f"Invalid pci device {dict(data)}: {key} "
                                  f"must be between 0 and {top:#x}")
        return pci

    def to_sxp(self) -> list[Any]:
        """The ``(dev …)`` element of a ``(device (pci …))``."""
        vdevfn = (AUTO_PHP_SLOT if self.vslot is None
                  else (self.vslot << 3) | 0)
        out: list[Any] = ["dev", ["domain", f"0x{self.domain:04x}"],
                          ["bus", f"0x{self.bus:02x}"],
                          ["slot", f"0x{self.slot:02x}"],
                          ["func", f"0x{self.func:x}"],
                          ["vdevfn", f"0x{vdevfn:02x}"], ["key", self.key]]
        opts = [[k, str(getattr(self, k))] for k in PCI_OPTS
                if getattr(self, k) is not None]
        if opts:
            out.append(["opts", *opts])
        return out


# ---------------------------------------------------------------- vfb

@dataclass(frozen=True)
class VfbSpec:
    """One paravirtual framebuffer (``vfb``); options kept as given."""

    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, spec: str) -> "VfbSpec":
        """``'vnc=1, vnclisten=0.0.0.0'``; legacy ``type=vnc|sdl`` accepted."""
        if not isinstance(spec, str):
            raise ConfigError(f"Invalid vfb specifier: {spec!r}")
        opts: list[tuple[str, str]] = []
        for key, value in parse_kv_list(spec, "vfb"):
            if key == "type":
                if value not in ("vnc", "sdl"):
                    raise ConfigError(f"Invalid vfb type: {value}")
                key, value = value, "1"
            if key not in VFB_KEYS:
                raise ConfigError(f"configuration option {key} unknown "
                                  "to vfbs")
            opts.append((key, value))
        return cls(tuple(opts))

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.options:
            if k == key:
                return v
        return default

    def enabled(self, key: str) -> bool:
        """Whether a 0/1 option such as ``vnc`` is set to a true value."""
        value = self.get(key)
        return value not in (None, "", "0")

    def to_dict(self) -> dict[str, Any]:
        return dict(self.options)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "VfbSpec":
        if not isinstance(data, Mapping):
            raise ConfigError(f"Invalid vfb: {data!r}")
        for key in data:
            if key not in VFB_KEYS:
                raise ConfigError(f"configuration option {key} unknown "
                                  "to vfbs")
        return cls(tuple((k, str(v)) for k, v in data.items()))

    def to_sxp(self) -> list[Any]:
        return ["vfb", *[[k, v] for k, v in self.options]]
