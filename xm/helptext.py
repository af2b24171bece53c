"""xm's help screens, generated from the command table (pure functions).

The layouts are xm 4.4's: rows ``' %-20s %-50s'`` in the short and long
help, ``'  %-30s %-43s'`` for a command's options, and 4.4's own naive word
wrapping (reproduced by :func:`wrap`, because its line breaks differ from
:mod:`textwrap`'s).
"""

from __future__ import annotations

from typing import Iterable

from xm.spec import Command

USAGE_HELP = ("Usage: xm <subcommand> [args]\n\n"
              "Control, list, and manipulate Xen guest instances.\n")

USAGE_FOOTER = ("<Domain> can either be the Domain Name or Id.\n"
                "For more help on 'xm' see the xm(1) man page.\n"
                "For more help on 'xm create' see the xmdomain.cfg(5) "
                " man page.\n")

DRY_RUN_NOTE = ("'xm -N <subcommand> [args]' prints the requests that would "
                "change something instead of sending them.\n")

# The order of the long help, as in 4.4 (domain, host, scheduler, ...).
GROUPS = ("domain", "host", "scheduler", "device")


def _line_wrap(text: str, width: int) -> list[str]:
    lines = []
    current = ""
    for word in text.strip().split():
        if len(current) + len(word) + 1 < width:
            current += word + " "
        else:
            lines.append(current.strip())
            current = word + " "
    if current:
        lines.append(current.strip())
    return lines


def wrap(text: str, width: int = 70) -> list[str]:
    """xm 4.4's ``opts.wrap``: short text unchanged, else greedy by words."""
    if len(text) < width:
        return [text]
    lines: list[str] = []
    for line in text.split("\n"):
        lines += _line_wrap(line, width)
    return lines


def _rows(commands: Iterable[Command]) -> list[str]:
    out = []
    for cmd in commands:
        desc = wrap(cmd.summary, 50)
        out.append(" %-20s %-50s" % (cmd.name, desc[0]))
        out.extend(" " * 22 + line for line in desc[1:])
    return out


def short_help(commands: Iterable[Command]) -> str:
    """``xm`` without arguments: the essential commands."""
    lines = [USAGE_HELP, "Common 'xm' commands:\n"]
    lines += _rows(c for c in commands if c.essential)
    lines += ["", USAGE_FOOTER,
              "For a complete list of subcommands run 'xm help'."]
    return "\n".join(lines) + "\n"


def long_help(commands: Iterable[Command]) -> str:
    """``xm help``: every command, grouped."""
    commands = list(commands)
    ordered = [c for g in GROUPS for c in commands if c.group == g]
    ordered += [c for c in commands
                if c.group and c.group not in GROUPS]
    lines = [USAGE_HELP, "xm full list of subcommands:\n"]
    lines += _rows(ordered)
    lines += ["", USAGE_FOOTER, DRY_RUN_NOTE]
    return "\n".join(lines) + "\n"


def command_help(cmd: Command) -> str:
    """``xm NAME -h``: usage line, description, options table."""
    lines = [f"Usage: xm {cmd.name} {cmd.usage}", "", cmd.summary]
    if cmd.options:
        for opt in cmd.options:
            desc = wrap(opt.help, 43)
            lines.append("  %-30s %-43s" % (opt.help_label(), desc[0]))
            lines.extend(" " * 33 + line for line in desc[1:])
        lines.append("")
    if cmd.extra_help:
        lines.append(cmd.extra_help.rstrip("\n"))
    return "\n".join(lines) + "\n"
