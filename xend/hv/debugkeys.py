"""What both backends accept as debug keys (``xm debug-keys``).

Xen reads the keys one character at a time (``XEN_SYSCTL_debug_keys``) and
looks each up in a 128-entry table; a key without a handler is skipped
without a word.  An empty string or a character outside printable ASCII can
therefore never do anything, so both backends refuse them up front with one
clear error instead of succeeding silently as Xen would.
"""

from __future__ import annotations

from xend.errors import InvalidArgument


def check_debug_keys(keys: object) -> str:
    """``keys`` if it is one or more printable, non-blank ASCII
    characters; InvalidArgument otherwise."""
    if not isinstance(keys, str) or not keys:
        raise InvalidArgument("no debug keys given (e.g. 'h' lists them)")
    bad = [c for c in keys if not ("!" <= c <= "~")]
    if bad:
        raise InvalidArgument(
            f"invalid debug key {bad[0]!r}: keys are printable ASCII "
            "characters (e.g. 'h' lists them)")
    return keys
