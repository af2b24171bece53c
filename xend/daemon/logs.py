"""xend's log: 4.4's line format, in a rotating file (1 MiB x 5).

``[YYYY-MM-DD HH:MM:SS PID] LEVEL (module:line) message``

The root daemon opens the file with ``O_NOFOLLOW`` (a symlink planted at the
log's path is refused with a clear error, never followed), creates it 0640
and takes world access away from an older one.  On a full disk log records
are dropped quietly and counted; the first record written afterwards is
followed by a warning saying how many were lost.
"""

from __future__ import annotations

import errno
import faulthandler
import io
import logging
import logging.handlers
import os
import stat
import sys
from typing import TextIO

from xend.errors import ConfigError

LOG_FORMAT = "[%(asctime)s %(process)d] %(levelname)s (%(module)s:%(lineno)d) %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_BYTES = 1 << 20
BACKUPS = 5
# Where a fatal signal (a crash inside libxl or cffi) writes every thread's
# Python stack; kept open for the life of the process.
_fault_file: TextIO | None = None
LOG_MODE = 0o640


def open_log_fd(path: str) -> int:
    """Open the log for appending without following a symlink."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT |
                     os.O_NOFOLLOW | os.O_CLOEXEC, LOG_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError(f"log file {path} is a symbolic link: refusing "
                              "to follow it (remove it)") from None
        raise ConfigError(f"cannot open log file {path}: "
                          f"{exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 & ~LOG_MODE:
            os.fchmod(fd, st.st_mode & LOG_MODE)
    except OSError:
        pass
    return fd


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log, opened safely, quiet about a full disk."""

    lost = 0

    def _open(self) -> io.TextIOWrapper:
        fd = open_log_fd(self.baseFilename)
        return io.TextIOWrapper(io.FileIO(fd, "a"),
                                encoding=self.encoding or "utf-8",
                                errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        lost = self.lost
        super().emit(record)
        if lost and self.lost == lost:      # written again: say what we lost
            self.lost = 0
            super().emit(logging.makeLogRecord({
                "name": "xend", "levelno": logging.WARNING,
                "levelname": "WARNING", "module": "logs", "lineno": 0,
                "msg": "%d log message(s) lost: no space left on the log's "
                       "device", "args": (lost,)}))

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC,
                                                      errno.EDQUOT):
            self.lost += 1
            return
        super().handleError(record)


def setup_logging(logfile: str, level: str = "DEBUG",
                  to_stderr: bool = False) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = logging.Formatter(LOG_FORMAT, DATE_FORMAT)
    try:
        os.makedirs(os.path.dirname(logfile) or ".", exist_ok=True)
        handler = LogFile(logfile, maxBytes=MAX_BYTES, backupCount=BACKUPS)
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
    old, _fault_file = _fault_file, os.fdopen(open_log_fd(logfile), "a")
    faulthandler.enable(file=_fault_file, all_threads=True)
    if old is not None:
        old.close()
