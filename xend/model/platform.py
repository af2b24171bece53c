"""Device-model and firmware ("platform") options of the domain model.

xm kept these as plain variables and copied them into the ``image`` SXP;
xend 4.4 called the same set ``platform``.  The model stores only the ones a
config set (``DomainConfig.platform``); this table gives each option's value
kind and the default xm printed when it was not set.
"""

from __future__ import annotations

from typing import Any

from xend.errors import ConfigError

#: kind of value: "int" (0/1 flags and numbers), "str", or "intstr" (xm took
#: the string as given, e.g. ``vnc='1'``; we keep ints as ints).
#: The default is what ``xm create -n`` printed when unset (None: omitted).
PLATFORM_KEYS: dict[str, tuple[str, Any]] = {
    "acpi": ("int", 1),
    "apic": ("int", 1),
    "boot": ("str", "c"),
    "device_model": ("str", None),
    "display": ("str", None),
    "fda": ("str", ""),
    "fdb": ("str", ""),
    "gfx_passthru": ("intstr", None),
    "guest_os_type": ("str", "default"),
    "hpet": ("int", 0),
    "isa": ("int", 0),
    "keymap": ("str", ""),
    "nestedhvm": ("int", 0),
    "nographic": ("int", 0),
    "opengl": ("intstr", None),
    "pae": ("int", 1),
    "pci_msitranslate": ("int", 1),
    "pci_power_mgmt": ("int", 0),
    "rtc_timeoffset": ("int", 0),
    "sdl": ("intstr", None),
    "soundhw": ("str", ""),
    "stdvga": ("int", 0),
    "timer_mode": ("int", 1),
    "usb": ("int", 0),
    "usbdevice": ("str", ""),
    "vnc": ("intstr", None),
    "vncconsole": ("int", None),
    "vncdisplay": ("intstr", None),
    "vnclisten": ("str", None),
    "vncunused": ("int", 1),
    "viridian": ("int", 0),
    "vpt_align": ("int", 1),
    "xauthority": ("str", None),
    "xen_extended_power_mgmt": ("int", None),
    "xen_platform_pci": ("int", 1),
    "memory_sharing": ("int", 0),
    "vncpasswd": ("str", None),
    # image keys xm emitted for every builder
    "videoram": ("int", 4),
    "parallel": ("str", ""),
    "serial": ("str", ""),
    "monitor": ("int", 0),
    "monitor_path": ("str", ""),
}

#: The order of the HVM keys in the image SXP (xm 4.4 configure_hvm).
HVM_IMAGE_ORDER = (
    "acpi", "apic", "boot", "cpuid", "cpuid_check", "device_model",
    "display", "fda", "fdb", "gfx_passthru", "guest_os_type", "hap", "hpet",
    "isa", "keymap", "localtime", "nestedhvm", "nographic", "opengl", "oos",
    "pae", "pci", "pci_msitranslate", "pci_power_mgmt", "rtc_timeoffset",
    "sdl", "soundhw", "stdvga", "timer_mode", "usb", "usbdevice", "vcpus",
    "vnc", "vncconsole", "vncdisplay", "vnclisten", "vncunused", "viridian",
    "vpt_align", "xauthority", "xen_extended_power_mgmt", "xen_platform_pci",
    "memory_sharing")


def convert_platform_value(key: str, value: Any) -> int | str:
    """*value* converted to the kind of platform option *key*."""
    if key not in PLATFORM_KEYS:
        raise ConfigError(f"Unknown platform option: {key}")
    kind = PLATFORM_KEYS[key][0]
    if kind == "str":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            raise ConfigError(f"Invalid value for {key}: {value!r}")
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("yes", "y", "true"):
            return 1
        if text.lower() in ("no", "n", "false"):
            return 0
        try:
            return int(text, 0) if kind == "int" else int(text)
        except ValueError:
            if kind == "intstr":
                return value
    raise ConfigError(f"Invalid value for {key}: {value!r}")


def platform_value(platform: dict[str, Any] | Any, key: str) -> Any:
    """The value set for *key*, or xm's default (None when there is none)."""
    if key in platform:
        return platform[key]
    return PLATFORM_KEYS[key][1]


def is_true(value: Any) -> bool:
    """xm's notion of an enabled flag: 1, '1', 'yes'; not 0, '0', '', None."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "no", "n", "false")
    return bool(value)
