"""Reading what a terminal (or pipe) shows, for the console tests."""

from __future__ import annotations

import os
import select
import time


def read_until(fd: int, marker: bytes, timeout: float = 15) -> bytes:
    """What the terminal's master ``fd`` shows up to and including
    ``marker`` (and whatever came with it); fails after ``timeout``."""
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data:
        left = deadline - time.monotonic()
        assert left > 0, f"no {marker!r} in {data!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:         # EIO: xm closed the terminal
                break
            if not chunk:
                break
            data += chunk
    assert marker in data, data
    return data
