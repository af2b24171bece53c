"""The xm config variables that have no effect on Xen 4.17, and why.

xm 4.4 accepted every variable of :mod:`xm.config.variables`; some of them
name things libxl 4.17 cannot do (or that went with xend and IA64).  They
are listed here, once, each with the reason that completes the warning
``Warning: NAME was ignored: REASON``.  ``xm create`` and ``xm new`` (with
``-n`` too) print that line on stderr for each of them a config file or a
``VAR=VALUE`` word set; the command goes on, and its exit code is
unchanged.  A variable left unset says nothing, and so does a value that
asks for nothing (``0``, ``''``, ``[]``, or one of :data:`NO_EFFECT`).

The values stay in the domain's stored configuration; they just do
nothing.  When one of these gets a mapping to libxl, its entry goes:
``tests/config/test_unapplied.py`` checks that every xm variable either
changes the libxl JSON (or xend's own records) or is listed here -- and
that a listed one changes nothing.
"""

from __future__ import annotations

from typing import Any, Mapping

_IA64 = "it is for IA64, which Xen 4.17 does not run on"
_GONE = "Xen 4.17 no longer has this setting"
_MONITOR = "libxl keeps the device model's monitor for itself"
_FLOPPY = "libxl 4.17 gives HVM guests no floppy drive"

#: variable -> why it was ignored (in the order of the variable table)
UNAPPLIED: dict[str, str] = {
    "bootentry": "it is deprecated; use bootargs='--entry=NAME'",
    "features": "libxl 4.17 takes no guest kernel features in a domain "
                "config",
    "superpages": "Xen 4.17 has no PV superpages (HVM guests get "
                  "superpages anyway)",
    "vhpt": _IA64,
    "memory_sharing": "libxl 4.17 has no setting to share a domain's "
                      "memory pages",
    "vcpu_avail": "vcpus sets how many vcpus start online (xm 4.4 "
                  "ignored vcpu_avail too)",
    "target": "libxl creates and targets stub domains itself "
              "(device_model='stubdom-dm')",
    "machine_address_size": _GONE,
    "suppress_spurious_page_faults": _GONE,
    "s3_integrity": "libxl 4.17 never asks Xen for S3 memory integrity "
                    "(tboot)",
    "cpuid_check": "libxl 4.17 has no CPUID check (cpuid entries are "
                   "applied)",
    "access_control": "xend's ACM security labels are not translated to "
                      "libxl's FLASK labels",
    "vif2": "netchannel2 is gone from Xen 4.17; use vif",
    "vscsi": "libxl 4.17 has no PV SCSI devices",
    "vusb": "xend's PV USB controllers are not translated to libxl's "
            "usbctrl devices",
    "vncconsole": "xm starts a VNC viewer only with --vncviewer (xm "
                  "create, xm start)",
    "vncviewer": "it is deprecated and had no effect in xm 4.4 either",
    "parallel": "libxl 4.17 gives HVM guests no parallel port",
    "monitor": _MONITOR,
    "monitor_path": _MONITOR,
    "fda": _FLOPPY,
    "fdb": _FLOPPY,
    "isa": "libxl 4.17 has no ISA-only machine for HVM guests",
    "guest_os_type": _IA64,
    "xen_extended_power_mgmt": "libxl 4.17 cannot pass host power "
                               "management to a guest",
}

#: values that ask for what happens anyway (besides 0, '' and [])
NO_EFFECT: dict[str, tuple[str, ...]] = {
    "guest_os_type": ("default",),
    "parallel": ("none",),
}


def asks_for_effect(name: str, value: Any) -> bool:
    """Whether *value* of variable *name* asks for something to happen."""
    if isinstance(value, str):
        value = value.strip()
    if not value:
        return False
    return value not in NO_EFFECT.get(name, ())


def ignored_variables(values: Mapping[str, Any]) -> list[str]:
    """The variables of :data:`UNAPPLIED` that *values* (what a config
    set, converted) asks something of, in table order."""
    return [name for name in UNAPPLIED
            if name in values and asks_for_effect(name, values[name])]


def warning_lines(values: Mapping[str, Any]) -> list[str]:
    """One ``Warning: NAME was ignored: REASON`` line (no newline) per
    variable of :func:`ignored_variables`."""
    return [f"Warning: {name} was ignored: {UNAPPLIED[name]}"
            for name in ignored_variables(values)]
