"""libxl error codes and the one place they become xend exceptions.

``LIBXL_ERRORS`` lists every ``libxl_error`` of Xen 4.17 (``_libxl_types.h``)
with the :mod:`xend.errors` class it maps to.  :func:`check` is the only
function in the binding that looks at a libxl return code; every wrapper
calls it.  Codes unknown to this table (newer libxl) become
``HypervisorError``.  This module needs neither Xen nor the compiled
extension.
"""

from __future__ import annotations

from typing import NoReturn

from xend.errors import (ConfigError, DomainNotFound, HypervisorError,
                         InternalError, InvalidArgument, InvalidState,
                         NotEnoughMemory, NotSupported, Timeout, XendError)

# code: (name without the ERROR_ prefix, exception class)
LIBXL_ERRORS: dict[int, tuple[str, type[XendError]]] = {
    -1: ("NONSPECIFIC", HypervisorError),
    -2: ("VERSION", HypervisorError),
    -3: ("FAIL", HypervisorError),
    -4: ("NI", NotSupported),
    -5: ("NOMEM", NotEnoughMemory),
    -6: ("INVAL", InvalidArgument),
    -7: ("BADFAIL", HypervisorError),
    -8: ("GUEST_TIMEDOUT", Timeout),
    -9: ("TIMEDOUT", Timeout),
    -10: ("NOPARAVIRT", InvalidState),      # guest has no PV drivers
    -11: ("NOT_READY", InvalidState),
    -12: ("OSEVENT_REG_FAIL", HypervisorError),
    -13: ("BUFFERFULL", HypervisorError),
    -14: ("UNKNOWN_CHILD", InternalError),
    -15: ("LOCK_FAIL", HypervisorError),
    -16: ("JSON_CONFIG_EMPTY", ConfigError),
    -17: ("DEVICE_EXISTS", InvalidArgument),
    -18: ("CHECKPOINT_DEVOPS_DOES_NOT_MATCH", NotSupported),
    -19: ("CHECKPOINT_DEVICE_NOT_SUPPORTED", NotSupported),
    -20: ("VNUMA_CONFIG_INVALID", ConfigError),
    -21: ("DOMAIN_NOTFOUND", DomainNotFound),
    -22: ("ABORTED", HypervisorError),
    -23: ("NOTFOUND", InvalidArgument),     # e.g. no such device
    -24: ("DOMAIN_DESTROYED", DomainNotFound),  # died during the operation
    -25: ("FEATURE_REMOVED", NotSupported),
    -26: ("PROTOCOL_ERROR_QMP", HypervisorError),
    -27: ("UNKNOWN_QMP_ERROR", HypervisorError),
    -28: ("QMP_GENERIC_ERROR", HypervisorError),
    -29: ("QMP_COMMAND_NOT_FOUND", NotSupported),
    -30: ("QMP_DEVICE_NOT_ACTIVE", InvalidState),
    -31: ("QMP_DEVICE_NOT_FOUND", InvalidArgument),
    -32: ("QEMU_API", HypervisorError),
}

# libxl_error values used by name in the binding and the backend.
ERROR_FAIL = -3
ERROR_INVAL = -6
ERROR_NOPARAVIRT = -10
ERROR_DOMAIN_NOTFOUND = -21


def error_name(rc: int) -> str:
    """``ERROR_FAIL`` for -3; ``ERROR_<rc>`` for codes we do not know."""
    entry = LIBXL_ERRORS.get(rc)
    return f"ERROR_{entry[0]}" if entry else f"ERROR_{rc}"


def error_for(rc: int, what: str, domid: int | None = None) -> XendError:
    """The exception for libxl return code ``rc`` of operation ``what``."""
    cls = LIBXL_ERRORS.get(rc, ("", HypervisorError))[1]
    if cls is DomainNotFound:
        if domid is not None:
            exc: XendError = DomainNotFound(domid)
        else:
            exc = HypervisorError(f"{what} failed: domain not found "
                                  f"({error_name(rc)})")
    else:
        where = f" for domain {domid}" if domid is not None else ""
        exc = cls(f"{what} failed{where}: libxl {error_name(rc)} ({rc})")
    exc.libxl_rc = rc   # type: ignore[attr-defined]
    return exc


def check(rc: int, what: str, domid: int | None = None) -> int:
    """Return ``rc`` when it is not an error (>= 0), else raise."""
    if rc < 0:
        raise error_for(rc, what, domid)
    return rc


def fail(what: str, domid: int | None = None,
         rc: int = ERROR_FAIL) -> NoReturn:
    """Raise for a call that signals failure without a code (NULL result)."""
    raise error_for(rc, what, domid)


def libxl_rc(exc: BaseException) -> int | None:
    """The libxl code an exception from :func:`check` carries, if any."""
    rc = getattr(exc, "libxl_rc", None)
    return rc if isinstance(rc, int) else None
