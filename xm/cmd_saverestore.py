"""``xm save`` and ``xm restore``: xm opens the image file, xend gets the fd.

xm opens the file itself, with the caller's permissions and working
directory, and passes the open descriptor to xend with the request
(SCM_RIGHTS).  So relative paths work, and a user can only save into or
restore from files they may access themselves.
"""

from __future__ import annotations

import os

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
    ok = False
    try:
        with Progress(f"Saving domain {dom} ...", xm.err, xm.interactive()):
            xm.call("xend.domain.save", dom, checkpoint, fds=[fd])
        ok = True
    finally:
        os.close(fd)
        # Leave no empty image behind for xendomains to trip over.
        if not ok and not existed:
            try:
                os.unlink(target)
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
