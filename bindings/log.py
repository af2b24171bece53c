"""libxl's log (xentoollog) routed into Python :mod:`logging`.

The C shim in :mod:`bindings._cdef` formats each message and calls
:func:`emit` through a cffi ``extern "Python"`` callback; this module turns
xentoollog levels into ``logging`` levels and writes to the logger named
``xend.libxl``.  libxc/libxencall messages arrive here too, because libxl
passes its logger down to them.
"""

from __future__ import annotations

import logging
import os

LOGGER_NAME = "xend.libxl"

# xentoollog_level: NONE 0, DEBUG 1, VERBOSE 2, DETAIL 3, PROGRESS 4,
# INFO 5, NOTICE 6, WARN 7, ERROR 8, CRITICAL 9
XTL_DEBUG = 1
XTL_DETAIL = 3
XTL_PROGRESS = 4
XTL_INFO = 5

_LEVELS = {
    0: logging.DEBUG,
    1: logging.DEBUG,
    2: logging.DEBUG,
    3: logging.DEBUG,
    4: logging.INFO,
    5: logging.INFO,
    6: logging.INFO,
    7: logging.WARNING,
    8: logging.ERROR,
    9: logging.CRITICAL,
}


def python_level(xtl_level: int) -> int:
    """The ``logging`` level for a xentoollog level."""
    return _LEVELS.get(xtl_level, logging.ERROR)


def xtl_min_level(logger: logging.Logger | None = None) -> int:
    """The least xentoollog level worth formatting in C for ``logger``.

    Decided once, when the context is opened: libxl's debug output is
    large and every message costs a trip through the GIL.
    """
    logger = logger or logging.getLogger(LOGGER_NAME)
    return XTL_DEBUG if logger.isEnabledFor(logging.DEBUG) else XTL_PROGRESS


def emit(level: int, errnoval: int, context: str | None, msg: str) -> None:
    """Log one libxl message (called from C, possibly on a libxl thread)."""
    if errnoval > 0:
        msg = f"{msg}: {os.strerror(errnoval)}"
    logging.getLogger(LOGGER_NAME).log(python_level(level), "%s: %s",
                                       context or "libxl", msg)
