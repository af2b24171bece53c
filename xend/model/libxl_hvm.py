"""The HVM and framebuffer parts of the libxl JSON translation.

Split from :mod:`xend.model.libxl_json` to keep files small.  Only options a
config actually set are written (the model keeps unset platform options
out of ``DomainConfig.platform``), because xl writes only what its config
file names and libxl omits defaults.
"""

from __future__ import annotations

import os
from typing import Any

from xend.errors import ConfigError
from xend.model.devices import VfbSpec
from xend.model.domconfig import DomainConfig
from xend.model.platform import is_true

JSON = dict[str, Any]

MAX_VNC_DISPLAY = 65535 - 5900
TIMER_MODES = ("delay_for_missed_ticks", "no_delay_for_missed_ticks",
               "no_missed_ticks_pending", "one_missed_tick_pending")


#: ``device_model`` values of xm configs that name what libxl runs anyway,
#: by file name: xend 4.4's qemu-dm (any directory) and upstream qemu.
DEFAULT_DEVICE_MODELS = ("qemu-dm", "qemu-system-i386")
#: xend 4.4's script that ran qemu-dm in a stub domain; in xl terms
#: ``device_model_stubdomain_override=1`` (HVM guests only).
STUBDOM_DEVICE_MODEL = "stubdom-dm"


def device_model_stubdomain(cfg: DomainConfig) -> bool:
    """Whether *cfg*'s ``device_model`` asks for a stub domain.

    libxl chooses and starts the device model itself: a value meaning
    anything else than the default or a stub domain is refused
    (ConfigError), never silently dropped."""
    value = cfg.platform.get("device_model")
    if value is None or str(value).strip() == "":
        return False
    name = os.path.basename(str(value).strip())
    if name == STUBDOM_DEVICE_MODEL:
        if not cfg.is_hvm:
            raise ConfigError(f"device_model '{value}': a stub domain device "
                              "model is for HVM guests only")
        return True
    if name in DEFAULT_DEVICE_MODELS:
        return False
    raise ConfigError(
        f"Unsupported device_model '{value}': libxl starts its own device "
        f"model; use '{DEFAULT_DEVICE_MODELS[0]}' (the default) or "
        f"'{STUBDOM_DEVICE_MODEL}' (in a stub domain, HVM only)")


def _defbool(value: Any) -> str:
    return "True" if is_true(value) else "False"


def hvm_toplevel_fields(cfg: DomainConfig) -> JSON:
    """``b_info`` keys outside ``type.hvm``: acpi, timer_mode, nested_hvm,
    apic (HVM guests only; xm ignored them for PV)."""
    if not cfg.is_hvm:
        return {}
    p = cfg.platform
    out: JSON = {}
    if "acpi" in p:
        out["acpi"] = _defbool(p["acpi"])
    if "timer_mode" in p and 0 <= int(p["timer_mode"]) < len(TIMER_MODES):
        out["timer_mode"] = TIMER_MODES[int(p["timer_mode"])]
    if "nestedhvm" in p:
        out["nested_hvm"] = _defbool(p["nestedhvm"])
    if "apic" in p:
        out["apic"] = _defbool(p["apic"])
    return out


def hvm_build_info(cfg: DomainConfig) -> JSON:
    """The ``"type.hvm"`` member of ``b_info`` (libxl IDL field order)."""
    p = cfg.platform
    out: JSON = {}
    if cfg.loader and os.path.basename(cfg.loader) != "hvmloader":
        out["firmware"] = cfg.loader
    for key in ("pae", "viridian", "hpet", "vpt_align"):
        if key in p:
            out[key] = _defbool(p[key])
    if "nographic" in p:
        out["nographic"] = _defbool(p["nographic"])
    vga: JSON = {}
    if "stdvga" in p:
        vga["kind"] = "std" if is_true(p["stdvga"]) else "cirrus"
    out["vga"] = vga
    out["vnc"] = _vnc({k: p[k] for k in _VNC_KEYS if k in p})
    if "keymap" in p:
        out["keymap"] = p["keymap"]
    out["sdl"] = _sdl({k: p[k] for k in _SDL_KEYS if k in p})
    out["spice"] = {}
    if "gfx_passthru" in p:
        value = p["gfx_passthru"]
        if isinstance(value, str) and not value.strip().isdigit():
            out["gfx_passthru"] = "True"
            out["gfx_passthru_kind"] = value
        else:
            out["gfx_passthru"] = _defbool(value)
    for key in ("serial", "boot"):
        if key in p:
            out[key] = p[key]
    if "usb" in p:
        out["usb"] = _defbool(p["usb"])
    for key in ("usbdevice", "soundhw"):
        if key in p:
            out[key] = p[key]
    if "xen_platform_pci" in p:
        out["xen_platform_pci"] = _defbool(p["xen_platform_pci"])
    out["rdm"] = {}
    return out


_VNC_KEYS = ("vnc", "vnclisten", "vncpasswd", "vncdisplay", "vncunused")
_SDL_KEYS = ("sdl", "opengl", "display", "xauthority")


def _vnc(opts: dict[str, Any]) -> JSON:
    out: JSON = {}
    if "vnc" in opts:
        out["enable"] = _defbool(opts["vnc"])
    if "vnclisten" in opts:
        out["listen"] = str(opts["vnclisten"])
    if "vncpasswd" in opts:
        out["passwd"] = str(opts["vncpasswd"])
    if "vncdisplay" in opts and str(opts["vncdisplay"]).strip() != "":
        out["display"] = _vnc_display(opts["vncdisplay"])
    if "vncunused" in opts:
        out["findunused"] = _defbool(opts["vncunused"])
    return out


def _vnc_display(value: Any) -> int:
    """A VNC display number: the server listens on port 5900 + N."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_VNC_DISPLAY:
        return int(text)
    raise ConfigError(f"Invalid value for vncdisplay: {value!r} (a display "
                      f"number from 0 to {MAX_VNC_DISPLAY})")


def _sdl(opts: dict[str, Any]) -> JSON:
    out: JSON = {}
    if "sdl" in opts:
        out["enable"] = _defbool(opts["sdl"])
    if "opengl" in opts:
        out["opengl"] = _defbool(opts["opengl"])
    if "display" in opts:
        out["display"] = str(opts["display"])
    if "xauthority" in opts:
        out["xauthority"] = str(opts["xauthority"])
    return out


def vfb_json(devid: int, vfb: VfbSpec) -> JSON:
    """One ``vfbs[]`` entry for a PV framebuffer."""
    opts = dict(vfb.options)
    out: JSON = {"devid": devid,
                 "vnc": _vnc({k: opts[k] for k in _VNC_KEYS if k in opts}),
                 "sdl": _sdl({k: opts[k] for k in _SDL_KEYS if k in opts})}
    if "keymap" in opts:
        out["keymap"] = opts["keymap"]
    return out
