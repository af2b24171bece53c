"""Host commands: ``xm info``, ``xm dmesg`` and ``xm log``."""

from __future__ import annotations

from xm import render
from xm.context import XmContext


def info(xm: XmContext) -> None:
    xm.out.write(render.info(xm.call("xend.node.info")))


def dmesg(xm: XmContext, clear: bool) -> None:
    method = "xend.node.dmesg.clear" if clear else "xend.node.dmesg.info"
    # The ring already ends in a newline; 4.4 added none.  (Nothing comes
    # back under xm -N.)
    xm.out.write(str(xm.call(method) or ""))


def log(xm: XmContext) -> None:
    xm.echo(str(xm.call("xend.node.log")))
