"""``xm console``: attach the terminal to a guest's console, Ctrl-] leaves.

xend only tells us the path of the console's pty
(``xend.domain.getConsolePath``); xm opens it and relays bytes itself, as
xenconsole does, so a console session never occupies the daemon.  When
stdin is a terminal it is put in raw mode (every key, Ctrl-C included, goes
to the guest) and restored however the session ends.  Ctrl-] (0x1d) ends
the session; so does the console going away (the domain died).  When stdin
is not a terminal there is no raw mode and end of input ends the session,
after the guest's answer to the last input has been shown.

Deliberate differences from xm 4.4: ``-n`` takes its whole value (4.4 used
only the first character) and ``--num`` takes a value (4.4's did not).
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from typing import Any, Callable

from xend.errors import DomainNotFound, InvalidState
from xm.context import XmContext
from xm.errors import XmFailure

ESCAPE = 0x1D                   # Ctrl-]
# After end of input, keep showing console output until it is quiet this
# long, so `echo cmd | xm console dom` shows the guest's answer.
LINGER_SECONDS = 0.5
CHUNK = 4096


def parse_console_num(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        view = view[written:]


def relay(console_fd: int, in_fd: int, out_fd: int,
          linger: float = LINGER_SECONDS) -> None:
    """Copy in_fd -> console_fd and console_fd -> out_fd until Ctrl-] on
    input, end of input (then quiet output for *linger* s) or the console
    closing."""
    input_open = True
    while True:
        watch = [console_fd] + ([in_fd] if input_open else [])
        ready, _, _ = select.select(watch, [], [],
                                    None if input_open else linger)
        if not ready:
            return                      # input ended and output went quiet
        if console_fd in ready:
            try:
                data = os.read(console_fd, CHUNK)
            except OSError:             # EIO: the other end is gone
                return
            if not data:
                return
            _write_all(out_fd, data)
        if input_open and in_fd in ready:
            data = os.read(in_fd, CHUNK)
            if not data:
                input_open = False
                continue
            cut = data.find(bytes([ESCAPE]))
            if cut >= 0:
                _write_all(console_fd, data[:cut])
                return
            _write_all(console_fd, data)


def _raw(fd: int) -> list[Any] | None:
    """Put *fd* in raw mode if it is a terminal; its old attributes."""
    if not os.isatty(fd):
        return None
    old = termios.tcgetattr(fd)
    tty.setraw(fd, termios.TCSANOW)
    return old


def attach(path: str, in_fd: int | None = None,
           out_fd: int | None = None) -> None:
    """Open the console pty at *path* and relay the terminal to it."""
    in_fd = sys.stdin.fileno() if in_fd is None else in_fd
    out_fd = sys.stdout.fileno() if out_fd is None else out_fd
    try:
        console_fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        raise XmFailure(f"Cannot open the console {path}: "
                        f"{exc.strerror}") from None
    saved: list[tuple[int, list[Any] | None]] = []
    try:
        # The pty too, as xenconsole does: no echo or line editing there.
        saved.append((console_fd, _raw(console_fd)))
        saved.append((in_fd, _raw(in_fd)))
        relay(console_fd, in_fd, out_fd)
    finally:
        for fd, attrs in reversed(saved):
            if attrs is not None:
                try:
                    termios.tcsetattr(fd, termios.TCSADRAIN, attrs)
                except termios.error:
                    pass
        os.close(console_fd)


# Replaced by tests: the command's only contact with real terminals.
ATTACH: Callable[[str], None] = attach


def attach_console(xm: XmContext, dom: str | int, num: int = 0) -> None:
    """What ``xm console DOM`` does: ask xend for the console's pty and
    attach the terminal to it until Ctrl-].  Also the end of ``xm create
    -c`` and ``xm start -c`` (4.4 exec'd xenconsole there; here the relay
    runs in the same xm process)."""
    path = xm.call("xend.domain.getConsolePath", dom, num)
    xm.out.flush()
    ATTACH(path)


def console(xm: XmContext, dom: str, quiet: bool, num: int | None) -> int:
    try:
        attach_console(xm, dom, 0 if num is None else num)
    except (DomainNotFound, InvalidState):
        if quiet:
            return 1            # 4.4: -q fails silently for such domains
        raise
    return 0
