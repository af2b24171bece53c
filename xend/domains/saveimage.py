"""The xm save-file header: ``LinuxGuestRecord``, a length, the config.

As in xend 4.4, a save file starts with the 16 ASCII bytes
``LinuxGuestRecord`` (the xendomains script recognises saved domains by them)
followed by a 4-byte big-endian length and that many bytes describing the
domain; the hypervisor backend's own image follows.  Where 4.4 put the
domain's SXP, we put a JSON document ``{"format": 1, "config": <DomainConfig
dict>}`` so that the configuration comes back exactly as it was.
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

from xend.errors import InvalidArgument

SIGNATURE = b"LinuxGuestRecord"
_LENGTH = struct.Struct(">i")
MAX_HEADER = 16 << 20


def write_header(stream: BinaryIO, config: dict[str, Any]) -> None:
    body = json.dumps({"format": 1, "config": config}).encode()
    stream.write(SIGNATURE + _LENGTH.pack(len(body)) + body)
    stream.flush()


def read_header(stream: BinaryIO) -> dict[str, Any]:
    """Read and check the header; return the saved DomainConfig dict."""
    sig = stream.read(len(SIGNATURE))
    if sig != SIGNATURE:
        if sig.startswith(b"Xen saved domain"):
            raise InvalidArgument(
                "not an xm save file: this image was written by xl "
                "(use xl restore)")
        raise InvalidArgument("not a valid guest state file: "
                              "LinuxGuestRecord signature not found")
    raw = stream.read(_LENGTH.size)
    if len(raw) != _LENGTH.size:
        raise InvalidArgument("not a valid guest state file: truncated")
    (length,) = _LENGTH.unpack(raw)
    if not 0 < length <= MAX_HEADER:
        raise InvalidArgument("not a valid guest state file: "
                              f"bad config length {length}")
    body = stream.read(length)
    if len(body) != length:
        raise InvalidArgument("not a valid guest state file: truncated")
    try:
        doc = json.loads(body.decode())
        config = doc["config"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise InvalidArgument("not a valid guest state file: "
                              "unreadable domain configuration") from None
    if not isinstance(config, dict):
        raise InvalidArgument("not a valid guest state file: "
                              "unreadable domain configuration")
    return config
