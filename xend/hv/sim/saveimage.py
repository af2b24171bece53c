"""The simulator's save image: what ``save`` writes and ``restore`` reads.

Layout of version 2 (written), from the stream's current position (the
caller writes and reads its own xm/xl save-file header around it); every
integer is big-endian::

    b"SimXenImage v2\\n"
    8 bytes   length N of the JSON record
    N bytes   JSON: {"runtime": {...domain state...}, "config": {...}}
    8 bytes   page count P, 4 bytes page size (4096)
    batches, each:
      4 bytes   iteration (round number, never decreasing)
      4 bytes   count C of pages in the batch (1..MAX_BATCH)
      C*4 bytes the pages' indices (< P)
      C*4096    the pages' contents
    4 bytes iteration of the last round, 4 bytes count 0: end of memory
    32 bytes  SHA-256 of the record followed by the final memory (every
              page in index order, as the last batch holding it left it)
    32 bytes  SHA-256 of every byte above, magic included
    b"SimXenImageEnd\\n"

The page batches are the guest's memory sent in rounds (see
:mod:`.pages`); a page sent again in a later round replaces its earlier
contents.  Version 1 (read only, so that old saved files still restore)
held one fixed pseudo-memory block instead of the batches::

    b"SimXenImage v1\\n", 8-byte N, N-byte JSON record, 8-byte M, M bytes,
    32-byte SHA-256 of all that, b"SimXenImageEnd\\n"

``read_image`` reads exactly the image's bytes, so data after it is left
unread (a migration goes on on the same socket).  Any damage (bad magic,
truncation, a length out of range, a checksum) is a
``HypervisorError("restore failed: ...")``, and no length is trusted
before it is checked.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import BinaryIO, Sequence

from xend.errors import HypervisorError
from xend.hv.base import JSON
from xend.hv.sim.pages import PAGE_SIZE

MAGIC_V1 = b"SimXenImage v1\n"
MAGIC = b"SimXenImage v2\n"
END = b"SimXenImageEnd\n"
_LEN = struct.Struct(">Q")
_MEMORY_HEAD = struct.Struct(">QI")
_BATCH_HEAD = struct.Struct(">II")
_PFN = struct.Struct(">I")
_DIGEST = 32
# Refuse absurd lengths before allocating them: a damaged length field must
# give "restore failed", not a MemoryError.
_MAX_RECORD = 64 * 1024 * 1024
MAX_PAGES = 1 << 20             # a 1 TiB guest
MAX_BATCH = 1024                # pages in one batch (Xen's MAX_BATCH_SIZE)
MAX_ITERATION = 1024


def encode_record(runtime: JSON, config: JSON) -> bytes:
    return json.dumps({"runtime": runtime, "config": config},
                      sort_keys=True).encode()


def head_size(record: bytes) -> int:
    """Bytes before the first batch."""
    return len(MAGIC) + _LEN.size + len(record) + _MEMORY_HEAD.size


def batch_size(count: int) -> int:
    return _BATCH_HEAD.size + count * (_PFN.size + PAGE_SIZE)


def tail_size() -> int:
    """Bytes after the last batch."""
    return _BATCH_HEAD.size + 2 * _DIGEST + len(END)


class ImageWriter:
    """Writes a version 2 image piece by piece, counting and hashing it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()
        self.sent = 0

    def _put(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                written = self._stream.write(view)
                # A raw stream may take part of it; a buffered one all.
                view = view[len(view) if written is None else written:]
            self._stream.flush()
        except (OSError, ValueError) as exc:
            raise HypervisorError(f"save failed: {exc}") from exc
        self._hash.update(data)
        self.sent += len(data)

    def begin(self, record: bytes, pages: int) -> None:
        self._put(MAGIC + _LEN.pack(len(record)) + record
                  + _MEMORY_HEAD.pack(pages, PAGE_SIZE))

    def batch(self, iteration: int, indices: Sequence[int],
              contents: Sequence[bytes]) -> None:
        self._put(b"".join([
            _BATCH_HEAD.pack(iteration, len(indices)),
            b"".join(_PFN.pack(i) for i in indices), *contents]))

    def finish(self, iteration: int, memory_digest: bytes) -> None:
        body = _BATCH_HEAD.pack(iteration, 0) + memory_digest
        whole = self._hash.copy()
        whole.update(body)
        self._put(body + whole.digest() + END)


class _Reader:
    """Exact reads from the stream, hashing what they return."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.hash = hashlib.sha256()

    def read(self, size: int, what: str) -> bytes:
        chunks = []
        left = size
        while left > 0:
            try:
                chunk = self._stream.read(left)
            except (OSError, ValueError) as exc:
                raise HypervisorError(f"restore failed: {exc}") from exc
            if not chunk:
                raise HypervisorError(
                    f"restore failed: image truncated in {what}")
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        self.hash.update(data)
        return data

    def number(self, layout: struct.Struct, what: str) -> tuple[int, ...]:
        return layout.unpack(self.read(layout.size, what))

    def check_digest(self, what: str) -> None:
        expected = self.hash.digest()
        if self.read(_DIGEST, what) != expected:
            raise HypervisorError("restore failed: image checksum mismatch")


def _read_record(reader: _Reader) -> bytes:
    (size,) = reader.number(_LEN, "the header")
    if size > _MAX_RECORD:
        raise HypervisorError("restore failed: damaged image header")
    return reader.read(size, "the domain record")


def _read_v1(reader: _Reader) -> bytes:
    record = _read_record(reader)
    (mem_size,) = reader.number(_LEN, "the memory header")
    if mem_size > _MAX_RECORD:
        raise HypervisorError("restore failed: damaged memory header")
    reader.read(mem_size, "the memory image")
    reader.check_digest("the checksum")
    return record


def _read_memory(reader: _Reader, pages: int) -> list[bytes | None]:
    """The page batches, applied in order: the final memory."""
    # Filled as pages arrive: nothing large is allocated on the word of a
    # length field alone.
    memory: list[bytes | None] = [None] * pages
    last = 0
    while True:
        iteration, count = reader.number(_BATCH_HEAD, "the page batches")
        if iteration < last or iteration > MAX_ITERATION:
            raise HypervisorError(
                "restore failed: damaged page batch (iteration)")
        last = iteration
        if count == 0:
            return memory
        if count > MAX_BATCH:
            raise HypervisorError(
                "restore failed: damaged page batch (count)")
        raw = reader.read(count * _PFN.size, "the page batches")
        indices = [pfn for (pfn,) in _PFN.iter_unpack(raw)]
        if any(pfn >= pages for pfn in indices):
            raise HypervisorError(
                "restore failed: damaged page batch (page index)")
        data = reader.read(count * PAGE_SIZE, "the page batches")
        for n, pfn in enumerate(indices):
            memory[pfn] = data[n * PAGE_SIZE:(n + 1) * PAGE_SIZE]


def _read_v2(reader: _Reader) -> bytes:
    record = _read_record(reader)
    pages, page_size = reader.number(_MEMORY_HEAD, "the memory header")
    if not 0 < pages <= MAX_PAGES or page_size != PAGE_SIZE:
        raise HypervisorError("restore failed: damaged memory header")
    memory = _read_memory(reader, pages)
    rebuilt = hashlib.sha256(record)
    for page in memory:
        if page is None:
            raise HypervisorError(
                "restore failed: guest memory incomplete in the image")
        rebuilt.update(page)
    if reader.read(_DIGEST, "the checksum") != rebuilt.digest():
        raise HypervisorError("restore failed: guest memory checksum "
                              "mismatch")
    reader.check_digest("the checksum")
    return record


def read_image(stream: BinaryIO) -> tuple[JSON, JSON]:
    """Read and verify an image (version 1 or 2); return (runtime, config)."""
    reader = _Reader(stream)
    magic = reader.read(len(MAGIC), "the header")
    if magic == MAGIC:
        record = _read_v2(reader)
    elif magic == MAGIC_V1:
        record = _read_v1(reader)
    else:
        raise HypervisorError(
            "restore failed: not a simulated domain image (bad magic)")
    if reader.read(len(END), "the trailer") != END:
        raise HypervisorError("restore failed: image checksum mismatch")
    try:
        data = json.loads(record)
        runtime, config = data["runtime"], data["config"]
    except (ValueError, KeyError, TypeError) as exc:
        raise HypervisorError(
            f"restore failed: bad domain record: {exc}") from exc
    if not isinstance(runtime, dict) or not isinstance(config, dict):
        raise HypervisorError("restore failed: bad domain record")
    return runtime, config
