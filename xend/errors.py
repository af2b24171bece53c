"""The one exception hierarchy of xend and xm, with stable wire codes.

Every error a user can cause is one of these classes.  Each has a stable
``code`` that crosses the JSON-RPC boundary (``error.code``) and a class name
(``error.data.type``), so xm can rebuild the same exception on its side and
map it to xm's message and exit status in one table (``xm.errors``).

Codes 1-3 keep the meaning of the legacy xend XML-RPC faults:
1 internal error, 2 generic xend error, 3 invalid domain (xm exits 3).
This module must stay importable without Xen and without any daemon code.
"""

from __future__ import annotations

from typing import Any


class XendError(Exception):
    """A failure xend reports to its client as ``Error: <message>``."""

    code: int = 2

    def __init__(self, message: str = "", *args: Any) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def to_wire(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` object for this exception."""
        return {"code": self.code, "message": self.message,
                "data": {"type": type(self).__name__}}


class InternalError(XendError):
    """A bug or an unexpected failure inside xend (legacy fault 1)."""

    code = 1


class DomainNotFound(XendError):
    """The named domain (name, id or uuid) does not exist (legacy fault 3)."""

    code = 3

    def __init__(self, domain: str | int) -> None:
        super().__init__(f"Domain '{domain}' does not exist.")
        self.domain = str(domain)


class InvalidArgument(XendError):
    """A parameter has a bad value (out of range, wrong type, bad syntax)."""

    code = 4


class ConfigError(XendError):
    """A domain configuration is broken (file, variable or value)."""

    code = 5


class InvalidState(XendError):
    """The operation is not possible in the domain's current state."""

    code = 6


class DomainExists(XendError):
    """A domain with that name or uuid already exists."""

    code = 7


class NotEnoughMemory(XendError):
    """The host does not have the memory the operation needs."""

    code = 8


class HypervisorError(XendError):
    """The hypervisor (libxl or the simulator) refused the operation."""

    code = 9


class NotSupported(XendError):
    """The operation is not implemented by this hypervisor or build."""

    code = 10


class PermissionDenied(XendError):
    """The caller may not do this (for example a non-root RPC peer)."""

    code = 11


class StorageError(XendError):
    """xend could not read or write its own state (disk full, bad file)."""

    code = 12


class ConnectionFailed(XendError):
    """xm could not reach xend (raised on the client side only)."""

    code = 13


class ProtocolError(XendError):
    """A malformed request or reply on the RPC socket."""

    code = 14


class Timeout(XendError):
    """An operation did not complete in time."""

    code = 15


_BY_NAME: dict[str, type[XendError]] = {
    cls.__name__: cls
    for cls in (XendError, InternalError, DomainNotFound, InvalidArgument,
                ConfigError, InvalidState, DomainExists, NotEnoughMemory,
                HypervisorError, NotSupported, PermissionDenied, StorageError,
                ConnectionFailed, ProtocolError, Timeout)
}


def from_wire(error: dict[str, Any]) -> XendError:
    """Rebuild the exception a JSON-RPC ``error`` object describes.

    Only names in the whitelist above are ever instantiated; anything else
    becomes a plain :class:`XendError` carrying the message.
    """
    message = str(error.get("message", "unknown error"))
    data = error.get("data")
    name = data.get("type") if isinstance(data, dict) else None
    cls = _BY_NAME.get(name) if isinstance(name, str) else None
    if cls is DomainNotFound:
        # Keep xend's message as it is (it already says "Domain '...'").
        missing = DomainNotFound.__new__(DomainNotFound)
        XendError.__init__(missing, message)
        missing.domain = message
        return missing
    if cls is None:
        cls = InternalError if error.get("code") == 1 else XendError
    return cls(message)
