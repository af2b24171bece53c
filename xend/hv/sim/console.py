"""Guest consoles: a real pseudo-terminal per domain, opened on demand.

``console_path`` allocates a pty pair with :func:`os.openpty` the first time
it is asked for a domain, writes a short boot banner into it (what a console
client attaching to a fresh guest would see) and returns the slave's path,
as xenconsoled's ``console/tty`` would.  The slave is put in raw mode, as
xenconsoled does, so a client reads the guest's bytes unchanged.

The simulated guest behind the master is a tiny line echo: it echoes what a
client types (as a terminal would), and answers each line with the line
itself and a new prompt, so a console client can be tested end to end.  One
daemon thread serves every console; it never blocks on a pty (the masters
are non-blocking) and a full pty only loses output, as a real guest's
console ring would.  The masters stay open in this process until the domain
dies.  Ptys do not survive a restart of the process: a new one is allocated
then.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from dataclasses import dataclass, field

from xend.errors import NotSupported

_POLL_SECONDS = 0.2


@dataclass
class _Console:
    master: int
    slave: int
    path: str
    prompt: bytes
    line: bytearray = field(default_factory=bytearray)


def _write(fd: int, data: bytes) -> None:
    try:
        os.write(fd, data)
    except OSError:
        pass    # a full pty buffer only loses output


def guest_reply(console: _Console, data: bytes) -> bytes:
    """What the simulated guest writes back for the bytes *data*."""
    out = bytearray()
    for byte in data:
        if byte in (0x0D, 0x0A):        # Enter: answer the line
            line = bytes(console.line)
            console.line.clear()
            out += b"\r\n" + (line + b"\r\n" if line else b"")
            out += console.prompt
        elif byte in (0x7F, 0x08):      # erase one character
            if console.line:
                console.line.pop()
                out += b"\b \b"
        else:
            console.line.append(byte)
            out.append(byte)
    return bytes(out)


class Consoles:
    def __init__(self) -> None:
        self._ptys: dict[int, _Console] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def path(self, domid: int, banner: str) -> tuple[str, bool]:
        """The domain's pty path, and whether it was just allocated.

        The banner's last line (after its last newline) is the guest's
        prompt; its line ends become CR LF, as a serial console sends
        them to a terminal in raw mode."""
        with self._lock:
            if domid in self._ptys:
                return self._ptys[domid].path, False
            try:
                master, slave = os.openpty()
            except OSError as exc:
                raise NotSupported(f"cannot allocate a console pty: {exc}") \
                    from exc
            try:
                tty.setraw(slave)
            except OSError:
                pass
            path = os.ttyname(slave)
            os.set_blocking(master, False)
            text = banner.replace("\r\n", "\n")
            prompt = text.rpartition("\n")[2]
            _write(master, text.replace("\n", "\r\n").encode())
            self._ptys[domid] = _Console(master, slave, path, prompt.encode())
            self._start()
            return path, True

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._serve,
                                            name="sim-consoles", daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                masters = [c.master for c in self._ptys.values()]
            if not masters:
                self._stop.wait(_POLL_SECONDS)
                continue
            try:
                ready, _, _ = select.select(masters, [], [], _POLL_SECONDS)
            except (OSError, ValueError):
                continue        # a console was released meanwhile
            with self._lock:
                # Only fds still ours: a released number may be reused.
                live = {c.master: c for c in self._ptys.values()}
                for fd in ready:
                    console = live.get(fd)
                    if console is None:
                        continue
                    try:
                        data = os.read(fd, 4096)
                    except OSError:
                        continue
                    reply = guest_reply(console, data)
                    if reply:
                        _write(fd, reply)

    def release(self, domid: int) -> None:
        with self._lock:
            console = self._ptys.pop(domid, None)
            if console:
                for fd in (console.master, console.slave):
                    try:
                        os.close(fd)
                    except OSError:
                        pass

    def close(self) -> None:
        for domid in list(self._ptys):
            self.release(domid)
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2 * _POLL_SECONDS + 1)
