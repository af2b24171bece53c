"""An elapsed-time spinner for long operations, shown only on a terminal.

``xm save``, ``xm restore`` and ``xm shutdown -w`` can take minutes.  On a
terminal the user sees ``Saving domain web1 ... | 12s`` on stderr, redrawn
by a background thread and erased at the end; in scripts (no tty) nothing
is drawn, so output stays exactly what xm 4.4 printed.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Callable, TextIO

_SPIN = "|/-\\"


class Progress:
    """Context manager; ``println`` prints a stdout line without garbling
    the spinner line."""

    def __init__(self, label: str, stream: TextIO, enabled: bool,
                 interval: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = 0.0
        self._tick = 0
        self._width = 0

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._start = self.clock()
            self._draw()
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None,
                 exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        with self._lock:
            self._erase()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._draw()

    def render(self) -> str:
        elapsed = int(self.clock() - self._start)
        spin = _SPIN[self._tick % len(_SPIN)]
        return f"{self.label} {spin} {elapsed}s"

    def _draw(self) -> None:
        if not self.enabled:
            return
        text = self.render()
        self._tick += 1
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def _erase(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0

    def println(self, text: str, out: TextIO) -> None:
        """Print *text* on *out*, keeping the spinner below it."""
        with self._lock:
            self._erase()
            out.write(text + "\n")
            out.flush()
            if self._thread is not None:
                self._draw()
