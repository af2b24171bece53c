"""The one table that turns an exception into xm's message and exit status.

xm 4.4 printed ``Error: <message>`` on stderr and exited 1 for nearly every
failure, 3 when xend answered "invalid domain", and printed the command's
usage after command-line mistakes and after most xend faults.  Everything a
command raises ends up in :func:`outcome_for`; commands never print errors
themselves, and no traceback ever reaches the user.
"""

from __future__ import annotations

import os
from typing import Callable, NamedTuple

from xend.errors import (ConfigError, ConnectionFailed, DomainNotFound,
                         ProtocolError, XendError)


class XmUsageError(Exception):
    """A mistake on the command line: ``Error: <msg>`` + usage, exit 1."""


class XmFailure(Exception):
    """A failure xm detects itself: ``Error: <msg>`` without usage."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Outcome(NamedTuple):
    """What to print on stderr and which status to exit with."""

    message: str
    exit_code: int
    show_usage: bool


def _domain_not_found(exc: BaseException) -> str:
    # xend sends the full sentence; an older or foreign server might send
    # only the domain reference, as the legacy Fault 3 did.
    text = str(exc)
    if text.endswith("does not exist."):
        return f"Error: {text}"
    return f"Error: Domain '{text}' does not exist."


def _error(exc: BaseException) -> str:
    return f"Error: {exc}"


def _connection_failed(exc: BaseException) -> str:
    # As in 4.4: a user who may not open the socket is told to be root.
    if "Permission denied" in str(exc) and os.geteuid() != 0:
        return ("Error: Most commands need root access. "
                "Please try again as root.")
    return f"Error: {exc}"


def _protocol(exc: BaseException) -> str:
    # 4.4 printed "Xend has probably crashed!  ..." without "Error:"; a
    # protocol error xend reports about our request is an ordinary error.
    text = str(exc)
    return text if text.startswith("Xend has probably crashed") \
        else f"Error: {text}"


def _unexpected(exc: BaseException) -> str:
    return f"Error: unexpected error: {type(exc).__name__}: {exc}"


Formatter = Callable[[BaseException], str]

# First matching row wins, so subclasses come before their bases.
# (exception class, message, exit status, usage after an xend error)
TABLE: tuple[tuple[type[BaseException], Formatter, int, bool], ...] = (
    (XmUsageError, _error, 1, True),
    (XmFailure, _error, 1, False),
    (DomainNotFound, _domain_not_found, 3, False),
    (ConnectionFailed, _connection_failed, 1, False),
    # "Xend has probably crashed!  ..." was printed without "Error:".
    (ProtocolError, _protocol, 1, False),
    (ConfigError, _error, 1, False),
    (XendError, _error, 1, True),
    (ValueError, lambda e: "Error: Invalid argument.", 1, True),
    (OverflowError, lambda e: "Error: Invalid argument.", 1, True),
    (KeyboardInterrupt, lambda e: "Interrupted.", 1, False),
    (BaseException, _unexpected, 1, False),
)


def outcome_for(exc: BaseException) -> Outcome:
    """The message and exit status for *exc* (never raises)."""
    for cls, fmt, status, usage in TABLE:
        if isinstance(exc, cls):
            if isinstance(exc, XmFailure):
                status = exc.exit_code
            return Outcome(fmt(exc), status, usage)
    raise AssertionError("unreachable: BaseException matches everything")
