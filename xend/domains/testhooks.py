"""Pause points for crash tests: stop an operation at a named stage.

With ``XEND_TEST_PAUSE_AT=<stage>`` in xend's environment, the operation
reaching that stage creates the file ``$XEND_TEST_PAUSE_MARKER`` and blocks
its thread for good, so a test can wait for the marker and ``kill -9``
xend at exactly that point.  Without the variable every call is a no-op.

Stages of a save: ``save:journaled`` (recorded, domain untouched),
``save:header`` (xm header written), ``save:image`` (the domain suspended,
half of the backend's image written and synced), ``save:written`` (image
complete and synced, not yet renamed), ``save:committed`` (renamed, domain
not yet destroyed or resumed), ``save:finished`` (all done but the record).
"""

from __future__ import annotations

import os
import threading
from typing import Any, BinaryIO

ENV_STAGE = "XEND_TEST_PAUSE_AT"
ENV_MARKER = "XEND_TEST_PAUSE_MARKER"


def armed(stage: str) -> bool:
    return os.environ.get(ENV_STAGE) == stage


def pause_at(stage: str) -> None:
    if not armed(stage):
        return
    marker = os.environ.get(ENV_MARKER)
    if marker:
        with open(marker, "w") as f:
            f.write(stage + "\n")
    threading.Event().wait()        # until the test kills the process


class _HalfThenPause:
    """A stream that writes half of the first write, syncs, and pauses."""

    def __init__(self, stream: BinaryIO, stage: str) -> None:
        self._stream = stream
        self._stage = stage

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self._stream.write(data[:half])
        self._stream.flush()
        os.fsync(self._stream.fileno())
        pause_at(self._stage)
        return int(self._stream.write(data[half:]))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def wrap_stream(stream: BinaryIO, stage: str) -> BinaryIO:
    if not armed(stage):
        return stream
    return _HalfThenPause(stream, stage)  # type: ignore[return-value]
