"""The man pages, generated from the sources of ``xm help`` and the config
schemas so that they cannot drift from them.

:func:`pages` builds xm(1), xend(8), xmdomain.cfg(5), xend-config.sxp(5)
and xendomains(8); ``python -m xm.manpages OUTDIR`` writes them (what
``make man`` and the packaging run).  xendomains(8) reads the shipped
``etc/default/xendomains`` of this source tree.
"""

from __future__ import annotations

import os
from pathlib import Path

from xm.manpages.roff import Page

DEFAULTS_FILE = Path("etc") / "default" / "xendomains"


def source_root() -> Path:
    return Path(__file__).resolve().parents[2]


def pages(defaults_file: Path | None = None) -> list[Page]:
    from xm.commands import COMMANDS
    from xm.manpages.config_pages import xend_config_page, xmdomain_cfg_page
    from xm.manpages.service_pages import xend_page, xendomains_page
    from xm.manpages.xm_page import xm_page
    path = defaults_file or source_root() / DEFAULTS_FILE
    defaults = path.read_text(encoding="utf-8")
    return [xm_page(COMMANDS), xend_page(), xmdomain_cfg_page(),
            xend_config_page(), xendomains_page(defaults)]


def write_pages(outdir: Path, defaults_file: Path | None = None
                ) -> list[Path]:
    """Write every page as OUTDIR/NAME.SECTION; returns the paths."""
    os.makedirs(outdir, exist_ok=True)
    written = []
    for page in pages(defaults_file):
        path = outdir / page.filename
        path.write_text(page.text(), encoding="utf-8")
        written.append(path)
    return written
