"""xl's save-file header and xl's migrate handshake, as bytes.

A file ``xl save`` writes (and the stream ``xl migrate`` sends) starts with
a 48-byte header: the 32-byte magic :data:`MAGIC`, then four ``uint32`` in
the *writer's* byte order -- the byte-order mark 0x01020304, the mandatory
flags, the optional flags and the length of the optional data.  The
optional data is a ``uint32`` config length (same order) and that many
bytes of ``libxl_domain_config`` JSON, NUL included.  The libxl stream
(v2 when :data:`FLAG_STREAM_V2` is set) follows.

Mandatory flags are features a reader must understand: :data:`FLAG_JSON`
(the config is JSON; without it, it is xl's old binary config format) and
:data:`FLAG_STREAM_V2`.  A reader refuses any other mandatory bit; optional
flags and optional data past the config may be ignored.

The handshake strings are those of ``xl migrate`` / ``xl migrate-receive``
(Xen 4.17, ``tools/xl/xl_migrate.c``), in order: the receiver's banner,
the sender's header and stream, :data:`RECEIVER_READY`,
:data:`PERMISSION_TO_UNPAUSE`, :data:`UNPAUSE_REPORT` and a status byte.
Nothing here does I/O beyond reading the file object it is given.
"""

from __future__ import annotations

import json
import struct
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO, Mapping

from xend.errors import InvalidArgument, ProtocolError

MAGIC = b"Xen saved domain, xl format\n \0 \r"
BYTEORDER_MARK = 0x01020304
FLAG_JSON = 1
FLAG_STREAM_V2 = 2
KNOWN_MANDATORY_FLAGS = FLAG_JSON | FLAG_STREAM_V2
_FIELDS = 4                                  # the uint32 after the magic
HEADER_SIZE = len(MAGIC) + 4 * _FIELDS       # 48
#: A libxl config is a few KiB; a length beyond this is a damaged file, and
#: must not make us allocate it.
MAX_OPTIONAL_DATA = 16 << 20

_ORDERS = {"little": "<", "big": ">"}

# -- xl migrate handshake (receiver <-> sender) ------------------------------
#: receiver -> sender, first, without a NUL (54 bytes)
RECEIVER_BANNER = b"xl migration receiver ready, send binary domain data.\n"
#: receiver -> sender once the domain is restored, paused (34 bytes)
RECEIVER_READY = b"domain received, ready to unpause\0"
#: sender -> receiver: the receiver may unpause (44 bytes); the receiver
#: also sends it back after a failed unpause, handing the domain back
PERMISSION_TO_UNPAUSE = b"domain is yours, you are cleared to unpause\0"
#: receiver -> sender, followed by one status byte (39 + 1 bytes)
UNPAUSE_REPORT = b"my copy unpause results are as follows\0"


def _bad(why: str) -> InvalidArgument:
    return InvalidArgument(f"not a valid xl save file: {why}")


@dataclass(frozen=True)
class XlSaveHeader:
    """A parsed xl save header."""

    byteorder: str                  # "little" or "big": the writer's order
    mandatory_flags: int
    optional_flags: int
    config: dict[str, Any]          # the libxl_domain_config JSON document
    length: int                     # bytes the header took in the stream

    @property
    def stream_version(self) -> int:
        """The libxl stream version of the image after the header."""
        return 2 if self.mandatory_flags & FLAG_STREAM_V2 else 1


# -- writing -----------------------------------------------------------------

def build_header(config: Mapping[str, Any], byteorder: str = sys.byteorder
                 ) -> bytes:
    """The header (magic through the NUL of the config) for a libxl
    ``libxl_domain_config`` JSON document, flags JSON | STREAMv2.

    ``c_info.domid`` is dropped, i.e. 0 (let the restoring host choose),
    as ``xl save`` writes it.  xl reads only its own byte order, so the
    default is this machine's."""
    if byteorder not in _ORDERS:
        raise InvalidArgument(f"byte order must be little or big, not "
                              f"{byteorder!r}")
    doc = dict(config)
    c_info = doc.get("c_info")
    if isinstance(c_info, Mapping) and "domid" in c_info:
        doc["c_info"] = {k: v for k, v in c_info.items() if k != "domid"}
    body = json.dumps(doc, indent=4).encode() + b"\n\0"
    order = _ORDERS[byteorder]
    optional = struct.pack(order + "I", len(body)) + body
    if len(optional) > MAX_OPTIONAL_DATA:
        raise InvalidArgument(f"domain configuration too large for an xl "
                              f"save file ({len(body)} bytes)")
    return MAGIC + struct.pack(order + "4I", BYTEORDER_MARK,
                               FLAG_JSON | FLAG_STREAM_V2, 0,
                               len(optional)) + optional


# -- reading -----------------------------------------------------------------

def _read_exact(stream: BinaryIO, size: int, what: str) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise _bad(f"truncated (in {what})")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def is_xl_magic(data: bytes) -> bool:
    """Whether *data* (at least the first bytes of a file) can be the
    start of an xl save header."""
    n = min(len(data), len(MAGIC))
    return n > 0 and data[:n] == MAGIC[:n]


def parse_fixed(data: bytes) -> tuple[str, int, int, int]:
    """``(byteorder, mandatory_flags, optional_flags, optional_data_len)``
    of the first :data:`HEADER_SIZE` bytes; InvalidArgument if they are not
    an xl header this reader can follow."""
    if len(data) < HEADER_SIZE:
        raise _bad("truncated (in the header)")
    if data[:len(MAGIC)] != MAGIC:
        raise _bad("xl save-file magic not found")
    fields = data[len(MAGIC):HEADER_SIZE]
    for byteorder, order in _ORDERS.items():
        mark, mandatory, optional, optlen = struct.unpack(order + "4I",
                                                          fields)
        if mark == BYTEORDER_MARK:
            break
    else:
        raise _bad(f"bad byte-order mark {fields[:4].hex()}")
    unknown = mandatory & ~KNOWN_MANDATORY_FLAGS
    if unknown:
        raise InvalidArgument(
            f"xl save file needs features this xend does not have "
            f"(unknown mandatory flags {unknown:#x})")
    if not mandatory & FLAG_JSON:
        raise InvalidArgument(
            "xl save file with its domain configuration in xl's old binary "
            "format (not JSON): only the xl that wrote it can read it")
    if optlen > MAX_OPTIONAL_DATA:
        raise _bad(f"absurd optional data length {optlen}")
    if optlen < 4:
        raise _bad("no domain configuration")
    return byteorder, mandatory, optional, optlen


def parse_config(optional_data: bytes, byteorder: str) -> dict[str, Any]:
    """The JSON config at the start of the optional data."""
    (config_len,) = struct.unpack(_ORDERS[byteorder] + "I",
                                  optional_data[:4])
    if not 0 < config_len <= len(optional_data) - 4:
        raise _bad(f"bad domain configuration length {config_len} (the "
                   f"optional data has {len(optional_data) - 4} bytes)")
    raw = optional_data[4:4 + config_len].rstrip(b"\0")
    try:
        doc = json.loads(raw.decode())
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad("unreadable domain configuration (not JSON)") from None
    if not isinstance(doc, dict):
        raise _bad("unreadable domain configuration (not a JSON object)")
    return doc


def read_header(stream: BinaryIO, already: bytes = b"") -> XlSaveHeader:
    """Read the header from *stream*, exactly its bytes and no more, so
    that the stream is left at the image.

    *already* is what a caller that sniffed the file's first bytes has
    read of it (a prefix of the magic)."""
    if already and (len(already) > len(MAGIC) or not is_xl_magic(already)):
        raise _bad("xl save-file magic not found")
    fixed = already + _read_exact(stream, HEADER_SIZE - len(already),
                                  "the header")
    byteorder, mandatory, optional, optlen = parse_fixed(fixed)
    data = _read_exact(stream, optlen, "the domain configuration")
    return XlSaveHeader(byteorder, mandatory, optional,
                        parse_config(data, byteorder), HEADER_SIZE + optlen)


def parse_header(data: bytes) -> XlSaveHeader:
    """The header at the start of *data* (``length`` says where the image
    begins)."""
    byteorder, mandatory, optional, optlen = parse_fixed(data[:HEADER_SIZE])
    end = HEADER_SIZE + optlen
    if len(data) < end:
        raise _bad("truncated (in the domain configuration)")
    return XlSaveHeader(byteorder, mandatory, optional,
                        parse_config(data[HEADER_SIZE:end], byteorder), end)


# -- the migrate handshake ---------------------------------------------------

def expect_message(stream: BinaryIO, message: bytes) -> None:
    """Read ``len(message)`` bytes and check they are *message*;
    ProtocolError (naming both) otherwise, or if the peer hung up."""
    shown = message.rstrip(b"\0\n").decode()
    got = b""
    while len(got) < len(message):
        chunk = stream.read(len(message) - len(got))
        if not chunk:
            raise ProtocolError(f"xl migration: the peer closed the "
                                f"connection, expected '{shown}'"
                                + (f" (got {got!r})" if got else ""))
        got += chunk
    if got != message:
        raise ProtocolError(f"xl migration: expected '{shown}', got {got!r}")


def unpause_report(rc: int) -> bytes:
    """The receiver's report: :data:`UNPAUSE_REPORT` and the status byte
    (0 for success, else the libxl error code negated, in one byte)."""
    if rc > 0:
        raise InvalidArgument(f"a libxl result is 0 or negative, not {rc}")
    return UNPAUSE_REPORT + bytes([(-rc) & 0xFF])


def read_unpause_report(stream: BinaryIO) -> int:
    """Read the receiver's report; returns its result as a libxl return
    code (0 = the receiver's copy runs, negative = it failed)."""
    expect_message(stream, UNPAUSE_REPORT)
    status = stream.read(1)
    if not status:
        raise ProtocolError("xl migration: the peer closed the connection "
                            "before its unpause status")
    return -status[0]
