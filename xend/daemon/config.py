"""xend's own configuration: ``xend-config.sxp``, read into a frozen dataclass.

The file is a sequence of ``(key value)`` SXP forms (path from
``$XEND_CONFIG``, default ``/etc/xen/xend-config.sxp``, as in 4.4).  The 4.4
keys that still mean something are read; the 4.4 keys that no longer do are
accepted and ignored (logged), so an old file keeps working; an unknown key
is a warning, a bad value an error naming the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from xend.errors import ConfigError

DEFAULT_CONFIG = "/etc/xen/xend-config.sxp"

_TRUE = ("yes", "y", "1", "on", "true", "t")
_FALSE = ("no", "n", "0", "off", "false", "f")

# 4.4 keys with no meaning on a libxl host (servers we don't run, ACM...).
IGNORED_KEYS = frozenset("""
xen-api-server xend-http-server xend-port xend-address xend-unix-server
xend-unix-path xend-tcp-xmlrpc-server xend-tcp-xmlrpc-server-address
xend-tcp-xmlrpc-server-port xend-tcp-xmlrpc-server-ssl-key-file
xend-tcp-xmlrpc-server-ssl-cert-file xend-unix-xmlrpc-server
xend-udev-event-server xsm_module_name resource-label-change-script
xend-storage-path xend-security-path pscsi-device-mask network-script
qemu-dm-logrotate-count total_available_memory external-migration-tool
vnc-tls vnc-x509-cert-dir vnc-x509-verify pci-passthrough-strict-check
device-create-timeout device-destroy-timeout enable-dump
""".split())


def _bool(value: str) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected yes or no, got '{value}'")


def _int(value: str) -> int:
    return int(value, 0)


def _positive(value: str) -> int:
    n = _int(value)
    if n <= 0:
        raise ValueError(f"expected a positive number, got {n}")
    return n


def _not_negative(value: str) -> int:
    n = _int(value)
    if n < 0:
        raise ValueError(f"expected a number >= 0, got {n}")
    return n


def _choice(*choices: str) -> Callable[[str], str]:
    def conv(value: str) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, "
                             f"got '{value}'")
        return value
    return conv


def _path(value: str) -> str:
    if not value:
        raise ValueError("expected a path")
    return value


def default_hypervisor() -> str:
    """libxl on a Xen dom0, the simulator anywhere else."""
    if os.path.exists("/dev/xen/privcmd") or \
            os.path.exists("/proc/xen/privcmd"):
        return "libxl"
    return "sim"


@dataclass(frozen=True)
class XendConfig:
    path: str = DEFAULT_CONFIG
    hypervisor: str = field(default_factory=default_hypervisor)
    rpc_socket: str = "/run/xend/xend.sock"
    pid_file: str = "/run/xend.pid"
    domains_path: str = "/var/lib/xend/domains"
    state_path: str = "/var/lib/xend/state"
    logfile: str = "/var/log/xen/xend.log"
    loglevel: str = "DEBUG"
    # "" = the backend's default: the host's /run/xenstored/socket (libxl),
    # or <dir of rpc_socket>/xenstored/socket for xend's own (sim); see
    # xend.xs.embedded.xenstored_socket.
    xenstored_socket: str = ""
    sim_host_memory: int = 8192
    sim_host_cpus: int = 4
    sim_scheduler: str = "credit"
    sim_dom0_memory: int = 1024
    sim_stream_rate: int = 0        # KiB/s of a save's stream; 0: unlimited
    sim_ignore_shutdown: str = ""   # names of sim guests deaf to shutdown
    dump_path: str = "/var/xen/dump"
    dom0_min_mem: int = 0
    enable_dom0_ballooning: bool = False
    dom0_cpus: int = 0
    console_limit: int = 1024
    vif_script: str = "vif-bridge"
    vnc_listen: str = "127.0.0.1"
    vncpasswd: str = ""
    keymap: str = ""
    relocation_server: bool = False
    relocation_port: int = 8002
    relocation_address: str = ""
    relocation_hosts_allow: str = ""
    relocation_ssl_server: bool = False
    relocation_ssl_port: int = 8003
    relocation_ssl: bool = False
    relocation_ssl_key_file: str = ""
    relocation_ssl_cert_file: str = ""
    relocation_ssl_ca_file: str = ""
    warnings: tuple[str, ...] = ()


# key in the file -> (dataclass field, converter)
KEYS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "hypervisor": ("hypervisor", _choice("sim", "libxl")),
    "xend-rpc-socket": ("rpc_socket", _path),
    "xend-pid-file": ("pid_file", _path),
    "xend-domains-path": ("domains_path", _path),
    "xend-state-path": ("state_path", _path),
    "logfile": ("logfile", _path),
    "loglevel": ("loglevel", _choice("DEBUG", "INFO", "WARNING", "ERROR",
                                     "CRITICAL")),
    "xenstored-socket": ("xenstored_socket", _path),
    "sim-host-memory": ("sim_host_memory", _positive),
    "sim-host-cpus": ("sim_host_cpus", _positive),
    "sim-scheduler": ("sim_scheduler", _choice("credit", "credit2")),
    "sim-dom0-memory": ("sim_dom0_memory", _positive),
    "sim-stream-rate": ("sim_stream_rate", _not_negative),
    "sim-ignore-shutdown": ("sim_ignore_shutdown", str),
    "xend-dump-path": ("dump_path", _path),
    "dom0-min-mem": ("dom0_min_mem", _int),
    "enable-dom0-ballooning": ("enable_dom0_ballooning", _bool),
    "dom0-cpus": ("dom0_cpus", _int),
    "console-limit": ("console_limit", _positive),
    "vif-script": ("vif_script", str),
    "vnc-listen": ("vnc_listen", str),
    "vncpasswd": ("vncpasswd", str),
    "keymap": ("keymap", str),
    "xend-relocation-server": ("relocation_server", _bool),
    "xend-relocation-port": ("relocation_port", _positive),
    "xend-relocation-address": ("relocation_address", str),
    "xend-relocation-hosts-allow": ("relocation_hosts_allow", str),
    "xend-relocation-ssl-server": ("relocation_ssl_server", _bool),
    "xend-relocation-ssl-port": ("relocation_ssl_port", _positive),
    "xend-relocation-ssl": ("relocation_ssl", _bool),
    "xend-relocation-server-ssl-key-file": ("relocation_ssl_key_file", _path),
    "xend-relocation-server-ssl-cert-file": ("relocation_ssl_cert_file",
                                             _path),
    "xend-relocation-ssl-ca-file": ("relocation_ssl_ca_file", _path),
}


def config_path(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("XEND_CONFIG") or DEFAULT_CONFIG


def parse_config(text: str, path: str) -> XendConfig:
    from xend.model.sxp import parse
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for form in parse(text, path):
        if not isinstance(form, list) or not form or \
                not isinstance(form[0], str):
            raise ConfigError(f"{path}: expected (key value), got "
                              f"{form!r}")
        key = form[0]
        if key in IGNORED_KEYS:
            warnings.append(f"{path}: '{key}' has no effect with libxl; "
                            "ignored")
            continue
        if key not in KEYS:
            warnings.append(f"{path}: unknown key '{key}' ignored")
            continue
        if len(form) != 2 or isinstance(form[1], list):
            raise ConfigError(f"{path}: ({key} ...) takes one value")
        attr, conv = KEYS[key]
        try:
            values[attr] = conv(str(form[1]))
        except ValueError as exc:
            raise ConfigError(f"{path}: bad value for {key}: {exc}") from None
    if values.get("dom0_min_mem", 0) > 0 and \
            "enable_dom0_ballooning" not in values:
        values["enable_dom0_ballooning"] = True
    return XendConfig(path=path, warnings=tuple(warnings), **values)


def load_config(path: str | None = None) -> XendConfig:
    """Read the config file; a missing default file means all defaults."""
    path = path or config_path()
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        if path == DEFAULT_CONFIG:
            return XendConfig(path=path)
        raise ConfigError(f"cannot read xend config {path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read xend config {path}: {exc}") from None
    return parse_config(text, path)
