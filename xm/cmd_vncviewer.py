"""``xm vncviewer`` and ``--vncviewer`` of create/start: a VNC viewer on a
domain's display.

xend says where the domain's VNC server listens
(``xend.domain.getVncDisplay``, from the ``console/vnc-*`` keys libxl
writes); xm runs ``vncviewer HOST:DISPLAY`` - or ``$VNCVIEWER``, as
``xl vncviewer`` allows.  With ``--autopass`` the password goes to the
viewer on its stdin (an unlinked temp file, never the command line) and
``-autopass`` tells it to read it there, as in 4.4.

``xm vncviewer`` replaces xm with the viewer (4.4 exec'd it too); after
``xm create --vncviewer`` or ``xm start --vncviewer`` the viewer is
started in the background, in a session of its own, and xm goes on (to
the console with ``-c``) - 4.4 daemonized it.  Those two commands check
for the viewer before they create anything; a domain that turns out to
have no VNC display gets one ``Warning:`` line and the command still
succeeds, since the domain is running.

Deliberate differences from 4.4: its ``xm create --vncviewer`` did
nothing (the switch shared its name with the deprecated ``vncviewer``
variable; only ``vncconsole=1`` started a viewer), and
``--vncviewer-autopass`` alone did nothing; here both switches start the
viewer.  4.4 waited up to 10 s for the port to appear; libxl has written
it by the time the create returns.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from xend.errors import XendError
from xm.context import XmContext
from xm.errors import XmFailure

DEFAULT_VIEWER = "vncviewer"


def viewer_program() -> str:
    """The viewer's path: ``$VNCVIEWER`` or ``vncviewer``, found in PATH;
    XmFailure (one line) when it is not there."""
    name = os.environ.get("VNCVIEWER") or DEFAULT_VIEWER
    import shutil
    found = shutil.which(name)
    if found is None:
        raise XmFailure(f"{name} is not installed (not found in PATH): "
                        "install a VNC viewer or set VNCVIEWER")
    return found


def viewer_command(program: str, display: dict[str, Any],
                   autopass: bool) -> list[str]:
    """``[program, ('-autopass',) 'HOST:DISPLAY']`` (4.4's order)."""
    argv = [program]
    if autopass and display.get("password"):
        argv.append("-autopass")
    argv.append(f"{display['listen']}:{display['display']}")
    return argv


def _password_file(password: str) -> int:
    """A descriptor on an unlinked temp file holding the password."""
    import tempfile
    handle = tempfile.TemporaryFile()
    fd = os.dup(handle.fileno())
    handle.close()
    os.write(fd, password.encode() + b"\n")
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def exec_viewer(argv: list[str], stdin_fd: int | None) -> None:
    """Replace xm by the viewer (its stdin: the password file, if any)."""
    if stdin_fd is not None:
        os.dup2(stdin_fd, 0)
    try:
        os.execv(argv[0], argv)
    except OSError as exc:
        raise XmFailure(f"Cannot run {argv[0]}: {exc.strerror}") from None


def spawn_viewer(argv: list[str], stdin_fd: int | None) -> None:
    """Start the viewer detached from xm and its terminal."""
    import subprocess
    try:
        subprocess.Popen(argv, stdin=subprocess.DEVNULL if stdin_fd is None
                         else stdin_fd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise XmFailure(f"Cannot run {argv[0]}: {exc.strerror}") from None


# Replaced by tests: the commands' only contact with a real viewer.
EXEC: Callable[[list[str], int | None], None] = exec_viewer
SPAWN: Callable[[list[str], int | None], None] = spawn_viewer


def _run(xm: XmContext, program: str, dom: str | int, autopass: bool,
         start: Callable[[list[str], int | None], None]) -> None:
    display = xm.call("xend.domain.getVncDisplay", dom, autopass)
    argv = viewer_command(program, display, autopass)
    fd = _password_file(display["password"]) if "-autopass" in argv \
        else None
    try:
        xm.out.flush()
        start(argv, fd)
    finally:
        if fd is not None:
            os.close(fd)


def vncviewer(xm: XmContext, dom: str, autopass: bool,
              vncviewer_autopass: bool) -> None:
    _run(xm, viewer_program(), dom, autopass or vncviewer_autopass, EXEC)


def start_viewer_after(xm: XmContext, dom: str | int, autopass: bool,
                       program: str) -> None:
    """The viewer for a domain just created or started, in the
    background; a domain without a display gets a warning, not an error
    (it is running all the same)."""
    try:
        _run(xm, program, dom, autopass, SPAWN)
    except (XendError, XmFailure) as exc:
        xm.err.write(f"Warning: no VNC viewer started: {exc}\n")
