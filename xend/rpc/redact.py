"""Secrets out of the log: a copy of request parameters with them masked.

xend logs every request's parameters; a domain config can carry a VNC
password (``vncpasswd``, libxl's ``passwd``) and other credentials.  Any
dict key, SXP pair ``[key, value]`` or ``key=value`` item of a spec string
whose key contains ``passw``, ``secret`` or ``token`` (any case) is shown
as ``***``.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
_SENSITIVE = re.compile(r"passw|secret|token", re.IGNORECASE)
_ITEM = re.compile(r"(?P<key>[A-Za-z0-9_.-]+)\s*=\s*(?P<value>[^,]*)")


def sensitive(key: object) -> bool:
    return isinstance(key, str) and bool(_SENSITIVE.search(key))


def _mask_items(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if sensitive(match.group("key")):
            return f"{match.group('key')}={MASK}"
        return match.group(0)
    return _ITEM.sub(one, text) if "=" in text else text


def redact(value: Any) -> Any:
    """``value`` with every secret masked (the original is not changed)."""
    if isinstance(value, dict):
        return {k: MASK if sensitive(k) and v not in (None, "")
                else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and sensitive(value[0]) and \
                not isinstance(value[1], (list, dict)):
            return [value[0], MASK]
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _mask_items(value)
    return value
