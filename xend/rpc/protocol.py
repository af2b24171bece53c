"""JSON-RPC 2.0 framing between xm and xend: bytes in, values out (pure).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8
JSON.  A request may carry open file descriptors (SCM_RIGHTS) on the same
``sendmsg`` as its first byte; the request then names how many it carries in
``"fds"`` (a non-standard member; see :mod:`xend.rpc.transport`).

This module imports nothing but the standard library so that ``xm`` can share
it without pulling in any daemon code.
"""

from __future__ import annotations

import json
import re
import struct
from itertools import accumulate
from typing import Any

HEADER = struct.Struct(">I")
MAX_FRAME = 1 << 20          # a request larger than 1 MiB is refused
MAX_REPLY = 256 << 20        # replies (xm list -l of many domains) may be big
MAX_FDS = 4
MAX_NESTING = 64             # arrays/objects in a request, deepest chain

# JSON-RPC 2.0 standard error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class FrameError(ValueError):
    """The byte stream is not a valid frame (bad length or bad JSON)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Request:
    """One parsed request (a plain class: no dataclasses on xm's path)."""

    __slots__ = ("method", "params", "id", "fds")

    def __init__(self, method: str, params: list[Any] | None = None,
                 id: int | str | None = None, fds: int = 0) -> None:
        self.method = method
        self.params: list[Any] = [] if params is None else params
        self.id = id
        self.fds = fds

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Request) and \
            (self.method, self.params, self.id, self.fds) == \
            (other.method, other.params, other.id, other.fds)

    def __repr__(self) -> str:
        return (f"Request(method={self.method!r}, params={self.params!r}, "
                f"id={self.id!r}, fds={self.fds!r})")


def encode_frame(obj: Any, limit: int = MAX_REPLY) -> bytes:
    body = json.dumps(obj, separators=(",", ":")).encode()
    if len(body) > limit:
        raise FrameError(INVALID_REQUEST, "message too large")
    return HEADER.pack(len(body)) + body


def frame_length(header: bytes, limit: int = MAX_FRAME) -> int:
    """The body length announced by a 4-byte header; refuses oversize."""
    (length,) = HEADER.unpack(header)
    if length > limit:
        raise FrameError(INVALID_REQUEST,
                         f"message too large ({length} bytes, at most "
                         f"{limit})")
    return int(length)


# Escape pairs (``\\"`` among them); once they are gone, every other
# stretch between quotes is outside strings.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nesting_depth(body: bytes) -> int:
    """How deep arrays and objects nest in the JSON text *body* (brackets
    inside strings do not count).  Linear and in C loops: cheap enough to
    run before ``json.loads`` on any request."""
    text = b"".join(_ESCAPE.sub(b"", body).split(b'"')[::2])
    brackets = text.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def decode_json(body: bytes, max_nesting: int | None = None) -> Any:
    """The value *body* holds; FrameError(PARSE_ERROR) for bad UTF-8,
    bad JSON, or arrays/objects nested deeper than *max_nesting*.

    Without a limit, text nested too deep for the decoder's recursion is a
    parse error too, never a RecursionError."""
    if max_nesting is not None and \
            body.count(b"[") + body.count(b"{") > max_nesting:
        depth = nesting_depth(body)
        if depth > max_nesting:
            raise FrameError(PARSE_ERROR,
                             f"parse error: arrays and objects nested "
                             f"{depth} deep (at most {max_nesting})")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FrameError(PARSE_ERROR, f"parse error: {exc}") from None
    except RecursionError:
        raise FrameError(PARSE_ERROR, "parse error: arrays and objects "
                         "nested too deep") from None


def encode_request(method: str, params: list[Any], id: int,
                   fds: int = 0) -> bytes:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method,
                           "params": params, "id": id}
    if fds:
        msg["fds"] = fds
    return encode_frame(msg, MAX_FRAME)


def encode_notification(method: str, params: list[Any]) -> bytes:
    """A request without an id: xend's progress reports during a call."""
    return encode_frame({"jsonrpc": "2.0", "method": method,
                         "params": params}, MAX_FRAME)


def parse_request(obj: Any) -> Request:
    """Validate a decoded JSON-RPC request object."""
    if not isinstance(obj, dict):
        raise FrameError(INVALID_REQUEST, "invalid request: not an object")
    if obj.get("jsonrpc") != "2.0":
        raise FrameError(INVALID_REQUEST,
                         "invalid request: jsonrpc must be \"2.0\"")
    method = obj.get("method")
    if not isinstance(method, str) or not method:
        raise FrameError(INVALID_REQUEST,
                         "invalid request: method must be a string")
    params = obj.get("params", [])
    if not isinstance(params, list):
        raise FrameError(INVALID_PARAMS,
                         "invalid params: params must be an array")
    req_id = obj.get("id")
    if req_id is not None and not isinstance(req_id, (int, str)):
        raise FrameError(INVALID_REQUEST, "invalid request: bad id")
    fds = obj.get("fds", 0)
    if not isinstance(fds, int) or not 0 <= fds <= MAX_FDS:
        raise FrameError(INVALID_REQUEST, "invalid request: bad fds count")
    return Request(method=method, params=params, id=req_id, fds=fds)


def encode_result(id: int | str | None, result: Any) -> bytes:
    return encode_frame({"jsonrpc": "2.0", "id": id, "result": result})


def encode_error(id: int | str | None, code: int, message: str,
                 data: Any = None) -> bytes:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return encode_frame({"jsonrpc": "2.0", "id": id, "error": err})
