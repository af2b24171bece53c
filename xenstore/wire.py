"""The Xenstore wire format: bytes <-> messages, nothing else.

A message is a 16-byte header ``struct xsd_sockmsg {u32 type, req_id,
tx_id, len}`` in host byte order followed by ``len`` payload bytes
(``len <= 4096``).  This module has no sockets and no state beyond the
incremental :class:`Decoder`; it is tested on literal bytes.

Facts come from Xen 4.17 ``xs_wire.h`` and ``docs/misc/xenstore.txt``.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

HEADER = struct.Struct("=IIII")
HEADER_SIZE = HEADER.size
PAYLOAD_MAX = 4096          # XENSTORE_PAYLOAD_MAX
ABS_PATH_MAX = 3072         # XENSTORE_ABS_PATH_MAX
REL_PATH_MAX = 2048         # XENSTORE_REL_PATH_MAX
DOMID_SELF = 0x7FF0


class Op(enum.IntEnum):
    """Message types of ``enum xsd_sockmsg_type`` (4.17)."""

    CONTROL = 0
    DIRECTORY = 1
    READ = 2
    GET_PERMS = 3
    WATCH = 4
    UNWATCH = 5
    TRANSACTION_START = 6
    TRANSACTION_END = 7
    INTRODUCE = 8
    RELEASE = 9
    GET_DOMAIN_PATH = 10
    WRITE = 11
    MKDIR = 12
    RM = 13
    SET_PERMS = 14
    WATCH_EVENT = 15
    ERROR = 16
    IS_DOMAIN_INTRODUCED = 17
    RESUME = 18
    SET_TARGET = 19
    # 20 was RESTRICT; removed, the C daemon answers ENOSYS.
    RESET_WATCHES = 21
    DIRECTORY_PART = 22


#: ``xsd_errors`` in xs_wire.h order: errors travel as these names.
ERROR_NAMES: tuple[str, ...] = (
    "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC",
    "EIO", "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN",
    "E2BIG", "EPERM",
)


class WireError(Exception):
    """The byte stream is not valid Xenstore framing (close the peer)."""


@dataclass(frozen=True)
class Message:
    """One Xenstore message (request, reply or watch event)."""

    op: int
    req_id: int
    tx_id: int
    payload: bytes

    def encode(self) -> bytes:
        return encode(self.op, self.req_id, self.tx_id, self.payload)


def encode(op: int, req_id: int, tx_id: int, payload: bytes) -> bytes:
    """Header plus payload.  Refuses payloads the peer would reject."""
    if len(payload) > PAYLOAD_MAX:
        raise WireError(f"payload of {len(payload)} bytes exceeds "
                        f"{PAYLOAD_MAX}")
    return HEADER.pack(op, req_id & 0xFFFFFFFF, tx_id & 0xFFFFFFFF,
                       len(payload)) + payload


def decode_header(header: bytes) -> tuple[int, int, int, int]:
    """``(op, req_id, tx_id, length)``; length is checked against the max."""
    op, req_id, tx_id, length = HEADER.unpack(header)
    if length > PAYLOAD_MAX:
        raise WireError(f"payload length {length} exceeds {PAYLOAD_MAX}")
    return op, req_id, tx_id, length


class Decoder:
    """Incremental decoder: feed bytes, take whole messages."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        """Append ``data``; return every message now complete.

        Raises :class:`WireError` on an over-long payload; the stream
        cannot be resynchronised after that.
        """
        self._buf += data
        out: list[Message] = []
        while len(self._buf) >= HEADER_SIZE:
            op, req_id, tx_id, length = decode_header(
                bytes(self._buf[:HEADER_SIZE]))
            end = HEADER_SIZE + length
            if len(self._buf) < end:
                break
            out.append(Message(op, req_id, tx_id,
                               bytes(self._buf[HEADER_SIZE:end])))
            del self._buf[:end]
        return out

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a whole message."""
        return len(self._buf)


# --- payload helpers -------------------------------------------------------

def strings(payload: bytes) -> list[bytes]:
    """The NUL-terminated strings of a payload; bytes after the last NUL
    are ignored (as the C daemon's ``get_strings`` does)."""
    parts = payload.split(b"\0")
    return parts[:-1]


def join(*parts: bytes) -> bytes:
    """Each part NUL-terminated."""
    return b"".join(p + b"\0" for p in parts)


def onearg(payload: bytes) -> bytes | None:
    """The single argument of a one-argument request, or None when the
    payload is not exactly one NUL-terminated string."""
    if not payload or payload.find(b"\0") != len(payload) - 1:
        return None
    return payload[:-1]


def ok() -> bytes:
    return b"OK\0"


def error_payload(name: str) -> bytes:
    return name.encode("ascii") + b"\0"


def parse_error(payload: bytes) -> str:
    """The error name of an ERROR reply (``b"ENOENT\\0"`` -> ``"ENOENT"``)."""
    return payload.split(b"\0", 1)[0].decode("ascii", "replace")


def c_atoi(data: bytes) -> int:
    """C ``atoi`` as the daemon uses it: leading blanks, sign, digits;
    anything else stops the parse; no digits gives 0."""
    s = data.lstrip(b" \t\n\r\f\v")
    sign = 1
    if s[:1] in (b"+", b"-"):
        sign = -1 if s[:1] == b"-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if 48 <= ch <= 57:
            n = n * 10 + ch - 48
        else:
            break
    # atoi returns an int; callers store it in unsigned int.
    return (sign * n) & 0xFFFFFFFF
