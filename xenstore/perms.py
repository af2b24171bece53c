"""Xenstore node permissions: parsing, formatting and the access rule.

A permission list is ``[owner, *grants]``; each entry is a letter (``n``
none, ``r`` read, ``w`` write, ``b`` both) and a domain id.  The first
entry names the owner and its letter is the access of every domain not
listed.  The owner, its device-model target and privileged connections
have full access.  Behaviour follows Xen 4.17 ``xs_lib.c`` /
``perm_for_conn`` in ``xenstored_core.c``.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE = 0
READ = 1
WRITE = 2
OWNER = 4       # not on the wire: the caller may change the permissions

_LETTER_BITS = {"n": NONE, "r": READ, "w": WRITE, "b": READ | WRITE}
_BITS_LETTER = {v: k for k, v in _LETTER_BITS.items()}


@dataclass(frozen=True)
class Perm:
    """One permission entry."""

    access: int     # NONE/READ/WRITE bits
    domid: int      # stored as C unsigned int

    def __str__(self) -> str:
        # The C daemon prints the id with "%i" of an unsigned value.
        signed = self.domid - (1 << 32) if self.domid >= 1 << 31 \
            else self.domid
        return f"{_BITS_LETTER[self.access]}{signed}"


class PermError(ValueError):
    """A permission string the daemon would refuse (EINVAL)."""


def _c_strtol0(text: str) -> int | None:
    """``strtol(text, &end, 0)`` requiring ``*end == 0``; None if invalid."""
    s = text.lstrip(" \t\n\r\f\v")
    neg = False
    if s[:1] in ("+", "-"):
        neg = s[0] == "-"
        s = s[1:]
    if s[:2].lower() == "0x" and len(s) > 2:
        base, digits = 16, s[2:]
    elif s[:1] == "0" and len(s) > 1:
        base, digits = 8, s[1:]
    else:
        base, digits = 10, s
    if not digits:
        return None
    try:
        value = int(digits, base)
    except ValueError:
        return None
    if any(c in "_ " for c in digits):      # int() is laxer than strtol
        return None
    value = -value if neg else value
    return value & 0xFFFFFFFF


def parse(entry: str) -> Perm:
    """Parse one entry such as ``"r5"``; raises :class:`PermError`."""
    if not entry or entry[0] not in _LETTER_BITS:
        raise PermError(entry)
    domid = _c_strtol0(entry[1:])
    if domid is None:
        raise PermError(entry)
    return Perm(_LETTER_BITS[entry[0]], domid)


def parse_list(entries: list[str]) -> list[Perm]:
    return [parse(e) for e in entries]


def format_list(perms: list[Perm]) -> list[str]:
    return [str(p) for p in perms]


def access_for(perms: list[Perm], domid: int, privileged: bool,
               target: int | None = None) -> int:
    """The access bits (READ|WRITE|OWNER) a connection has on a node."""
    full = READ | WRITE | OWNER
    owner = perms[0].domid
    if privileged or owner == domid or (target is not None
                                        and owner == target):
        return full
    for p in perms[1:]:
        if p.domid == domid or (target is not None and p.domid == target):
            return p.access
    return perms[0].access
