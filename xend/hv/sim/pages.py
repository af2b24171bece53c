"""The simulated guest's memory: its pages, their contents, the save rounds.

A simulated guest has one page of :data:`PAGE_SIZE` bytes for every MiB of
its memory, so a save streams real bytes in proportion to the domain's size
(a 512 MiB guest sends 2 MiB in its first round) without writing GiBs.

A page's contents are deterministic: a 4 KiB block derived once from the
domain's uuid, with the page's index and *version* stamped in front.  The
version is the round in which the page was last sent: a page the guest
"dirtied" during a live migration is sent again with new contents, so the
reader must apply the rounds in order to rebuild the final memory.

The rounds (:func:`plan_rounds`) follow Xen's live migration: round 0 sends
every page; with ``live`` the guest keeps running and each later round
resends the pages it dirtied meanwhile, a set that shrinks by a factor of
``2**DIRTY_SHIFT`` per round; below :data:`DIRTY_THRESHOLD` pages (or after
:data:`MAX_LIVE_ROUNDS` rounds) the guest is suspended and one final round
sends the last dirty set.  Without ``live`` the guest is suspended first and
round 0 is the final one.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

PAGE_SIZE = 4096
# One simulated page per MiB of guest memory.
KIB_PER_PAGE = 1024
# Pages per batch in the stream: 256 KiB of page data.
BATCH_PAGES = 64
# Each dirty round is 2**DIRTY_SHIFT times smaller than the one before.
DIRTY_SHIFT = 3
# A dirty set smaller than this is sent with the guest suspended.
DIRTY_THRESHOLD = 32
# Rounds sent while the guest runs, round 0 included.
MAX_LIVE_ROUNDS = 5

_STAMP = struct.Struct(">QQ")


def page_count(memory_kb: int) -> int:
    """The number of simulated pages of a guest holding ``memory_kb``."""
    return max(1, -(-memory_kb // KIB_PER_PAGE))


class PageSource:
    """The contents of one guest's pages (cheap: one hash per guest)."""

    def __init__(self, uuid: str) -> None:
        digest = hashlib.sha256(uuid.encode()).digest()
        self._tail = (digest * (PAGE_SIZE // len(digest)))[_STAMP.size:]

    def page(self, index: int, version: int) -> bytes:
        return _STAMP.pack(index, version) + self._tail


@dataclass(frozen=True)
class Round:
    """One pass over (some of) the guest's pages."""

    iteration: int
    pages: range | list[int]    # page indices, in the order sent
    final: bool                 # sent with the guest suspended


def dirty_pages(pages: int, iteration: int) -> list[int]:
    """The pages dirtied before round ``iteration`` (>= 1): a shrinking set
    spread over the whole memory, different each round."""
    count = min(pages, max(1, pages >> (DIRTY_SHIFT * iteration)))
    step = pages // count
    # Distinct: the values j*step + iteration span less than ``pages``.
    return [(j * step + iteration) % pages for j in range(count)]


def plan_rounds(pages: int, live: bool) -> list[Round]:
    """Every round of a save of a guest with ``pages`` pages."""
    if not live:
        return [Round(0, range(pages), final=True)]
    rounds = [Round(0, range(pages), final=False)]
    iteration = 1
    while iteration < MAX_LIVE_ROUNDS and \
            len(dirty_pages(pages, iteration)) >= DIRTY_THRESHOLD:
        rounds.append(Round(iteration, dirty_pages(pages, iteration),
                            final=False))
        iteration += 1
    rounds.append(Round(iteration, dirty_pages(pages, iteration),
                        final=True))
    return rounds


def batches(pages: range | list[int]) -> list[range | list[int]]:
    """A round's pages cut into batches of at most :data:`BATCH_PAGES`."""
    return [pages[i:i + BATCH_PAGES]
            for i in range(0, len(pages), BATCH_PAGES)]
