"""One relocation connection: timed, framed I/O, and the image pumps.

A backend writes (``save``) or reads (``restore``) its image on a file
descriptor; libxl cannot use a TLS socket, and the image must be framed
so that the control messages after it stay readable.  So the image goes
through a pump thread that turns it into ``D`` frames (sending) or back
into bytes (receiving): on plain TCP through a pipe, spliced without
copies (:mod:`.zerocopy`); on TLS through a local socket pair.  Only one thread uses the
connection at any time: the pump while the backend works, the caller
before and after, which TLS needs.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import io
from contextlib import contextmanager
from typing import Any, BinaryIO, Callable, Iterator, cast

from xend.errors import ConnectionFailed, ProtocolError, XendError
from xend.migrate import frames, tls, zerocopy

PIECE = 256 * 1024
Progress = Callable[[dict[str, Any]], None]


class PeerRefused(XendError):
    """The peer sent an error: its message, naming the peer."""


class Channel:
    """A connected socket (plain or TLS) to ``peer``, blocking with
    timeouts.  Every failure becomes a XendError that names the peer."""

    def __init__(self, sock: socket.socket, peer: str) -> None:
        self.sock = sock
        self.peer = peer
        self.sent = 0
        self.received = 0

    # -- errors --------------------------------------------------------------
    def lost(self, exc: BaseException | str) -> ConnectionFailed:
        if isinstance(exc, ssl.SSLError) and not isinstance(
                exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
            return ConnectionFailed(f"{tls.describe(exc)} (from "
                                    f"{self.peer})")
        if isinstance(exc, socket.timeout):
            why = "timed out"
        elif isinstance(exc, ssl.SSLEOFError):
            why = "closed by the peer"
        elif isinstance(exc, OSError):
            why = exc.strerror or str(exc) or type(exc).__name__
        else:
            why = str(exc)
        return ConnectionFailed(f"connection lost: {why} (from {self.peer})")

    # -- raw I/O ---------------------------------------------------------------
    def settimeout(self, seconds: float | None) -> None:
        self.sock.settimeout(seconds)

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise self.lost(exc) from None
        self.sent += len(data)

    def recv_exact(self, n: int) -> bytes:
        chunks = []
        left = n
        while left:
            try:
                chunk = self.sock.recv(min(left, PIECE))
            except OSError as exc:
                raise self.lost(exc) from None
            if not chunk:
                raise self.lost("closed by the peer")
            chunks.append(chunk)
            left -= len(chunk)
        self.received += n
        return b"".join(chunks)

    def read_line(self, limit: int = frames.MAX_LINE) -> bytes:
        """One ``\\n``-terminated line, read byte by byte so that nothing
        after it is consumed (it is short, and read once per connection)."""
        out = bytearray()
        while len(out) < limit:
            byte = self.recv_exact(1)
            out += byte
            if byte == b"\n":
                return bytes(out)
        raise ProtocolError(f"line too long (from {self.peer})")

    # -- frames ---------------------------------------------------------------
    def send_frame(self, kind: bytes, payload: bytes = b"") -> None:
        self.send(frames.frame(kind, payload))

    def send_message(self, obj: dict[str, Any]) -> None:
        self.send(frames.json_frame(frames.KIND_MESSAGE, obj))

    def send_error(self, exc: BaseException) -> None:
        """Tell the peer why (best effort: it may be gone)."""
        kind = type(exc).__name__ if isinstance(exc, XendError) \
            else "XendError"
        try:
            self.send_message(frames.error_message(kind, str(exc)))
        except XendError:
            pass

    def read_frame(self) -> tuple[bytes, bytes]:
        try:
            kind, length = frames.parse_head(self.recv_exact(frames.HEAD.size))
        except frames.FrameError as exc:
            raise ProtocolError(f"{exc} (from {self.peer})") from None
        return kind, self.recv_exact(length)

    def read_message(self) -> dict[str, Any]:
        """The next control message; the peer's error is raised."""
        kind, payload = self.read_frame()
        if kind != frames.KIND_MESSAGE:
            raise ProtocolError(f"expected a control message, got a "
                                f"{kind.decode('ascii', 'replace')!r} frame "
                                f"(from {self.peer})")
        return self.decode_message(payload)

    def decode_message(self, payload: bytes) -> dict[str, Any]:
        try:
            msg = frames.parse_json(payload)
        except frames.FrameError as exc:
            raise ProtocolError(f"{exc} (from {self.peer})") from None
        err = msg.get("err")
        if isinstance(err, dict):
            raise PeerRefused(f"{err.get('value', 'refused')} "
                              f"(from {self.peer})")
        return msg

    def expect(self, word: str) -> dict[str, Any]:
        msg = self.read_message()
        if msg.get("msg") != word:
            raise ProtocolError(f"expected {word!r}, got {msg!r} "
                                f"(from {self.peer})")
        return msg

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Wake a thread blocked on this connection (from another one)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- the image ---------------------------------------------------------------
    @contextmanager
    def image_writer(self, progress: Progress | None = None
                     ) -> Iterator[BinaryIO]:
        """A file for the backend's ``save``; its bytes go out as ``D``
        frames, then ``E`` once the block ends without error."""
        if self.can_splice():
            with self._splice_writer(progress) as stream:
                yield stream
            return
        ours, theirs = socket.socketpair()
        pump = _Pump(self, progress)
        thread = threading.Thread(target=pump.send_from, args=(ours,),
                                  name="xend-migrate-send", daemon=True)
        thread.start()
        # Buffered: a raw socket write may be short; flush() writes all.
        stream = cast(BinaryIO, io.BufferedWriter(
            socket.SocketIO(theirs, "wb"), PIECE))
        try:
            yield stream
            stream.flush()
        except BaseException:
            _close_writer(stream, theirs, thread, ours)
            # The backend's write failed because the pump stopped: the
            # pump's error (the connection) is the reason.
            if pump.error is not None:
                raise pump.error from None
            raise
        _close_writer(stream, theirs, thread, ours)
        if pump.error is not None:
            raise pump.error
        self.send_frame(frames.KIND_END)

    @contextmanager
    def image_reader(self) -> Iterator[BinaryIO]:
        """A file for the backend's ``restore``, fed from ``D`` frames
        until ``E``; raises if the image did not arrive whole."""
        if self.can_splice():
            with self._splice_reader() as stream:
                yield stream
            return
        ours, theirs = socket.socketpair()
        pump = _Pump(self, None)
        thread = threading.Thread(target=pump.receive_into, args=(ours,),
                                  name="xend-migrate-receive", daemon=True)
        thread.start()
        stream = cast(BinaryIO, socket.SocketIO(theirs, "rb"))
        try:
            yield stream
        except BaseException:
            stream.close()
            theirs.close()      # a pump still writing gets EPIPE and stops
            thread.join()
            ours.close()
            if pump.error is not None:
                raise pump.error from None
            raise
        stream.close()
        theirs.close()
        thread.join()
        ours.close()
        if pump.error is not None:
            raise pump.error
        if not pump.ended:
            raise ProtocolError(f"the image did not end where the "
                                f"backend stopped reading (from {self.peer})")


    def can_splice(self) -> bool:
        """Plain TCP (or any kernel socket): the zero-copy pumps."""
        return zerocopy.available() and \
            not isinstance(self.sock, ssl.SSLSocket)

    @contextmanager
    def _splice_writer(self, progress: Progress | None
                       ) -> Iterator[BinaryIO]:
        rfd, wfd = zerocopy.image_pipe(PIECE)
        pump = zerocopy.SplicePump(self, PIECE, progress)
        thread = threading.Thread(target=pump.send_from, args=(rfd,),
                                  name="xend-migrate-send", daemon=True)
        thread.start()
        stream = cast(BinaryIO, open(wfd, "wb", buffering=PIECE,
                                     closefd=True))
        try:
            yield stream
            stream.flush()
        except BaseException:
            _close_quietly(stream)
            thread.join()
            if pump.error is not None:
                raise pump.error from None
            raise
        _close_quietly(stream)
        thread.join()
        if pump.error is not None:
            raise pump.error
        self.send_frame(frames.KIND_END)

    @contextmanager
    def _splice_reader(self) -> Iterator[BinaryIO]:
        rfd, wfd = zerocopy.image_pipe(PIECE)
        pump = zerocopy.SplicePump(self, PIECE)
        thread = threading.Thread(target=pump.receive_into, args=(wfd,),
                                  name="xend-migrate-receive", daemon=True)
        thread.start()
        # Unbuffered: libxl reads the fd itself, from where we stopped.
        stream = cast(BinaryIO, open(rfd, "rb", buffering=0, closefd=True))
        try:
            yield stream
        except BaseException:
            stream.close()      # a pump still writing gets EPIPE and stops
            thread.join()
            if pump.error is not None:
                raise pump.error from None
            raise
        stream.close()
        thread.join()
        if pump.error is not None:
            raise pump.error
        if not pump.ended:
            raise ProtocolError(f"the image did not end where the "
                                f"backend stopped reading (from {self.peer})")


def _close_quietly(stream: BinaryIO) -> None:
    try:
        stream.close()
    except OSError:
        pass            # the pump stopped: its error says why


def _close_writer(stream: BinaryIO, theirs: socket.socket,
                  thread: threading.Thread, ours: socket.socket) -> None:
    try:
        stream.close()
    except OSError:
        pass            # the pump stopped: its error says why
    theirs.close()
    thread.join()
    ours.close()


class _Pump:
    def __init__(self, channel: Channel, progress: Progress | None) -> None:
        self.channel = channel
        self.progress = progress
        self.error: XendError | None = None
        self.ended = False
        self.bytes = 0

    def send_from(self, local: socket.socket) -> None:
        start = time.monotonic()
        try:
            while True:
                data = local.recv(PIECE)
                if not data:
                    return
                self.channel.send_frame(frames.KIND_DATA, data)
                self.bytes += len(data)
                if self.progress is not None:
                    elapsed = max(time.monotonic() - start, 1e-6)
                    self.progress({"image_sent": self.bytes,
                                   "rate": int(self.bytes / elapsed)})
        except XendError as exc:
            self.error = exc
        except OSError as exc:
            self.error = self.channel.lost(exc)
        finally:
            # Closing our end makes the backend's next write fail (EPIPE)
            # instead of blocking on a pump that stopped.
            local.close()

    def receive_into(self, local: socket.socket) -> None:
        try:
            while True:
                kind, payload = self.channel.read_frame()
                if kind == frames.KIND_END:
                    self.ended = True
                    return
                if kind != frames.KIND_DATA:
                    if kind == frames.KIND_MESSAGE:
                        self.channel.decode_message(payload)
                    raise ProtocolError(
                        f"unexpected frame in the image (from "
                        f"{self.channel.peer})")
                local.sendall(payload)
                self.bytes += len(payload)
        except XendError as exc:
            self.error = exc
        except OSError:
            # The backend stopped reading (it failed, and says why).
            pass
        finally:
            try:
                local.shutdown(socket.SHUT_WR)
            except OSError:
                pass
