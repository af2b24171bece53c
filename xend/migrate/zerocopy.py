"""The image pumps of a plain-TCP relocation connection, without copies.

The backend (libxl's save helper, or the simulator) writes its image into a
pipe, and the sending pump moves it from the pipe to the socket with
splice(2), one ``D`` frame per move: the bytes never come up into Python.
The receiving pump splices each ``D`` frame's payload from the socket into
the pipe the backend restores from.  Under QEMU's emulation every copy of a
128 MiB image costs a fraction of a second, and the socket-pair pumps of
:mod:`.channel` made six of them (measured in the lab: the image took 4.2 s
to cross against xl's 2.6 s).  TLS sockets cannot splice: they keep the
copying pumps.

The pumps own their end of the pipe and close it when they stop, so that a
backend blocked on the other end sees EOF (receiving) or EPIPE (sending).
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
import struct
import termios
import time
from typing import TYPE_CHECKING, Any, Callable

from xend.errors import ProtocolError, XendError
from xend.migrate import frames

if TYPE_CHECKING:
    from xend.migrate.channel import Channel

F_SETPIPE_SZ = 1031             # linux/fcntl.h
Progress = Callable[[dict[str, Any]], None]


def available() -> bool:
    return hasattr(os, "splice")


def image_pipe(piece: int) -> tuple[int, int]:
    """A pipe (read end, write end; both close-on-exec) that holds one
    frame's worth when the kernel lets it."""
    rfd, wfd = os.pipe()
    try:
        fcntl.fcntl(wfd, F_SETPIPE_SZ, piece)
    except OSError:
        pass                    # the default 64 KiB: smaller frames
    return rfd, wfd


def _wait(fd: int, events: int, timeout: float | None) -> None:
    poller = select.poll()
    poller.register(fd, events)
    if not poller.poll(None if timeout is None else int(timeout * 1000)):
        raise socket.timeout("timed out")


class SplicePump:
    """One direction of the image on ``channel``'s socket."""

    def __init__(self, channel: "Channel", piece: int,
                 progress: Progress | None = None) -> None:
        self.channel = channel
        self.piece = piece
        self.progress = progress
        self.error: XendError | None = None
        self.ended = False
        self.bytes = 0

    # -- sending: pipe -> D frames -----------------------------------------------
    def send_from(self, rfd: int) -> None:
        channel = self.channel
        sfd = channel.sock.fileno()
        timeout = channel.sock.gettimeout()
        count = bytearray(4)
        poller = select.poll()
        poller.register(rfd, select.POLLIN)
        start = time.monotonic()
        try:
            while True:
                events = poller.poll()
                fcntl.ioctl(rfd, termios.FIONREAD, count)
                n = min(struct.unpack("=i", count)[0], self.piece)
                if n <= 0:
                    if any(ev & (select.POLLHUP | select.POLLERR)
                           for _, ev in events):
                        return          # the backend closed: all sent
                    continue
                channel.send(frames.HEAD.pack(frames.KIND_DATA, n))
                self._splice(rfd, sfd, n, select.POLLOUT, timeout)
                channel.sent += n
                self.bytes += n
                if self.progress is not None:
                    elapsed = max(time.monotonic() - start, 1e-6)
                    self.progress({"image_sent": self.bytes,
                                   "rate": int(self.bytes / elapsed)})
        except XendError as exc:
            self.error = exc
        except OSError as exc:
            self.error = channel.lost(exc)
        finally:
            os.close(rfd)       # the backend's next write fails (EPIPE)

    # -- receiving: D frames -> pipe ---------------------------------------------
    def receive_into(self, wfd: int) -> None:
        channel = self.channel
        sfd = channel.sock.fileno()
        timeout = channel.sock.gettimeout()
        try:
            while True:
                try:
                    kind, length = frames.parse_head(
                        channel.recv_exact(frames.HEAD.size))
                except frames.FrameError as exc:
                    raise ProtocolError(f"{exc} (from {channel.peer})") \
                        from None
                if kind == frames.KIND_END:
                    self.ended = True
                    return
                if kind != frames.KIND_DATA:
                    payload = channel.recv_exact(length)
                    if kind == frames.KIND_MESSAGE:
                        channel.decode_message(payload)
                    raise ProtocolError(f"unexpected frame in the image "
                                        f"(from {channel.peer})")
                try:
                    self._splice(sfd, wfd, length, select.POLLIN, timeout)
                except OSError as exc:
                    if exc.errno == errno.EPIPE:
                        return  # the backend stopped reading (it says why)
                    raise channel.lost(exc) from None
                channel.received += length
                self.bytes += length
        except XendError as exc:
            self.error = exc
        finally:
            os.close(wfd)       # EOF for the backend

    def _splice(self, src: int, dst: int, n: int, sock_events: int,
                timeout: float | None) -> None:
        """Move exactly ``n`` bytes; the socket side is non-blocking (it
        has a timeout), so wait on it, within the channel's timeout."""
        sfd = self.channel.sock.fileno()
        left = n
        while left:
            try:
                moved = os.splice(src, dst, left)
            except BlockingIOError:
                _wait(sfd, sock_events, timeout)
                continue
            if moved == 0:
                raise self.channel.lost("closed by the peer")
            left -= moved
