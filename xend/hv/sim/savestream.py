"""Sending a simulated guest's save image: rounds, progress and throttle.

:class:`SaveSender` writes the image of :mod:`.saveimage` round by round
(the rounds of :mod:`.pages`), reports progress after the header, after
every batch (256 KiB of pages) and at the end, and with a rate keeps the
stream to that many KiB/s by sleeping between batches.  It holds no lock
of the simulator: the caller suspends the guest between rounds (see
:mod:`.saverestore`), and other requests go on while a save sleeps.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import BinaryIO, Callable

from xend.errors import HypervisorError
from xend.hv.base import SaveProgress
from xend.hv.sim import saveimage
from xend.hv.sim.pages import PageSource, Round, batches


class SaveSender:
    def __init__(self, stream: BinaryIO, *, uuid: str, pages: int,
                 rounds: list[Round], record: bytes,
                 progress: SaveProgress | None = None,
                 rate_kib: int = 0, stop: threading.Event | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._writer = saveimage.ImageWriter(stream)
        self._source = PageSource(uuid)
        self._pages = pages
        self._rounds = rounds
        self._record = record
        self._progress = progress
        self._rate = rate_kib * 1024
        self._stop = stop or threading.Event()
        self._clock = clock
        self._started = 0.0
        # The round in which each page was last sent: its final contents.
        self._versions = bytearray(pages)
        self._iteration = 0
        self._dirty = pages
        self.total = (saveimage.head_size(record) + saveimage.tail_size()
                      + sum(saveimage.batch_size(len(b))
                            for r in rounds for b in batches(r.pages)))

    @property
    def sent(self) -> int:
        return self._writer.sent

    def _report(self) -> None:
        if self._progress is not None:
            self._progress({"sent": self._writer.sent, "total": self.total,
                            "iteration": self._iteration,
                            "dirty": self._dirty, "pages": self._pages})

    def _pace(self) -> None:
        """Sleep until the bytes sent so far fit the rate."""
        if self._rate <= 0:
            return
        delay = self._writer.sent / self._rate - (self._clock()
                                                  - self._started)
        if delay > 0 and self._stop.wait(delay):
            raise HypervisorError(
                "save failed: the simulated hypervisor is closing")

    def begin(self) -> None:
        self._started = self._clock()
        self._writer.begin(self._record, self._pages)
        self._report()

    def send_round(self, round_: Round) -> None:
        self._iteration, self._dirty = round_.iteration, len(round_.pages)
        version = min(round_.iteration, 255)
        page = self._source.page
        for batch in batches(round_.pages):
            self._writer.batch(round_.iteration, batch,
                               [page(i, version) for i in batch])
            for i in batch:
                self._versions[i] = version
            self._report()
            self._pace()

    def finish(self) -> None:
        """The end of memory and the checksums; the last report."""
        memory = hashlib.sha256(self._record)
        page = self._source.page
        for index, version in enumerate(self._versions):
            memory.update(page(index, version))
        self._writer.finish(self._iteration, memory.digest())
        self.total = self._writer.sent
        self._report()
