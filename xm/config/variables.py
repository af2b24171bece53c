"""Every variable an xm config file (or ``xm create VAR=VALUE``) may set.

One table: name, kind, default, placeholder and help.  It drives the
command-line ``VAR=VALUE`` parsing, the conversion of values a config file
assigned, and ``xm create --help_config``.

Kinds: ``str``; ``int``; ``bool`` (``yes|y|no|n`` on the command line, any
int in a file); ``list`` (repeatable: every command-line occurrence appends
one item); ``intstr`` (a flag xm kept as given, e.g. ``vnc='1'`` or
``gfx_passthru='igd'``); ``cpus`` (a string, or a list of one string per
vcpu).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from xend.errors import ConfigError


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str
    default: Any
    placeholder: str
    help: str


def _v(name: str, kind: str, default: Any, placeholder: str,
       help: str) -> Variable:
    return Variable(name, kind, default, placeholder, help)


_YES = "no|yes"
VARIABLE_LIST: tuple[Variable, ...] = (
    # --- identity and boot
    _v("name", "str", None, "NAME", "Domain name; must be unique "
       "(default: the config file's name)."),
    _v("uuid", "str", None, "UUID", "Fixed domain UUID (default: random)."),
    _v("description", "str", "", "TEXT", "Free-text description."),
    _v("builder", "str", "linux", "linux|hvm|pvh",
       "Domain type: linux (paravirtualised), hvm, or pvh."),
    _v("kernel", "str", None, "FILE", "Kernel image (HVM: hvmloader)."),
    _v("ramdisk", "str", "", "FILE", "Initial ramdisk."),
    _v("loader", "str", "", "FILE", "HVM firmware."),
    _v("root", "str", "", "DEVICE", "Root device: becomes root= on the "
       "kernel command line."),
    _v("extra", "str", "", "ARGS", "Extra kernel command-line arguments."),
    _v("bootloader", "str", None, "FILE", "Bootloader, e.g. pygrub."),
    _v("bootargs", "str", None, "ARGS", "Arguments for the bootloader."),
    _v("bootentry", "str", None, "NAME", "Deprecated: use bootargs."),
    _v("features", "str", "", "FEATURES", "Guest kernel features."),
    _v("ip", "str", "", "IPADDR", "Kernel ip= address."),
    _v("gateway", "str", "", "IPADDR", "Kernel ip= gateway."),
    _v("netmask", "str", "", "MASK", "Kernel ip= netmask."),
    _v("hostname", "str", "", "NAME", "Kernel ip= host name."),
    _v("interface", "str", "eth0", "INTF", "Kernel ip= interface."),
    _v("dhcp", "str", "off", "off|dhcp", "Kernel ip= autoconfiguration."),
    _v("nfs_server", "str", None, "IPADDR", "NFS root server."),
    _v("nfs_root", "str", None, "PATH", "NFS root directory."),
    _v("superpages", "int", 0, "0|1", "Build the domain with superpages."),
    _v("vhpt", "int", 0, "VHPT", "IA64 only: log2 of the VHPT size."),
    # --- memory, CPUs, lifecycle
    _v("memory", "int", 128, "MEMORY", "Initial memory in MiB."),
    _v("maxmem", "int", None, "MEMORY", "Maximum memory in MiB "
       "(default: memory)."),
    _v("shadow_memory", "int", 0, "MEMORY", "Shadow page-table memory in "
       "MiB (0: automatic)."),
    _v("memory_sharing", "bool", 0, _YES, "Share identical pages."),
    _v("vcpus", "int", 1, "VCPUS", "Virtual CPUs (online at start)."),
    _v("maxvcpus", "int", None, "VCPUS", "Virtual CPUs the domain is built "
       "with (default: vcpus)."),
    _v("vcpu_avail", "int", None, "MASK", "Bitmask of the vcpus online "
       "at start."),
    _v("cpu", "int", None, "CPU", "Physical CPU for vcpu 0."),
    _v("cpus", "cpus", None, "CPUS", "CPU affinity, e.g. \"0-3,5,^1\", "
       "or one string per vcpu."),
    _v("cpu_cap", "int", None, "CAP", "Credit scheduler cap, % of one CPU "
       "(0: none)."),
    _v("cpu_weight", "int", None, "WEIGHT", "Credit scheduler weight "
       "(default 256)."),
    _v("pool", "str", None, "POOL", "CPU pool."),
    _v("restart", "str", None, "onreboot|always|never", "Deprecated: use "
       "on_poweroff, on_reboot and on_crash."),
    _v("on_poweroff", "str", None, "ACTION", "destroy|restart|preserve|"
       "rename-restart when the guest powers off (default destroy)."),
    _v("on_reboot", "str", None, "ACTION", "The same, when it reboots "
       "(default restart)."),
    _v("on_crash", "str", None, "ACTION", "The same plus coredump-destroy|"
       "coredump-restart, when it crashes (default restart)."),
    _v("on_xend_start", "str", "ignore", "ignore|start",
       "What xend does with this managed domain when it starts."),
    _v("on_xend_stop", "str", "ignore", "ignore|shutdown|suspend",
       "What xend does with the domain when it stops."),
    _v("target", "int", 0, "DOMID", "Domain a stub domain serves."),
    _v("tsc_mode", "int", 0, "0|1|2|3", "TSC mode: 0 default, 1 always "
       "emulate, 2 never emulate, 3 pvrdtscp."),
    _v("nomigrate", "int", 0, "0|1", "1 forbids save and migration."),
    _v("machine_address_size", "int", None, "BITS", "Maximum machine "
       "address size."),
    _v("suppress_spurious_page_faults", "bool", None, _YES,
       "Do not inject spurious page faults."),
    _v("s3_integrity", "int", 1, "0|1", "Verify memory integrity over S3 "
       "(tboot)."),
    _v("oos", "int", 1, "0|1", "Out-of-sync shadow page tables."),
    _v("hap", "int", 1, "0|1", "Hardware-assisted paging."),
    _v("nestedhvm", "int", 0, "0|1", "Nested HVM."),
    _v("cpuid", "list", [], "IN[,SIN]:eax=...", "CPUID policy entry."),
    _v("cpuid_check", "list", [], "IN[,SIN]:eax=...", "CPUID check entry."),
    _v("blkif", "bool", 0, _YES, "Make the domain a block backend."),
    _v("netif", "bool", 0, _YES, "Make the domain a network backend."),
    _v("access_control", "list", [], "policy=P,label=L", "Security label."),
    # --- devices
    _v("disk", "list", [], "UNAME,DEV,MODE[,DOM[,PROTO]]",
       "A disk, e.g. phy:vg0/root,xvda,w (repeatable)."),
    _v("vif", "list", [], "k=v,...", "A network interface: mac, bridge, "
       "ip, script, type, vifname, rate, model, backend, accel "
       "(repeatable)."),
    _v("vif2", "list", [], "k=v,...", "A netchannel2 interface."),
    _v("nics", "int", -1, "NUM", "Deprecated: number of interfaces."),
    _v("vfb", "list", [], "k=v,...", "A paravirtual framebuffer: vnc, sdl, "
       "vnclisten, vncdisplay, vncunused, vncpasswd, keymap, …"),
    _v("pci", "list", [], "[DDDD:]BB:SS.F[@VSLOT][,opt=V]", "A PCI "
       "device to pass through (repeatable)."),
    _v("vscsi", "list", [], "PDEV,VDEV[,DOM]", "A SCSI device."),
    _v("vusb", "list", [], "usbver=N,numports=N,...", "A virtual USB host "
       "controller."),
    _v("ioports", "list", [], "FROM[-TO]", "A legacy I/O port range (hex)."),
    _v("irq", "list", [], "IRQ", "An interrupt line to pass through."),
    # --- device model / HVM
    _v("device_model", "str", None, "FILE", "Device model (qemu-dm)."),
    _v("boot", "str", "c", "a|c|d|n", "HVM boot order, e.g. cda."),
    _v("acpi", "int", 1, "0|1", "HVM ACPI."),
    _v("apic", "int", 1, "0|1", "HVM APIC."),
    _v("pae", "int", 1, "0|1", "HVM PAE."),
    _v("hpet", "int", 0, "0|1", "Virtual HPET."),
    _v("timer_mode", "int", 1, "0|1|2|3", "HVM timer mode."),
    _v("vpt_align", "int", 1, "0|1", "Align periodic virtual timers."),
    _v("viridian", "int", 0, "0|1", "Hyper-V enlightenments."),
    _v("localtime", "bool", 0, _YES, "RTC in local time."),
    _v("rtc_timeoffset", "int", 0, "SECONDS", "RTC offset."),
    _v("vnc", "intstr", None, "0|1", "VNC console (HVM)."),
    _v("vncdisplay", "intstr", None, "N", "VNC display (port 5900+N)."),
    _v("vnclisten", "str", None, "ADDR", "VNC listen address."),
    _v("vncunused", "bool", 1, _YES, "Pick the first free VNC port."),
    _v("vncpasswd", "str", None, "PASSWORD", "VNC password."),
    _v("vncconsole", "bool", None, _YES, "Start a vncviewer after create."),
    _v("vncviewer", "bool", None, _YES, "Deprecated."),
    _v("sdl", "intstr", None, "0|1", "SDL window (HVM)."),
    _v("opengl", "intstr", None, "0|1", "OpenGL for SDL."),
    _v("display", "str", None, "DISPLAY", "X11 display for SDL."),
    _v("xauthority", "str", None, "FILE", "X11 authority file for SDL."),
    _v("nographic", "bool", 0, _YES, "No graphics for the device model."),
    _v("stdvga", "bool", 0, _YES, "Standard VGA instead of Cirrus."),
    _v("videoram", "int", 4, "MEMORY", "Video memory in MiB."),
    _v("serial", "str", "", "DEV", "Serial port: pty, /dev/ttyS0, file:…"),
    _v("parallel", "str", "", "DEV", "Parallel port."),
    _v("monitor", "bool", 0, _YES, "Device-model monitor."),
    _v("monitor_path", "str", "", "PATH", "Device-model monitor path."),
    _v("usb", "bool", 0, _YES, "Emulated USB controller."),
    _v("usbdevice", "str", "", "NAME", "Emulated USB device: tablet, "
       "mouse, host:…"),
    _v("soundhw", "str", "", "DEV", "Emulated sound card(s)."),
    _v("keymap", "str", "", "LAYOUT", "Keyboard layout."),
    _v("fda", "str", "", "FILE", "Floppy image A."),
    _v("fdb", "str", "", "FILE", "Floppy image B."),
    _v("isa", "bool", 0, _YES, "ISA-only machine."),
    _v("guest_os_type", "str", "default", "NAME", "Guest OS type."),
    _v("gfx_passthru", "intstr", None, "0|1|igd", "Graphics passthrough."),
    _v("xen_platform_pci", "int", 1, "0|1", "Xen platform PCI device."),
    _v("pci_msitranslate", "int", 1, "0|1", "Default PCI MSI-INTx "
       "translation."),
    _v("pci_power_mgmt", "int", 0, "0|1", "Default PCI power management."),
    _v("xen_extended_power_mgmt", "int", None, "0|1|2", "Extended power "
       "management for the guest."),
)

VARIABLES: dict[str, Variable] = {v.name: v for v in VARIABLE_LIST}


def convert_cmdline(var: Variable, text: str) -> Any:
    """A command-line ``VAR=VALUE`` string converted for *var*."""
    if var.kind == "bool":
        if text in ("yes", "y"):
            return 1
        if text in ("no", "n"):
            return 0
        raise ConfigError(f"Invalid value:{text}")
    if var.kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"Invalid value: {text}") from None
    return text


def convert_file_value(var: Variable, value: Any) -> Any:
    """A value a config file assigned to *var*, checked and converted.

    Strings are accepted for int variables when they hold a number (xm
    passed them through; xend converted them later).  ``True``/``False``
    count as 1/0: xm 4.4 silently ignored bools, which dropped settings
    such as ``acpi = False``; we honour them instead.
    """
    where = f"Invalid value for {var.name}: {value!r}"
    if isinstance(value, bool) and var.kind != "list":
        value = int(value)      # and on as a number ("1" for a string)
    if var.kind in ("int", "bool"):
        if isinstance(value, int):
            return value
        if isinstance(value, float) and math.isfinite(value) and \
                value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip(), 0)
            except ValueError:
                pass
        raise ConfigError(where + " (expected an integer)")
    if var.kind == "str":
        if isinstance(value, (str, int, float)):
            return str(value)
        raise ConfigError(where + " (expected a string)")
    if var.kind == "intstr":
        if isinstance(value, (int, str)):
            return value
        raise ConfigError(where)
    if var.kind == "list":
        if isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(value, str):
            return [value]  # a lone string is one entry
        raise ConfigError(where + " (expected a list)")
    if var.kind == "cpus":
        if isinstance(value, (str, int)):
            return str(value)
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        raise ConfigError(where)
    raise ConfigError(where)


def help_config() -> str:
    """The ``--help_config`` text: every variable, its values and default."""
    lines = ["", "Values:", ""]
    for var in VARIABLE_LIST:
        lines.append(f" {var.name}={var.placeholder}")
        lines.append(f"    {var.help}")
        default = var.default if var.default not in (None, [], "") else "None"
        lines.append(f"    Default {default}")
    lines.append("")
    return "\n".join(lines)
