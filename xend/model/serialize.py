"""DomainConfig <-> JSON-able dict (persistence of managed domains, RPC).

The dict carries ``"version": 1``.  Reading is strict: unknown keys, wrong
types and bad values raise :class:`~xend.errors.ConfigError` naming the key,
because a managed-domain file or an RPC argument that does not say what we
think it says must not start a domain.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, Callable, Mapping

from xend.errors import ConfigError
from xend.model.devices import DiskSpec, PciSpec, VfbSpec, VifSpec
from xend.model.domconfig import DomainConfig
from xend.model.platform import convert_platform_value

FORMAT_VERSION = 1

_DEVICE_TYPES: dict[str, Any] = {
    "disks": DiskSpec, "vifs": VifSpec, "pci": PciSpec, "vfbs": VfbSpec,
}
_STR_TUPLES = ("cpuid", "cpuid_check", "vscsi", "vusb", "ioports", "vif2",
               "access_control")
_OPT_STR = ("uuid", "bootargs", "pool")
_OPT_INT = ("maxmem", "maxvcpus", "cpu", "cpu_weight", "cpu_cap",
            "machine_address_size")
_BOOLS = ("localtime", "blkif", "netif")


def config_to_dict(cfg: DomainConfig) -> dict[str, Any]:
    """*cfg* as plain JSON types; None-valued fields left out."""
    out: dict[str, Any] = {"version": FORMAT_VERSION}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if value is None:
            continue
        if f.name in _DEVICE_TYPES:
            out[f.name] = [dev.to_dict() for dev in value]
        elif isinstance(value, tuple):
            out[f.name] = list(value)
        elif isinstance(value, Mapping):
            out[f.name] = dict(value)
        else:
            out[f.name] = value
    return out


def config_from_dict(data: Mapping[str, Any]) -> DomainConfig:
    """Rebuild and validate a DomainConfig from :func:`config_to_dict`."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"Invalid domain config: expected an object, got "
                          f"{type(data).__name__}")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ConfigError(f"Unsupported domain config version {version!r}")
    known = {f.name: f for f in fields(DomainConfig)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "version":
            continue
        if key not in known:
            raise ConfigError(f"Invalid domain config: unknown key {key!r}")
        kwargs[key] = _convert(key, value, known[key].default)
    if "name" not in kwargs:
        raise ConfigError("Invalid domain config: no name")
    return DomainConfig(**kwargs).validate()


def _convert(key: str, value: Any, default: Any) -> Any:
    if key in _DEVICE_TYPES:
        if not isinstance(value, list):
            raise _bad(key, value, "a list")
        make: Callable[[Any], Any] = _DEVICE_TYPES[key].from_dict
        return tuple(make(item) for item in value)
    if key in _STR_TUPLES:
        if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value):
            raise _bad(key, value, "a list of strings")
        return tuple(value)
    if key == "irq":
        if not isinstance(value, list) or not all(
                _is_int(v) for v in value):
            raise _bad(key, value, "a list of integers")
        return tuple(value)
    if key == "cpus":
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise _bad(key, value, "a string or a list of strings")
    if key == "platform":
        if not isinstance(value, Mapping):
            raise _bad(key, value, "an object")
        return {k: convert_platform_value(k, v) for k, v in value.items()}
    if key == "other":
        if not isinstance(value, Mapping):
            raise _bad(key, value, "an object")
        return dict(value)
    if key in _OPT_STR or isinstance(default, str) or key == "name":
        if not isinstance(value, str):
            raise _bad(key, value, "a string")
        return value
    if key in _BOOLS or key == "suppress_spurious_page_faults":
        if not isinstance(value, bool):
            raise _bad(key, value, "true or false")
        return value
    if key in _OPT_INT or isinstance(default, int):
        if not _is_int(value):
            raise _bad(key, value, "an integer")
        return value
    if default is MISSING:
        return value
    raise ConfigError(f"Invalid domain config: cannot read key {key!r}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad(key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(f"Invalid domain config: {key} must be {expected}, "
                       f"not {value!r}")
