"""Domain lifecycle commands that are one RPC each (destroy, pause, ...).

Each handler is thin: its arguments are already parsed by the command
table, it makes one call to xend and prints what xm 4.4 printed (mostly
nothing).  Errors propagate to :mod:`xm.errors`.
"""

from __future__ import annotations

from xm.context import XmContext


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


def start(xm: XmContext, dom: str, paused: bool) -> None:
    xm.call("xend.domain.start", dom, paused)


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
