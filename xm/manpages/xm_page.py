"""xm(1), written from the command table (the source of ``xm help``).

Every command of :data:`xm.commands.COMMANDS` gets an entry in its help
group, in the order of the long help: usage, 4.4 summary, options with their
help text, the text ``xm NAME -h`` prints after them, and deprecated
aliases.  A command reached through another's flag (``migrate --xl``) is
described under that command.
"""

from __future__ import annotations

from typing import Iterable

from xm.helptext import GROUPS
from xm.manpages.roff import Page, bold, escape
from xm.spec import Command, Opt

GROUP_TITLES = {"domain": "Domain commands", "host": "Host commands",
                "scheduler": "Scheduler commands",
                "device": "Device commands"}


def _option_label(opt: Opt) -> str:
    parts = []
    if opt.short:
        parts.append(bold(f"-{opt.short}") +
                     (f" {escape(opt.metavar)}" if opt.metavar else ""))
    if opt.long:
        parts.append(bold(f"--{opt.long}") +
                     (f"={escape(opt.metavar)}" if opt.metavar else ""))
    return ", ".join(parts)


def _options(page: Page, options: Iterable[Opt]) -> None:
    options = list(options)
    if not options:
        return
    page.indent()
    for opt in options:
        page.item(_option_label(opt), opt.help)
    page.dedent()


def _extra_help(page: Page, text: str) -> None:
    """Paragraphs are filled; a paragraph whose later lines are indented
    (examples) keeps its lines."""
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith(" ") for line in lines[1:]):
            page.raw(".IP", ".nf", escape(block), ".fi")
        else:
            page.item_para(" ".join(block.split()))


def _command(page: Page, cmd: Command, by_name: dict[str, Command]) -> None:
    usage = f" {escape(cmd.usage)}" if cmd.usage else ""
    page.item(bold(f"xm {cmd.name}") + usage, cmd.summary)
    _options(page, cmd.options)
    if cmd.extra_help:
        _extra_help(page, cmd.extra_help)
    if cmd.variant:
        flag, other_name = cmd.variant
        other = by_name[other_name]
        page.raw(".IP", bold(f"xm {cmd.name} {other.usage}"),
                 ".br", escape(other.summary))
        _options(page, (o for o in other.options if o.long != flag[2:]))
    if cmd.aliases:
        names = ", ".join(cmd.aliases)
        page.item_para(f"Deprecated name{'s' if len(cmd.aliases) > 1 else ''}"
                       f": {names}.")


def ordered(commands: Iterable[Command]) -> list[tuple[str, list[Command]]]:
    """(group, commands) in the long help's order; the commands reached
    through another's flag are left out (their host describes them)."""
    commands = list(commands)
    variants = {c.variant[1] for c in commands if c.variant}
    groups = list(GROUPS) + sorted({c.group for c in commands
                                    if c.group not in GROUPS})
    out = []
    for group in groups:
        members = [c for c in commands
                   if c.group == group and c.name not in variants]
        if members:
            out.append((group, members))
    return out


def xm_page(commands: tuple[Command, ...]) -> Page:
    by_name = {c.name: c for c in commands}
    page = Page("xm", 1, "Xen management user interface")
    page.section_head("synopsis")
    page.raw(f"{bold('xm')} [{bold('-N')}] \\fIsubcommand\\fR [\\fIargs\\fR]")
    page.section_head("description")
    page.para("xm manages Xen guest domains through the xend daemon (see "
              "xend(8)): it creates, lists, saves, migrates and destroys "
              "them, and changes their memory, CPUs and devices.  Most "
              "commands need root.")
    page.para("<Domain> is a domain name or id.  A subcommand may be "
              "abbreviated to any unique prefix of at least two letters.  "
              "xm -h, xm help and xm SUBCOMMAND -h print the same "
              "descriptions as this page.")
    page.section_head("options")
    page.item(bold("-N"), "Dry run: print the requests that would change "
              "something instead of sending them.")
    page.item(bold("-h") + ", " + bold("--help"),
              "Print the list of subcommands (after a subcommand: its "
              "help).")
    page.section_head("subcommands")
    for group, members in ordered(commands):
        page.sub_head(GROUP_TITLES.get(group, "Other commands"
                                       if not group else group.title()))
        for cmd in members:
            _command(page, cmd, by_name)
    page.section_head("environment")
    page.item(bold("XM_SERVER"), "unix:///PATH: the socket of the xend to "
              "talk to (default: xend's configured xend-rpc-socket, "
              "/run/xend/xend.sock).")
    page.section_head("exit status")
    page.item(bold("0"), "Success.")
    page.item(bold("1"), "An error: one line \"Error: ...\" on standard "
              "error (after a mistake on the command line, the "
              "subcommand's usage too).")
    page.item(bold("3"), "The domain does not exist.")
    page.see_also("xend(8)", "xmdomain.cfg(5)", "xend-config.sxp(5)",
                  "xendomains(8)")
    return page
