"""The generated man pages: complete against their sources, and clean roff.

Each page must name everything of its source (every xm command and option,
every config variable, every xend-config key, every xendomains variable the
script reads), and groff (and man, where installed) must render it without
a warning.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xend.daemon.cli import ACTIONS
from xend.daemon.config import KEYS
from xend.daemon.config_doc import KEY_DOCS
from xm.commands import COMMANDS
from xm.config.variables import VARIABLE_LIST
from xm.manpages import DEFAULTS_FILE, pages, source_root, write_pages
from xm.manpages.roff import escape

ROOT = source_root()


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return {page.filename: page.text() for page in pages()}


def test_the_five_pages(texts: dict[str, str]) -> None:
    assert sorted(texts) == ["xend-config.sxp.5", "xend.8", "xendomains.8",
                             "xm.1", "xmdomain.cfg.5"]
    for name, text in texts.items():
        assert text.startswith(".TH "), name
        assert ".SH SEE ALSO" in text


def test_xm_page_has_every_command_and_option(texts: dict[str, str]) -> None:
    page = texts["xm.1"]
    variants = {c.variant[1]: c for c in COMMANDS if c.variant}
    for cmd in COMMANDS:
        if cmd.name in variants:
            host = variants[cmd.name]
            heading = f"xm {host.name} {cmd.usage}"
        else:
            heading = f"xm {cmd.name}"
        assert f"\\fB{escape(heading)}\\fR" in page, cmd.name
        assert escape(cmd.summary) in page, cmd.name
        for opt in cmd.options:
            for flag in (f"-{opt.short}" if opt.short else None,
                         f"--{opt.long}" if opt.long else None):
                if flag:
                    assert f"\\fB{escape(flag)}\\fR" in page, (cmd.name, flag)
        for alias in cmd.aliases:
            assert escape(alias) in page


def test_config_pages_have_every_variable_and_key(
        texts: dict[str, str]) -> None:
    for var in VARIABLE_LIST:
        assert f"\\fB{escape(var.name)}\\fR = " in texts["xmdomain.cfg.5"]
    assert set(KEY_DOCS) == set(KEYS)
    for key in KEYS:
        assert f"(\\fB{escape(key)}\\fR " in texts["xend-config.sxp.5"]
    assert "Default: 8002." in texts["xend-config.sxp.5"]
    for action, _ in ACTIONS:
        assert f".TP\n\\fB{action}\\fR" in texts["xend.8"]


def test_xendomains_page_covers_what_the_script_reads(
        texts: dict[str, str]) -> None:
    defaults = (ROOT / DEFAULTS_FILE).read_text()
    script = (ROOT / "etc" / "xendomains").read_text()
    assigned = set(re.findall(r"^(XENDOMAINS_[A-Z_]+)=", defaults, re.M))
    read = set(re.findall(r"\$\{?(XENDOMAINS_[A-Z_]+)", script))
    assert read - {"XENDOMAINS_CONFIG"} == assigned
    for name in assigned | {"XENDOMAINS_CONFIG"}:
        assert f"\\fB{escape(name)}\\fR" in texts["xendomains.8"], name
    assert "\\fBXENDOMAINS_SAVE\\fR=/var/lib/xen/save" in texts[
        "xendomains.8"]


def test_the_generator_writes_files(tmp_path: Path) -> None:
    written = write_pages(tmp_path / "man")
    assert sorted(p.name for p in written) == sorted(
        p.filename for p in pages())
    assert all(p.read_text().startswith(".TH") for p in written)


@pytest.mark.skipif(shutil.which("groff") is None,
                    reason="groff is not installed")
def test_groff_renders_without_warnings(tmp_path: Path) -> None:
    env = dict(os.environ, LC_ALL="C", MANWIDTH="80")
    for path in write_pages(tmp_path):
        proc = subprocess.run(["groff", "-man", "-ww", "-Tutf8", "-P-cbou",
                               str(path)],
                              capture_output=True, text=True, env=env)
        assert proc.returncode == 0 and proc.stderr == "", (path, proc.stderr)
        assert "NAME" in proc.stdout and "SEE ALSO" in proc.stdout
        if shutil.which("man") is not None:
            proc = subprocess.run(["man", "--warnings", "-l", str(path)],
                                  capture_output=True, text=True, env=env)
            assert proc.returncode == 0 and proc.stderr == "", (path,
                                                                 proc.stderr)
