"""Free-space check before a backend writes a large file (a core dump).

A dump that runs out of disk half way leaves a useless partial file and,
with libxl, only a log line saying why.  Checking the file system's free
space first turns that into one clear error before anything is written.
"""

from __future__ import annotations

import os

from xend.errors import StorageError

MiB = 1 << 20


def check_room(path: str, need_bytes: int) -> None:
    """StorageError unless the file system holding ``path`` (a file that
    may not exist yet) has ``need_bytes`` free for an unprivileged
    writer's share plus the root reserve, i.e. what root can still
    write."""
    directory = os.path.dirname(os.path.abspath(path)) or "/"
    try:
        st = os.statvfs(directory)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: "
                           f"{exc.strerror or exc}") from None
    free = st.f_bfree * st.f_frsize     # xend runs as root: the reserve too
    if free < need_bytes:
        raise StorageError(
            f"not enough disk space for {path}: it needs "
            f"{_mib(need_bytes)} MiB, {directory} has {_mib(free)} MiB free")


def _mib(size: int) -> str:
    return f"{size / MiB:.1f}" if size < 10 * MiB else str(size // MiB)
