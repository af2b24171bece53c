"""xmdomain.cfg(5) and xend-config.sxp(5), written from the config schemas.

xmdomain.cfg lists every variable of :data:`xm.config.variables.VARIABLE_LIST`
(the table ``xm create --help_config`` prints); xend-config.sxp every key of
:data:`xend.daemon.config.KEYS` with its default from
:class:`~xend.daemon.config.XendConfig` and its meaning from
:data:`xend.daemon.config_doc.KEY_DOCS`, and the 4.4 keys xend ignores.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from xm.manpages.roff import Page, bold, escape, italic

KIND_NOTES = {"list": "May be given more than once on the command line; "
              "in a file, a list.",
              "bool": "yes or no on the command line; in a file, 0 or 1."}

EXAMPLE_CONFIG = """\
name = "web1"
kernel = "/boot/vmlinuz-6.1.0-xen"
ramdisk = "/boot/initrd.img-6.1.0-xen"
memory = 512
vcpus = 2
disk = ["phy:/dev/vg0/web1,xvda,w"]
vif = ["bridge=xenbr0"]
root = "/dev/xvda ro"
"""


def _shown(value: Any) -> str:
    if value in (None, "", [], ()):
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def xmdomain_cfg_page() -> Page:
    from xm.config.variables import VARIABLE_LIST
    page = Page("xmdomain.cfg", 5, "xm domain configuration files")
    page.section_head("synopsis")
    page.raw("/etc/xen/\\fIdomain\\fR")
    page.section_head("description")
    page.para("xm create, xm new and xendomains(8) read a domain's "
              "configuration from a file of Python-style assignments, "
              "VARIABLE = VALUE, with strings, numbers and lists, comments "
              "after #, arithmetic, %-formatting, conditionals and small "
              "functions.  It is evaluated by xm, never by xend, and safely: "
              "no imports, no attribute access (xm create --python-config "
              "runs a trusted file as full Python).  Variables may also be "
              "set on the command line, VAR=VALUE, which overrides the "
              "file; other names set there (vmid=3) are script variables "
              "the file can use.  xm searches relative file names in the "
              "current directory, then /etc/xen.")
    page.section_head("example")
    page.literal(EXAMPLE_CONFIG)
    page.section_head("variables")
    for var in VARIABLE_LIST:
        page.item(bold(var.name) + " = " + italic(var.placeholder), var.help)
        default = _shown(var.default)
        notes = [f"Default: {default}."] if default else []
        if var.kind in KIND_NOTES:
            notes.append(KIND_NOTES[var.kind])
        if notes:
            page.item_para(" ".join(notes))
    page.see_also("xm(1)", "xend(8)", "xendomains(8)")
    return page


def xend_config_page() -> Page:
    from xend.daemon.config import (DEFAULT_CONFIG, IGNORED_KEYS, KEYS,
                                    XendConfig)
    from xend.daemon.config_doc import KEY_DOCS
    defaults = {f.name: f.default for f in dataclasses.fields(XendConfig)
                if f.default is not dataclasses.MISSING}
    page = Page("xend-config.sxp", 5, "xend configuration file")
    page.section_head("synopsis")
    page.raw(escape(DEFAULT_CONFIG))
    page.section_head("description")
    page.para(f"xend(8) reads its settings from {DEFAULT_CONFIG}, or the "
              "file named by $XEND_CONFIG: a sequence of (KEY VALUE) forms "
              "in SXP, the syntax of Xen 4.4; lines starting with # are "
              "comments; a value with spaces is quoted, 'like this'.  An "
              "unknown key is logged and ignored; a bad value stops xend "
              "with an error naming the key.  xend reads the file when it "
              "starts.")
    page.literal("(xend-relocation-server yes)\n"
                 "(xend-relocation-hosts-allow '^10\\\\.0\\\\. ^localhost$')\n"
                 "(dom0-min-mem 1024)\n")
    page.section_head("keys")
    for key, (attr, _) in KEYS.items():
        placeholder, text = KEY_DOCS[key]
        page.item(f"({bold(key)} {italic(placeholder)})", text)
        default = _shown(defaults.get(attr))
        if isinstance(defaults.get(attr), bool) or default:
            page.item_para(f"Default: {default}.")
    page.section_head("ignored keys")
    page.para("These keys of Xen 4.4 have no meaning with libxl; they are "
              "accepted, logged and ignored, so that an old file keeps "
              "working: " + ", ".join(sorted(IGNORED_KEYS)) + ".")
    page.section_head("files")
    page.item(bold(DEFAULT_CONFIG), "The default location.")
    page.see_also("xend(8)", "xm(1)")
    return page
