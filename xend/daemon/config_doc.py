"""What each ``xend-config.sxp`` key means, for xend-config.sxp(5).

One entry per key of :data:`xend.daemon.config.KEYS` (a test keeps the two
tables equal): the value's placeholder and a description.  Defaults are not
repeated here; the man page takes them from :class:`XendConfig` itself.
"""

from __future__ import annotations

# key -> (placeholder, description)
KEY_DOCS: dict[str, tuple[str, str]] = {
    "hypervisor": ("sim|libxl", "The hypervisor backend: libxl drives a real "
                   "Xen host; sim is the simulated hypervisor.  Default: "
                   "libxl when /dev/xen/privcmd exists, else sim."),
    "xend-rpc-socket": ("PATH", "The Unix socket xend serves xm on (xm "
                        "also honours $XM_SERVER=unix:///PATH)."),
    "xend-pid-file": ("PATH", "Where xend writes its process id."),
    "xend-domains-path": ("DIR", "Managed domains (xm new): one "
                          "<uuid>/config.json each."),
    "xend-state-path": ("DIR", "xend's runtime records; the simulator "
                        "keeps its hypervisor state here too."),
    "logfile": ("PATH", "xend's log, in 4.4's line format, rotated at "
                "1 MiB times 5."),
    "loglevel": ("LEVEL", "DEBUG, INFO, WARNING, ERROR or CRITICAL."),
    "xenstored-socket": ("PATH", "Where xenstored listens: the host's "
                         "(libxl; /run/xenstored/socket) or xend's embedded "
                         "one (sim; xenstored/socket beside the RPC socket)."),
    "sim-host-memory": ("MiB", "The simulated host's memory."),
    "sim-host-cpus": ("N", "The simulated host's CPUs."),
    "sim-scheduler": ("credit|credit2", "The simulated host's scheduler."),
    "sim-dom0-memory": ("MiB", "Domain-0's memory on the simulated host."),
    "sim-stream-rate": ("KiB/s", "Pace of the simulator's save and "
                        "migration stream (4 KiB per MiB of guest memory); "
                        "0 is unlimited."),
    "sim-ignore-shutdown": ("'NAME ...'", "Simulated guests that never act "
                            "on a shutdown request, like a hung guest "
                            "(sysrq and xm destroy still work).  For "
                            "tests."),
    "xend-dump-path": ("DIR", "Where xm dump-core (without a file name) "
                       "and on_crash=coredump-* write cores: "
                       "<name>/<YYYY-MMDD-HHMM.SS>-<name>.<domid>.core.  "
                       "Default /var/xen/dump, as in 4.4."),
    "dom0-min-mem": ("MiB", "Domain-0 never goes below this much memory "
                     "(xm mem-set, ballooning).  Above 0 it turns "
                     "enable-dom0-ballooning on unless that is set."),
    "enable-dom0-ballooning": ("yes|no", "Take memory from Domain-0, down "
                               "to dom0-min-mem, when a domain needs more "
                               "than is free."),
    "dom0-cpus": ("N", "How many CPUs Domain-0 uses (0: all)."),
    "console-limit": ("KiB", "Console output buffered per domain."),
    "vif-script": ("SCRIPT", "The hotplug script of network interfaces "
                   "without a script= of their own."),
    "vnc-listen": ("ADDRESS", "Address a domain's VNC server listens on "
                   "unless its config says."),
    "vncpasswd": ("PASSWORD", "Default VNC password."),
    "keymap": ("LAYOUT", "Default keyboard layout of the device model."),
    "xend-relocation-server": ("yes|no", "Run the relocation (live "
                               "migration) server that other hosts' xends "
                               "send domains to."),
    "xend-relocation-port": ("PORT", "Its TCP port."),
    "xend-relocation-address": ("ADDRESS", "Its address (empty: all "
                                "addresses)."),
    "xend-relocation-hosts-allow": ("'REGEX ...'", "Space-separated regular "
                                    "expressions matched from the start "
                                    "against the peer's IP address or name; "
                                    "empty lets every peer in."),
    "xend-relocation-ssl-server": ("yes|no", "Run the TLS relocation "
                                   "server."),
    "xend-relocation-ssl-port": ("PORT", "Its TCP port."),
    "xend-relocation-ssl": ("yes|no", "Make TLS the default of xm "
                            "migrate."),
    "xend-relocation-server-ssl-key-file": ("PATH", "This host's TLS key "
                                            "(server and client)."),
    "xend-relocation-server-ssl-cert-file": ("PATH", "This host's TLS "
                                             "certificate (server and "
                                             "client)."),
    "xend-relocation-ssl-ca-file": ("PATH", "The CA both ends verify each "
                                    "other against; sending with --ssl "
                                    "needs it."),
}
