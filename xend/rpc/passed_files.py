"""Descriptors a client passed with a request: check them, always close them.

A save or restore handler owns the descriptor it was given.  Before using it
we check that it can do what the request needs (not a directory, open for
writing or reading), so the user gets one clear line ("/tmp is a
directory") instead of an ``IsADirectoryError`` from deep inside, and the
descriptor is closed on every path, failed or not.
"""

from __future__ import annotations

import fcntl
import functools
import os
import stat
from contextlib import contextmanager
from typing import BinaryIO, Callable, Iterator

from xend.errors import InvalidArgument


def describe(fd: int) -> str:
    """The path the descriptor refers to, for messages."""
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "the passed file"
    return target if target.startswith("/") else "the passed file"


def check(fd: int, writing: bool) -> None:
    try:
        st = os.fstat(fd)
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError as exc:
        raise InvalidArgument(f"the passed file is unusable: "
                              f"{exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InvalidArgument(f"{describe(fd)} is a directory")
    mode = flags & os.O_ACCMODE
    path_only = getattr(os, "O_PATH", 0)
    if path_only and flags & path_only:
        mode = -1
    if writing and mode not in (os.O_WRONLY, os.O_RDWR):
        raise InvalidArgument(f"{describe(fd)} is not open for writing")
    if not writing and mode not in (os.O_RDONLY, os.O_RDWR):
        raise InvalidArgument(f"{describe(fd)} is not open for reading")


def _close_quietly(closers: list[Callable[[], object]]) -> None:
    for close in closers:
        try:
            close()
        except OSError:
            pass        # the operation reported its own write errors


@contextmanager
def passed_stream(fds: list[int], writing: bool) -> Iterator[BinaryIO]:
    """A file object on the first passed descriptor; every descriptor is
    closed when the block ends, however it ends."""
    try:
        fd = fds[0]
        check(fd, writing)
        stream = os.fdopen(fd, "wb" if writing else "rb", closefd=False)
        try:
            yield stream
        finally:
            _close_quietly([stream.close])
    finally:
        _close_quietly([functools.partial(os.close, fd) for fd in fds])


@contextmanager
def xl_streams(fds: list[int]) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """(read, write) file objects on the two passed descriptors of an xl
    migration (a pipe or socket each way).  The reader is unbuffered: the
    backend reads the image from its descriptor, after the header, and a
    buffer would have swallowed the start of it."""
    try:
        check(fds[0], writing=False)
        check(fds[1], writing=True)
        rstream = os.fdopen(fds[0], "rb", buffering=0, closefd=False)
        wstream = os.fdopen(fds[1], "wb", closefd=False)
        try:
            yield rstream, wstream      # type: ignore[misc]
        finally:
            _close_quietly([wstream.close, rstream.close])
    finally:
        _close_quietly([functools.partial(os.close, fd) for fd in fds])
