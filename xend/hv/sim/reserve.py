"""Disk space kept aside so the simulator can always record a freeing change.

The simulator's state file stands for the hypervisor's memory.  On a full
disk a destroy must still be recorded, or a restarted xend would find the
destroyed domain again.  A :class:`SpaceReserve` is a preallocated file in
the state directory: when a write fails for lack of space, the reserve is
given up and the write tried once more; it is taken again after the next
write that succeeds.
"""

from __future__ import annotations

import errno
import logging
import os

log = logging.getLogger(__name__)

RESERVE_BYTES = 1 << 20        # far above the state of any freeing change


class SpaceReserve:
    def __init__(self, directory: str, size: int = RESERVE_BYTES) -> None:
        self.path = os.path.join(directory, ".space-reserve")
        self.size = size
        self.held = False

    def take(self) -> None:
        """Hold the reserve if the disk has room for it; quiet if not."""
        if self.held:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            log.debug("simulator: no space reserve: %s", exc)
            return
        try:
            os.posix_fallocate(fd, 0, self.size)
            self.held = True
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EOPNOTSUPP, errno.EINVAL):
                log.warning("simulator: space reserve %s: %s", self.path, exc)
            self._unlink()
        finally:
            os.close(fd)

    def give_up(self) -> bool:
        """Free the reserve's space; True if there was any to free."""
        if not self.held:
            return False
        self.held = False
        return self._unlink()

    def _unlink(self) -> bool:
        try:
            os.unlink(self.path)
            return True
        except OSError:
            return False
