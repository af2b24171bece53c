"""Domain commands that are one RPC each (destroy, pause, domstate, ...).

Each handler is thin: its arguments are already parsed by the command
table, it makes one call to xend and prints what xm 4.4 printed (mostly
nothing).  Errors propagate to :mod:`xm.errors`.  ``start`` may then
attach the console (``-c``) or start a VNC viewer (``--vncviewer``), as
``create`` does.
"""

from __future__ import annotations

import os

from xm.context import XmContext
from xm.errors import XmUsageError


def destroy(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.destroy", dom)


def pause(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.pause", dom)


def unpause(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.unpause", dom)


def reset(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.reset", dom)


def rename(xm: XmContext, dom: str, new_name: str) -> None:
    xm.call("xend.domain.setName", dom, new_name)


def sysrq(xm: XmContext, dom: str, letter: str) -> None:
    xm.call("xend.domain.send_sysrq", dom, letter)


def trigger(xm: XmContext, dom: str, trigger: str, vcpu: int | None) -> None:
    xm.call("xend.domain.send_trigger", dom, trigger,
            0 if vcpu is None else vcpu)


def delete(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.delete", dom)


def start(xm: XmContext, dom: str, paused: bool, console_autoconnect: bool,
          vncviewer: bool, vncviewer_autopass: bool) -> None:
    viewer = None
    if (vncviewer or vncviewer_autopass) and not xm.dry_run:
        from xm.cmd_vncviewer import viewer_program
        viewer = viewer_program()       # no viewer: start nothing
    xm.call("xend.domain.start", dom, paused)
    if viewer is not None:
        from xm.cmd_vncviewer import start_viewer_after
        start_viewer_after(xm, dom, vncviewer_autopass, viewer)
    if console_autoconnect and not xm.dry_run:
        # As xm create -c: the console of the domain just started.
        from xm.cmd_console import attach_console
        attach_console(xm, dom)


def suspend(xm: XmContext, dom: str) -> None:
    xm.call("xend.domain.suspend", dom)


def resume(xm: XmContext, dom: str, paused: bool) -> None:
    xm.call("xend.domain.resume", dom, paused)


def domid(xm: XmContext, dom: str) -> None:
    rec = xm.call("xend.domain", dom)
    # An inactive managed domain has no id; 4.4 printed Python's None.
    xm.echo(str(rec.get("domid")))


def domname(xm: XmContext, dom: str) -> None:
    rec = xm.call("xend.domain", dom)
    xm.echo(str(rec.get("name")))


def domstate(xm: XmContext, dom: str) -> None:
    xm.echo(domain_state_word(xm.call("xend.domain", dom)))


def domain_state_word(rec: dict[str, object]) -> str:
    """4.4's word for a record's six-letter state (r b p s c d).

    The flags are looked at in 4.4's order, so a shut-down domain is
    ``shutoff`` and a blocked one ``idle`` whatever else is set; a domain
    that is not running at all (no state) is ``shutoff``.  4.4 tested each
    letter with ``find(c) > 0``, which can never see the ``r`` at
    position 0, and so printed nothing for a running domain; here it is
    ``running``, as is ``------`` (runnable, between time slices)."""
    state = str(rec.get("state") or "")
    if not state:
        return "shutoff"
    flags = set(state.replace("-", ""))
    for flag, word in (("s", "shutoff"), ("b", "idle"), ("d", "shutdown"),
                       ("r", "running"), ("c", "crashed")):
        if flag in flags:
            return word
    if "p" in flags:
        return "paused by admin" if rec.get("paused_by_admin") else "paused"
    return "running"


def dump_core(xm: XmContext, dom: str, filename: str | None, live: bool,
              crash: bool, reset: bool) -> None:
    if crash and reset:
        raise XmUsageError("You may not specify more than one '-CR' option")
    path = os.path.abspath(filename) if filename else None
    if not xm.dry_run:          # xm -N prints only the request
        xm.echo(f"Dumping core of domain: {dom} ...")
    xm.call("xend.domain.dump", dom, path, live, crash, reset)
