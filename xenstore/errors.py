"""Exceptions of the xenstore package.

Server-side handlers raise :class:`XsError` with the wire error name; the
client layer raises the subclasses below so callers can tell a protocol
error from a timeout or a dead connection.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error raised by the xenstore package."""


class XsError(StoreError):
    """The daemon answered ERROR with ``name`` (e.g. ``"EACCES"``)."""

    def __init__(self, name: str, detail: str = "") -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name
        self.detail = detail


class TransactionConflict(XsError):
    """The commit failed with EAGAIN; the whole transaction must be redone."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("EAGAIN", detail)


class StoreTimeout(StoreError):
    """No reply within the configured timeout (the call is abandoned)."""


class StoreConnectionError(StoreError):
    """The connection to xenstored is closed or broken."""
