"""The relocation protocol between two xends, as bytes (pure: no sockets).

A connection starts as in xend 4.4 with one SXP line naming the operation,
and the receiver's ``(ready receive)`` line or an ``(err ...)`` line::

    -> (receive (protocol 2) (id 3f2a...))\\n
    <- (ready receive)\\n              or  (err (type X) (value 'why'))\\n

4.4's own ``receive`` (no protocol) is answered with an error: its stream
has no final handshake.  ``(status (id ...))`` asks what became of a
migration (see :mod:`xend.migrate.receive`).

After ``ready`` both sides exchange frames: one kind byte, a 4-byte
big-endian length, the payload.  ``H`` carries the sender's JSON header
(config and options), ``D`` a piece of the backend's image, ``E`` ends the
image, ``M`` a JSON control message.  The control messages reuse the
phrases of xl's migration handshake (tools/xl/xl_migrate.c), which has the
final exchange xend 4.4 lacked: the source keeps its suspended copy until
the destination reports its copy running.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

PROTOCOL = 2
HEAD = struct.Struct(">cI")
KIND_HEADER = b"H"
KIND_DATA = b"D"
KIND_END = b"E"
KIND_MESSAGE = b"M"
KINDS = (KIND_HEADER, KIND_DATA, KIND_END, KIND_MESSAGE)
MAX_DATA = 1 << 20            # one image piece
MAX_CONTROL = 4 << 20         # a header or message (a config with devices)
MAX_LINE = 4096

READY = b"(ready receive)\n"

# The handshake, in xl's words.
RECEIVED = "domain received, ready to unpause"
GO = "domain is yours, you are cleared to unpause"
RESULT = "my copy unpause results are as follows"
ACCEPT = "send binary domain data"


class FrameError(ValueError):
    """The peer sent something this protocol does not allow."""


# -- the first line ------------------------------------------------------------
_ATOM = re.compile(r"^[A-Za-z0-9_.:-]+$")


def request_line(op: str, **fields: str | int) -> bytes:
    """``(op (key value) ...)\\n`` with atoms only (ids, numbers, words)."""
    parts = [op]
    for key, value in fields.items():
        text = str(value)
        if not _ATOM.match(key) or not _ATOM.match(text):
            raise ValueError(f"not an atom: {key!r} {text!r}")
        parts.append(f"({key} {text})")
    return ("(" + " ".join(parts) + ")\n").encode()


def parse_request_line(line: bytes) -> tuple[str, dict[str, str]]:
    """(op, fields) of a first line; a bare ``receive`` (4.4) has none."""
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        raise FrameError("the request is not ASCII") from None
    if _ATOM.match(text):
        return text, {}
    m = re.fullmatch(r"\(([A-Za-z0-9_.:-]+)((?:\s*\([A-Za-z0-9_.:-]+\s+"
                     r"[A-Za-z0-9_.:-]+\))*)\s*\)", text)
    if m is None:
        raise FrameError(f"malformed request {text[:80]!r}")
    fields = dict(re.findall(r"\(([A-Za-z0-9_.:-]+)\s+([A-Za-z0-9_.:-]+)\)",
                             m.group(2)))
    return m.group(1), fields


def error_line(kind: str, value: str) -> bytes:
    """4.4's error reply: ``(err (type Kind) (value 'why'))``."""
    clean = value.replace("\\", "\\\\").replace("'", "\\'")
    clean = " ".join(clean.split())[:MAX_LINE - 64]
    kind = re.sub(r"[^A-Za-z0-9_]", "", kind) or "XendError"
    return f"(err (type {kind}) (value '{clean}'))\n".encode()


_ERROR = re.compile(r"^\(err\s\(type\s(.+?)\)\s\(value\s'(.*)'\)\)$", re.S)


def parse_error_line(line: bytes) -> tuple[str, str] | None:
    m = _ERROR.match(line.decode("utf-8", "replace").strip())
    if m is None:
        return None
    return m.group(1), m.group(2).replace("\\'", "'").replace("\\\\", "\\")


def parse_outcome_line(line: bytes) -> str | None:
    """``(ok WORD)`` -> WORD (a status query's answer)."""
    m = re.fullmatch(rb"\(ok ([a-z]+)\)\s*", line)
    return m.group(1).decode() if m else None


def outcome_line(word: str) -> bytes:
    return f"(ok {word})\n".encode()


# -- frames ----------------------------------------------------------------------
def frame(kind: bytes, payload: bytes = b"") -> bytes:
    limit = MAX_DATA if kind == KIND_DATA else MAX_CONTROL
    if kind not in KINDS or len(payload) > limit:
        raise ValueError(f"bad frame {kind!r} of {len(payload)} bytes")
    return HEAD.pack(kind, len(payload)) + payload


def json_frame(kind: bytes, obj: Any) -> bytes:
    return frame(kind, json.dumps(obj, separators=(",", ":")).encode())


def parse_head(head: bytes) -> tuple[bytes, int]:
    """(kind, length) of a 5-byte frame head; refuses unknown kinds and
    oversize lengths before anything is allocated for them."""
    kind, length = HEAD.unpack(head)
    if kind not in KINDS:
        raise FrameError(f"unknown frame kind {kind!r}")
    limit = MAX_DATA if kind == KIND_DATA else MAX_CONTROL
    if length > limit:
        raise FrameError(f"frame of {length} bytes (at most {limit})")
    if kind == KIND_END and length:
        raise FrameError("an end frame carries no data")
    return kind, length


def parse_json(payload: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FrameError("unreadable control message") from None
    if not isinstance(obj, dict):
        raise FrameError("a control message must be an object")
    return obj


def error_message(kind: str, value: str) -> dict[str, Any]:
    return {"err": {"type": kind, "value": value}}
