"""The guest's heartbeat, seen from dom0: a thread follows the console logs
of a guest (``guest-NAME.log`` and, after a localhost migration, the log
xenconsoled opened for ``NAME--incoming``) and notes when each
``LAB-GUEST: BEAT n`` line arrives.  The longest gap while a migration ran
is its downtime as the guest's own output shows it."""
from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import lab_guest

BEAT = re.compile(r"LAB-GUEST: BEAT (\d+)")


class Heartbeat:
    def __init__(self, name: str) -> None:
        self.paths = [lab_guest.CONSOLE_DIR / f"guest-{name}{suffix}.log"
                      for suffix in ("", "--incoming")]
        self.offsets = {p: _size(p) for p in self.paths}
        self.beats: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        partial = {p: "" for p in self.paths}
        while not self._stop.is_set():
            for path in self.paths:
                try:
                    with open(path, "rb") as f:
                        f.seek(self.offsets[path])
                        data = f.read()
                except FileNotFoundError:
                    continue
                if not data:
                    continue
                now = time.monotonic()
                self.offsets[path] += len(data)
                text = partial[path] + data.decode(errors="replace")
                lines = text.split("\n")
                partial[path] = lines.pop()
                for line in lines:
                    m = BEAT.search(line)
                    if m:
                        self.beats.append((int(m.group(1)), now))
            time.sleep(0.02)

    def last(self) -> int:
        return self.beats[-1][0] if self.beats else 0

    def wait_beyond(self, n: int, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self.last() <= n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no heartbeat beyond {n} in {timeout:.0f}s "
                                   f"(last {self.last()})")
            time.sleep(0.1)
        return self.last()

    def longest_gap(self, start: float, end: float) -> float:
        """The longest silence between beats that touches [start, end]."""
        times = [t for _, t in self.beats]
        gaps = [b - a for a, b in zip(times, times[1:]) if b >= start and a <= end]
        return max(gaps, default=0.0)

    def counted_on(self) -> bool:
        """Every beat number followed its predecessor (the guest never
        restarted its count: it carried on, it did not boot again)."""
        numbers = [n for n, _ in self.beats]
        return all(b > a for a, b in zip(numbers, numbers[1:]))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
