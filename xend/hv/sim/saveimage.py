"""The simulator's save image: what ``save`` writes and ``restore`` reads.

Layout, from the stream's current position (the caller writes and reads its
own xm/xl save-file header around it)::

    b"SimXenImage v1\\n"
    8 bytes   big-endian length N of the JSON record
    N bytes   JSON: {"runtime": {...domain state...}, "config": {...}}
    8 bytes   big-endian length M of the memory block
    M bytes   pseudo guest memory (MEMORY_BLOCK bytes derived from the uuid,
              standing in for the guest's pages without writing GiBs)
    32 bytes  SHA-256 of everything above, magic included
    b"SimXenImageEnd\\n"

``read_image`` reads exactly these bytes, so data after the image is left
unread.  Any damage (bad magic, truncation, checksum) is a
``HypervisorError("restore failed: ...")``.
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import BinaryIO

from xend.errors import HypervisorError
from xend.hv.base import JSON

MAGIC = b"SimXenImage v1\n"
END = b"SimXenImageEnd\n"
MEMORY_BLOCK = 64 * 1024
_LEN = struct.Struct(">Q")
# Refuse absurd lengths before allocating them: a damaged length field must
# give "restore failed", not a MemoryError.
_MAX_RECORD = 64 * 1024 * 1024


def _memory(uuid: str) -> bytes:
    out = bytearray()
    seed = uuid.encode()
    counter = 0
    while len(out) < MEMORY_BLOCK:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:MEMORY_BLOCK])


def write_image(stream: BinaryIO, runtime: JSON, config: JSON) -> None:
    record = json.dumps({"runtime": runtime, "config": config},
                        sort_keys=True).encode()
    memory = _memory(str(runtime.get("uuid", "")))
    body = (MAGIC + _LEN.pack(len(record)) + record
            + _LEN.pack(len(memory)) + memory)
    try:
        stream.write(body + hashlib.sha256(body).digest() + END)
        stream.flush()
    except (OSError, ValueError) as exc:
        raise HypervisorError(f"save failed: {exc}") from exc


def _read_exact(stream: BinaryIO, size: int, what: str) -> bytes:
    chunks = []
    left = size
    while left > 0:
        try:
            chunk = stream.read(left)
        except (OSError, ValueError) as exc:
            raise HypervisorError(f"restore failed: {exc}") from exc
        if not chunk:
            raise HypervisorError(
                f"restore failed: image truncated in {what}")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_image(stream: BinaryIO) -> tuple[JSON, JSON]:
    """Read and verify an image; return (runtime, config)."""
    magic = _read_exact(stream, len(MAGIC), "the header")
    if magic != MAGIC:
        raise HypervisorError(
            "restore failed: not a simulated domain image (bad magic)")
    head = _read_exact(stream, _LEN.size, "the header")
    (size,) = _LEN.unpack(head)
    if size > _MAX_RECORD:
        raise HypervisorError("restore failed: damaged image header")
    record = _read_exact(stream, size, "the domain record")
    mem_head = _read_exact(stream, _LEN.size, "the memory header")
    (mem_size,) = _LEN.unpack(mem_head)
    if mem_size > _MAX_RECORD:
        raise HypervisorError("restore failed: damaged memory header")
    memory = _read_exact(stream, mem_size, "the memory image")
    digest = _read_exact(stream, 32, "the checksum")
    end = _read_exact(stream, len(END), "the trailer")
    body = magic + head + record + mem_head + memory
    if hashlib.sha256(body).digest() != digest or end != END:
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
