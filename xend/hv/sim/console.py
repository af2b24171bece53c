"""Guest consoles: a real pseudo-terminal per domain, opened on demand.

``console_path`` allocates a pty pair with :func:`os.openpty` the first time
it is asked for a domain, writes a short boot banner into it (what a console
client attaching to a fresh guest would see) and returns the slave's path,
as xenconsoled's ``console/tty`` would.  The master stays open in this
process until the domain dies; what a client types is simply discarded.
Ptys do not survive a restart of the process: a new one is allocated then.
"""

from __future__ import annotations

import os

from xend.errors import NotSupported


class Consoles:
    def __init__(self) -> None:
        self._ptys: dict[int, tuple[int, int, str]] = {}

    def path(self, domid: int, banner: str) -> tuple[str, bool]:
        """The domain's pty path, and whether it was just allocated."""
        if domid in self._ptys:
            return self._ptys[domid][2], False
        try:
            master, slave = os.openpty()
        except OSError as exc:
            raise NotSupported(f"cannot allocate a console pty: {exc}") \
                from exc
        path = os.ttyname(slave)
        os.set_blocking(master, False)
        try:
            os.write(master, banner.encode())
        except OSError:
            pass    # a full pty buffer only loses the banner
        self._ptys[domid] = (master, slave, path)
        return path, True

    def release(self, domid: int) -> None:
        fds = self._ptys.pop(domid, None)
        if fds:
            for fd in fds[:2]:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def close(self) -> None:
        for domid in list(self._ptys):
            self.release(domid)
