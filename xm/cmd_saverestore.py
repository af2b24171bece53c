"""``xm save`` and ``xm restore``: xm opens the image file, xend gets the fd.

xm opens the file itself, with the caller's permissions and working
directory, and passes the open descriptor to xend with the request
(SCM_RIGHTS).  So relative paths work, and a user can only save into or
restore from files they may access themselves.
"""

from __future__ import annotations

import os

from xend.errors import ConnectionFailed, ProtocolError, XendError
from xm.context import XmContext
from xm.errors import XmFailure
from xm.progress import Progress


def save(xm: XmContext, dom: str, path: str, checkpoint: bool) -> None:
    target = os.path.abspath(path)
    existed = os.path.exists(target)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        raise XmFailure(f"xm save: Unable to create file {target}") from None
    try:
        with Progress(f"Saving domain {dom} ...", xm.err, xm.interactive()):
            xm.call("xend.domain.save", dom, checkpoint, fds=[fd])
    except (ConnectionFailed, ProtocolError):
        raise       # xend may still be saving into the file: keep it
    except XendError:
        # xend refused or failed: leave no empty or partial image behind
        # for xendomains to trip over (but never remove the user's file).
        if not existed:
            _unlink_quietly(target)
        raise
    finally:
        os.close(fd)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def restore(xm: XmContext, path: str, paused: bool) -> None:
    source = os.path.abspath(path)
    try:
        if os.path.isdir(source):      # opening a directory would succeed
            raise IsADirectoryError(source)
        fd = os.open(source, os.O_RDONLY)
    except OSError:
        raise XmFailure(f"xm restore: Unable to read file {source}") from None
    try:
        with Progress(f"Restoring {source} ...", xm.err, xm.interactive()):
            xm.call("xend.domain.restore", paused, fds=[fd])
    finally:
        os.close(fd)
