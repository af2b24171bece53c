"""``xm save`` and ``xm restore``: xm opens the image file, xend gets the fd.

xm opens the file itself, with the caller's permissions and working
directory, and passes the open descriptor to xend with the request
(SCM_RIGHTS).  So relative paths work, and a user can only save into or
restore from files they may access themselves.  ``save`` passes a
``.tmp-<name>.XXXXXX`` file created next to the target, and both paths:
xend renames it onto the target once the image is complete.

``xm save --xl`` asks for xl's file format (``xl restore`` reads it);
``xm restore`` takes files of either format, from ``xm save`` or
``xl save``.
"""

from __future__ import annotations

import os
import tempfile

from xend.errors import ConnectionFailed, ProtocolError, XendError
from xm.context import XmContext
from xm.errors import XmFailure
from xm.progress import Progress


def save(xm: XmContext, dom: str, path: str, checkpoint: bool,
         xl: bool = False) -> None:
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise XmFailure(f"xm save: {target} is a directory")
    directory, name = os.path.split(target)
    try:
        # xend writes the temp file and renames it onto the target only
        # when the image is complete: the target is never half written.
        fd, temp = tempfile.mkstemp(prefix=f".tmp-{name}.", dir=directory)
    except OSError:
        raise XmFailure(f"xm save: Unable to create file {target}") from None
    try:
        with Progress(f"Saving domain {dom} ...", xm.err, xm.interactive()):
            # the format only when asked: the default request is the one
            # every xend understands
            fmt = ("xl",) if xl else ()
            xm.call("xend.domain.save", dom, checkpoint, target, temp, *fmt,
                    fds=[fd])
    except (ConnectionFailed, ProtocolError, KeyboardInterrupt):
        # xend may still be saving: it renames the temp file when done,
        # or removes it (at the latest when it starts again).
        raise
    except BaseException:
        # xend refused or failed (and removed the temp file itself).
        _unlink_quietly(temp)
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
    if os.path.isdir(source):          # opening a directory would succeed
        raise XmFailure(f"xm restore: {source} is a directory")
    try:
        fd = os.open(source, os.O_RDONLY)
    except OSError:
        raise XmFailure(f"xm restore: Unable to read file {source}") from None
    try:
        with Progress(f"Restoring {source} ...", xm.err, xm.interactive()):
            xm.call("xend.domain.restore", paused, fds=[fd])
    finally:
        os.close(fd)
