"""xend's log: 4.4's line format, in a rotating file (1 MiB x 5).

``[YYYY-MM-DD HH:MM:SS PID] LEVEL (module:line) message``
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
from typing import TextIO

from xend.errors import ConfigError

LOG_FORMAT = "[%(asctime)s %(process)d] %(levelname)s (%(module)s:%(lineno)d) %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_BYTES = 1 << 20
BACKUPS = 5
# Where a fatal signal (a crash inside libxl or cffi) writes every thread's
# Python stack; kept open for the life of the process.
_fault_file: TextIO | None = None


def setup_logging(logfile: str, level: str = "DEBUG",
                  to_stderr: bool = False) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)
    try:
        os.makedirs(os.path.dirname(logfile) or ".", exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            logfile, maxBytes=MAX_BYTES, backupCount=BACKUPS)
    except OSError as exc:
        raise ConfigError(f"cannot open log file {logfile}: "
                          f"{exc.strerror or exc}") from None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        root.addHandler(stream)
    root.setLevel(getattr(logging, level, logging.DEBUG))
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    _log_fatal_signals(logfile)


def _log_fatal_signals(logfile: str) -> None:
    """A daemon's stderr is /dev/null: without this a segfault in C code
    (libxl, the binding) kills xend and leaves nothing in its log."""
    global _fault_file
    old, _fault_file = _fault_file, open(logfile, "a")
    faulthandler.enable(file=_fault_file, all_threads=True)
    if old is not None:
        old.close()
