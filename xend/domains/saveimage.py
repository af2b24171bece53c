"""Save-file headers: xm's ``LinuxGuestRecord`` and xl's.

xm's own format (the default, what the xendomains script expects): as in
xend 4.4, the 16 ASCII bytes ``LinuxGuestRecord`` (xendomains recognises
saved domains by them), a 4-byte big-endian length and that many bytes
describing the domain.  Where 4.4 put the domain's SXP, we put a JSON
document ``{"format": 1, "config": <DomainConfig dict>}`` so that the
configuration comes back exactly as it was.

xl's format (``xm save --xl``, and files ``xl save`` wrote): the header of
:mod:`xend.migrate.xlformat`, carrying the domain's libxl JSON.

The hypervisor backend's own image follows either header: on libxl a libxl
v2 stream, which ``xl restore`` reads after an xl header; on the simulator
its image.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any, BinaryIO

from xend.errors import InvalidArgument
from xend.migrate import xlformat

SIGNATURE = b"LinuxGuestRecord"
_LENGTH = struct.Struct(">i")
MAX_HEADER = 16 << 20
#: ``xend.domain.save``'s ``format`` values
FORMATS = ("xm", "xl")


@dataclass(frozen=True)
class SavedHeader:
    """What a save file's header says."""

    format: str                 # "xm" or "xl"
    config: dict[str, Any]      # a DomainConfig dict (xm), libxl JSON (xl)
    stream_version: int = 2     # of the libxl stream after an xl header


def xm_header(config: dict[str, Any]) -> bytes:
    """xm's header for a DomainConfig dict."""
    body = json.dumps({"format": 1, "config": config}).encode()
    return SIGNATURE + _LENGTH.pack(len(body)) + body


def xl_header(libxl_config: dict[str, Any]) -> bytes:
    """xl's header for a libxl_domain_config JSON document."""
    return xlformat.build_header(libxl_config)


def write_header(stream: BinaryIO, config: dict[str, Any]) -> None:
    stream.write(xm_header(config))
    stream.flush()


def read_saved(stream: BinaryIO) -> SavedHeader:
    """Read either header, exactly its bytes: the stream is left at the
    backend's image."""
    sig = stream.read(len(SIGNATURE))
    if sig == SIGNATURE:
        return SavedHeader("xm", _read_xm_body(stream))
    if xlformat.is_xl_magic(sig):
        hdr = xlformat.read_header(stream, already=sig)
        return SavedHeader("xl", hdr.config, hdr.stream_version)
    raise InvalidArgument("not a valid guest state file: LinuxGuestRecord "
                          "signature not found (nor xl's)")


def read_header(stream: BinaryIO) -> dict[str, Any]:
    """Read an xm header; return the saved DomainConfig dict."""
    saved = read_saved(stream)
    if saved.format != "xm":
        raise InvalidArgument("not an xm save file: this image was "
                              "written by xl")
    return saved.config


def _read_xm_body(stream: BinaryIO) -> dict[str, Any]:
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
