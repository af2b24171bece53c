"""Parsers for the small value syntaxes of domain configs.

Pure functions, shared by xm (config files, command arguments) and xend
(RPC arguments): CPU lists (``0-3,5,^1``), vif rates (``10Mb/s@20ms``),
memory sizes (``512``, ``1g``), MAC addresses, domain names, shutdown
actions.  Each raises :class:`~xend.errors.ConfigError` with a message that
names the bad value.
"""

from __future__ import annotations

import os
import re
from typing import Collection

from xend.errors import ConfigError
from xend.limits import CPU_LIMIT

NAME_RE = re.compile(r"^[A-Za-z0-9_.:+-]+$")
MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{12}$")

#: Values xm accepts for on_poweroff/on_reboot (xend 4.4).
SHUTDOWN_ACTIONS = ("destroy", "restart", "preserve", "rename-restart")
#: on_crash additionally accepts the core-dumping variants.
CRASH_ACTIONS = SHUTDOWN_ACTIONS + ("coredump-destroy", "coredump-restart")
XEND_START_ACTIONS = ("ignore", "start")
XEND_STOP_ACTIONS = ("ignore", "shutdown", "suspend")

# A CPU number: more digits than any CPU count has is a typo, and would
# make int() slow (or refuse) before the bound is applied.
_CPU_TERM = re.compile(r"(\d{1,12})(?:-(\d{1,12}))?")
_UINT32_MAX = 0xFFFFFFFF
_DEFAULT_RATE_INTERVAL_US = 50000  # xl's (and xend's) 50 ms window


def check_name(name: str) -> str:
    """*name* if it is a valid domain name, else ConfigError."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(f"Invalid domain name: {name!r}: names may contain "
                          "only letters, digits and _.:+-")
    return name


def check_uuid(uuid: str) -> str:
    """*uuid* in lower case if it has the 8-4-4-4-12 hex form."""
    if not isinstance(uuid, str) or not UUID_RE.match(uuid):
        raise ConfigError(f"Invalid uuid: {uuid!r}")
    return uuid.lower()


def check_mac(mac: str) -> str:
    """*mac* in lower case if it is six colon-separated hex bytes."""
    if not MAC_RE.match(mac):
        raise ConfigError(f"Invalid MAC address: {mac!r}")
    return mac.lower()


def random_mac(taken: Collection[str] = ()) -> str:
    """A fresh MAC in Xen's 00:16:3e range, first random byte below 0x80
    (as xend 4.4 chose them), not one of *taken*."""
    while True:
        tail = os.urandom(3)
        mac = "00:16:3e:%02x:%02x:%02x" % (tail[0] & 0x7F, tail[1], tail[2])
        if mac not in taken:
            return mac


def check_action(key: str, value: str) -> str:
    """Validate an ``on_*`` value for variable *key*."""
    if key == "on_crash":
        allowed: tuple[str, ...] = CRASH_ACTIONS
    elif key == "on_xend_start":
        allowed = XEND_START_ACTIONS
    elif key == "on_xend_stop":
        allowed = XEND_STOP_ACTIONS
    else:
        allowed = SHUTDOWN_ACTIONS
    if value not in allowed:
        raise ConfigError(f"Invalid value for {key}: {value!r} "
                          f"(expected one of {', '.join(allowed)})")
    return value


def _shown(spec: str) -> str:
    """*spec* quoted for an error message, cut short if it is long."""
    return repr(spec) if len(spec) <= 40 else repr(spec[:37] + "...")


def parse_cpu_list(spec: str, max_cpus: int | None = None) -> list[int]:
    """CPUs named by *spec*, sorted: ``"0-3,5,^1"`` -> ``[0, 2, 3, 5]``.

    ``all`` (alone or as a term) needs *max_cpus*, the host's CPU count; an
    empty spec is an empty list.  ``^N`` and ``^N-M`` remove CPUs, whatever
    their position in the list (as xend and xl do).

    CPUs the host does not have (from *max_cpus* on, or from
    :data:`~xend.limits.CPU_LIMIT` on when the host is not known) are
    ignored, as xl ignores them; a range is clipped to that bound before it
    is expanded, so ``0-100000000`` costs no more than ``0-63``.  Only a
    spec none of whose CPUs exists is an error.
    """
    if not isinstance(spec, str):
        raise ConfigError(f"Invalid cpus specification: {spec!r}")
    bad = f"Invalid cpus specification: {_shown(spec)}"
    bound = CPU_LIMIT if max_cpus is None else min(max_cpus, CPU_LIMIT)
    add: set[int] = set()
    remove: set[int] = set()
    named = False
    for term in spec.replace(" ", "").split(","):
        if term == "":
            continue
        negate = term.startswith("^")
        body = term[1:] if negate else term
        if body == "all":
            if max_cpus is None:
                raise ConfigError(f"{bad}: 'all' needs the host CPU count")
            lo, hi = 0, bound - 1
        else:
            m = _CPU_TERM.fullmatch(body)
            if not m:
                raise ConfigError(bad)
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.group(2) is not None else lo
            if hi < lo:
                raise ConfigError(f"{bad}: range {body} is backwards")
        named = named or not negate
        cpus = range(lo, min(hi, bound - 1) + 1)     # empty if lo >= bound
        (remove if negate else add).update(cpus)
    if named and not add:
        host = (f"the host has only {max_cpus} CPUs" if max_cpus is not None
                else f"no Xen host has CPUs beyond {CPU_LIMIT - 1}")
        raise ConfigError(f"{bad}: none of its CPUs exists ({host})")
    return sorted(add - remove)


def parse_vif_rate(rate: str) -> tuple[int, int]:
    """``(bytes_per_interval, interval_usecs)`` for an xl/xm vif rate.

    Syntax ``NUM[G|M|K](B|b)/s[@NUM[m|u][s]]``: ``b`` is bits, ``B`` bytes;
    the interval is seconds unless suffixed ``m`` (ms) or ``u`` (µs) and
    defaults to 50 ms.  ``10Mb/s`` -> ``(62500, 50000)``, as xl computes it.
    """
    body, sep, interval = rate.partition("@")
    m = re.fullmatch(r"(\d+)([GMK]?)([Bb])/s", body)
    if not m:
        raise ConfigError(f"Invalid vif rate: {rate!r}")
    value = int(m.group(1))
    if value == 0 or value > _UINT32_MAX:
        raise ConfigError(f"Invalid vif rate: {rate!r}: rate overflow")
    value *= {"G": 10**9, "M": 10**6, "K": 10**3, "": 1}[m.group(2)]
    if m.group(3) == "b":
        value //= 8
    usecs = _DEFAULT_RATE_INTERVAL_US
    if sep:
        m2 = re.fullmatch(r"(\d+)([mu]?)s?", interval)
        if not m2:
            raise ConfigError(f"Invalid vif rate: {rate!r}: invalid "
                              "replenishment interval")
        usecs = int(m2.group(1))
        if usecs == 0:
            raise ConfigError(f"Invalid vif rate: {rate!r}: replenishment "
                              "interval overflow")
        usecs *= {"": 10**6, "m": 10**3, "u": 1}[m2.group(2)]
        if usecs > _UINT32_MAX:
            raise ConfigError(f"Invalid vif rate: {rate!r}: replenishment "
                              "interval overflow")
    return value * usecs // 10**6, usecs


_MEM_UNITS = {"b": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024,
              "t": 1024 * 1024}


def parse_memory_mib(value: str | int, default_unit: str = "m") -> int:
    """Memory size in MiB from ``512``, ``512m``, ``1g``, ``262144k``.

    A bare number is in *default_unit* (MiB for config files and mem-set).
    Fractions of a MiB round down, as xm did.
    """
    if isinstance(value, bool):
        raise ConfigError(f"Invalid memory size: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"Invalid memory size: {value!r}")
        return value
    m = re.fullmatch(r"\s*(\d+)\s*([bkmgtBKMGT]?)\s*", str(value))
    if not m:
        raise ConfigError(f"Invalid memory size: {value!r}")
    unit = (m.group(2) or default_unit).lower()
    return int(int(m.group(1)) * _MEM_UNITS[unit])


def parse_kv_list(text: str, what: str) -> list[tuple[str, str]]:
    """``'k=v, k=v'`` as ordered pairs (blank -> empty list).

    Items without ``=`` are an error named after *what*, as xm reported
    (``x should be a pair, separated by an equals sign.``).
    """
    pairs: list[tuple[str, str]] = []
    text = text.strip()
    if not text:
        return pairs
    for item in text.split(","):
        if "=" not in item:
            raise ConfigError(f"{item} should be a pair, separated by an "
                              f"equals sign (in {what} {text!r}).")
        key, value = item.split("=", 1)
        pairs.append((key.strip(), value.strip()))
    return pairs

