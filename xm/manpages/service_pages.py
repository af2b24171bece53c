"""xend(8) and xendomains(8).

xend(8) lists the commands of :data:`xend.daemon.cli.ACTIONS` (the usage
line's source).  xendomains(8) documents every variable of the shipped
``etc/default/xendomains`` from that file itself: each assignment with the
comment above it, grouped under the file's ``## ...`` headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xm.manpages.roff import Page, bold, escape

_ASSIGN = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
_HEADING = re.compile(r"^##\s+(.*?)[\s-]*$")


@dataclass
class Setting:
    name: str
    default: str
    comment: list[str]


@dataclass
class Group:
    title: str
    intro: list[str] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)


def parse_defaults(text: str) -> list[Group]:
    """The groups and settings of a shell defaults file, with comments."""
    groups: list[Group] = []
    pending: list[str] = []
    for line in text.splitlines():
        heading = _HEADING.match(line)
        assign = _ASSIGN.match(line)
        if heading:
            groups.append(Group(heading.group(1)))
            pending = []
        elif line.startswith("#"):
            pending.append(line[2:] if line.startswith("# ") else line[1:])
        elif assign:
            if not groups:
                groups.append(Group("Settings"))
            value = assign.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            groups[-1].settings.append(Setting(assign.group(1), value,
                                               pending))
            pending = []
        elif not line.strip():
            if pending and groups and not groups[-1].settings:
                groups[-1].intro += pending
            pending = []
    return groups


def _comment(page: Page, lines: list[str], tagged: bool) -> None:
    """Comment lines: paragraphs, and indented lines kept as examples."""
    blocks: list[tuple[bool, list[str]]] = []
    for line in lines:
        example = line.startswith("    ")
        if blocks and blocks[-1][0] == example:
            blocks[-1][1].append(line.strip() if example else line)
        else:
            blocks.append((example, [line.strip() if example else line]))
    first = True
    for example, block in blocks:
        if example:
            page.raw(".RS", ".nf", escape("\n".join(block)), ".fi", ".RE")
        elif first and tagged:
            page.raw(escape(" ".join(block)))
        elif tagged:
            page.item_para(" ".join(block))
        else:
            page.para(" ".join(block))
        first = False


def xend_page() -> Page:
    from xend.daemon.cli import ACTIONS
    from xend.daemon.config import DEFAULT_CONFIG, XendConfig
    cfg = XendConfig()
    page = Page("xend", 8, "Xen management daemon (libxl)")
    page.section_head("synopsis")
    page.raw(bold("xend") + " {" + "|".join(bold(a) for a, _ in ACTIONS)
             + "}")
    page.section_head("description")
    page.para("xend manages the Xen domains of this host for xm(1) and "
              "xendomains(8): it creates, saves, restores and migrates them "
              "through libxenlight (libxl), keeps the managed domains "
              "(xm new), restarts domains as their config says, and runs "
              "the relocation server other hosts migrate domains to.  "
              "Where there is no Xen it drives a simulated hypervisor.  "
              "Stopping or restarting xend never touches running domains.")
    page.section_head("commands")
    for name, text in ACTIONS:
        page.item(bold(name), text)
    page.section_head("environment")
    page.item(bold("XEND_CONFIG"), f"The config file (default "
              f"{DEFAULT_CONFIG}).")
    page.section_head("files")
    for path, text in ((DEFAULT_CONFIG, "The configuration, see "
                        "xend-config.sxp(5)."),
                       (cfg.rpc_socket, "The socket xm talks to."),
                       (cfg.pid_file, "xend's process id."),
                       (cfg.domains_path, "Managed domains."),
                       (cfg.state_path, "Runtime records."),
                       (cfg.logfile, "The log.")):
        page.item(bold(path), text)
    page.see_also("xm(1)", "xend-config.sxp(5)", "xendomains(8)")
    return page


def xendomains_page(defaults_text: str) -> Page:
    page = Page("xendomains", 8, "start Xen domains at boot, save or "
                "migrate them at shutdown")
    page.section_head("synopsis")
    page.raw(bold("/etc/init.d/xendomains") + " {" + "|".join(
        bold(a) for a in ("start", "stop", "restart", "reload",
                          "force-reload", "status")) + "}",
             ".br", bold("systemctl") + " {start|stop|status} "
             + bold("xendomains"))
    page.section_head("description")
    page.para("At boot, xendomains start restores the domains saved in "
              "XENDOMAINS_SAVE, removing each image once restored, then "
              "creates the domains whose configs are in XENDOMAINS_AUTO and "
              "that do not run yet: highest priority first, in parallel, "
              "and only as many as the free memory of xm info holds.  "
              "xendomains stop migrates, saves or shuts down every domain "
              "(or only the auto ones), lowest priority first; a step that "
              "hangs is killed after XENDOMAINS_STOP_MAXWAIT seconds.  "
              "Each domain gets one line saying what was done with it.")
    page.para("xendomains status lists the auto domains that run and "
              "those that do not, and any save image left over.")
    page.section_head("configuration")
    page.para("/etc/default/xendomains (/etc/sysconfig/xendomains where "
              "/etc/sysconfig exists), a shell file of these variables; "
              "the defaults shown are the shipped file's.")
    for group in parse_defaults(defaults_text):
        page.sub_head(group.title)
        _comment(page, group.intro, tagged=False)
        for setting in group.settings:
            shown = f'"{setting.default}"' if setting.default == "" or \
                " " in setting.default else setting.default
            page.raw(".TP", bold(setting.name) + "=" + escape(shown))
            _comment(page, setting.comment, tagged=True)
    page.section_head("exit status")
    page.item(bold("0"), "start, stop: every domain was handled.  status: "
              "every auto domain runs and no save image is left.")
    page.item(bold("1"), "start: a domain could not be restored or "
              "started (memory, or its config).  stop: a domain is still "
              "running.  Either: xend cannot be reached.")
    page.item(bold("2"), "Unknown command.")
    page.item(bold("3"), "status: an auto domain does not run, or a save "
              "image was not restored.")
    page.item(bold("4"), "status: unknown, xend cannot be reached.")
    page.item(bold("6"), "The configuration file is missing (stop: 0).")
    page.section_head("environment")
    page.item(bold("XENDOMAINS_CONFIG"), "The configuration file to read.")
    page.item(bold("XM"), "The xm command to run (default /usr/sbin/xm, "
              "else xm on the PATH); may carry arguments.")
    page.see_also("xm(1)", "xend(8)", "xmdomain.cfg(5)")
    return page
