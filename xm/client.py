"""The client end of xend's Unix-socket JSON-RPC, used by every xm command.

It finds xend through ``$XM_SERVER`` (``unix:///path/to/socket``), else the
default socket path, sends one framed request (with open file descriptors
attached by SCM_RIGHTS when a command hands xend a file), and turns an error
reply back into the :mod:`xend.errors` exception xend raised.
"""

from __future__ import annotations

import array
import os
import socket
from typing import Any, Callable

from xend.errors import ConnectionFailed, ProtocolError, from_wire
from xend.rpc import protocol

DEFAULT_SOCKET = "/run/xend/xend.sock"


def server_path(environ: dict[str, str] | None = None) -> str:
    """The socket path named by $XM_SERVER, else the default."""
    env = os.environ if environ is None else environ
    uri = env.get("XM_SERVER", "")
    if not uri:
        return DEFAULT_SOCKET
    if uri.startswith("unix://"):
        return uri[len("unix://"):]
    if uri.startswith("/"):
        return uri
    raise ConnectionFailed(
        f"Unable to connect to xend: unsupported XM_SERVER '{uri}' "
        "(use unix:///path/to/socket)")


class XendClient:
    """One connection to xend; ``call`` sends a request and waits."""

    def __init__(self, path: str | None = None, timeout: float | None = None):
        self.path = path or server_path()
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._next_id = 1

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self.timeout)
            try:
                sock.connect(self.path)
            except OSError as exc:
                sock.close()
                reason = exc.strerror or str(exc)
                raise ConnectionFailed(
                    f"Unable to connect to xend: {reason}. "
                    "Is xend running?") from None
            self._sock = sock
        return self._sock

    def call(self, method: str, *params: Any, fds: list[int] | None = None,
             on_progress: Callable[[Any], None] | None = None) -> Any:
        sock = self._connect()
        req_id = self._next_id
        self._next_id += 1
        fds = fds or []
        data = protocol.encode_request(method, list(params), req_id, len(fds))
        send_error: OSError | None = None
        try:
            if fds:
                anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                        array.array("i", fds).tobytes())]
                sent = sock.sendmsg([data[:1]], anc)
                sock.sendall(data[sent:])
            else:
                sock.sendall(data)
        except OSError as exc:
            # xend may have answered (e.g. refused this peer) and closed
            # before we finished sending: its reply is still readable.
            send_error = exc
        try:
            reply = self._read_frame(sock)
            while isinstance(reply, dict) and "id" not in reply and \
                    reply.get("method") == "progress":
                params_ = reply.get("params")
                if on_progress is not None and isinstance(params_, list) \
                        and params_:
                    on_progress(params_[0])
                reply = self._read_frame(sock)
        except (OSError, ProtocolError) as exc:
            if send_error is None and isinstance(exc, ProtocolError):
                raise
            cause: Exception = send_error or exc
            self.close()
            reason = getattr(cause, "strerror", None) or cause
            raise ConnectionFailed(
                f"Unable to connect to xend: {reason}. "
                "Is xend running?") from None
        if not isinstance(reply, dict) or \
                reply.get("id") not in (req_id, None):
            raise ProtocolError("Xend has probably crashed!  Invalid reply.")
        if "error" in reply:
            err = reply["error"]
            if not isinstance(err, dict):
                raise ProtocolError("Xend has probably crashed!  Bad error.")
            raise from_wire(err)
        if reply.get("id") != req_id:
            raise ProtocolError("Xend has probably crashed!  Invalid reply.")
        return reply.get("result")

    @staticmethod
    def _recv_exact(sock: socket.socket, n: int) -> bytes:
        chunks = []
        while n:
            chunk = sock.recv(n)
            if not chunk:
                raise ProtocolError(
                    "Xend has probably crashed!  Connection closed.")
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def _read_frame(self, sock: socket.socket) -> Any:
        header = self._recv_exact(sock, protocol.HEADER.size)
        try:
            length = protocol.frame_length(header, protocol.MAX_REPLY)
        except protocol.FrameError:
            raise ProtocolError("Xend has probably crashed!  "
                                "Invalid reply.") from None
        body = self._recv_exact(sock, length)
        try:
            return protocol.decode_json(body)
        except protocol.FrameError:
            raise ProtocolError("Xend has probably crashed!  "
                                "Invalid reply.") from None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> "XendClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
