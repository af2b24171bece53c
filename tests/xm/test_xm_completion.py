"""Bash completion of xm: the shipped script is the generated one, and bash
completes subcommands, options, domains, config files and files with it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from xm.commands import COMMANDS
from xm.completion import bash_completion

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "etc" / "bash_completion.d" / "xm"

# xm list as xend answers it; the completion asks `xm` for the domains.
FAKE_XM = r"""
xm() {
    [ "$1" = list ] || return 1
    printf '%s\n' 'Name                                        ID   Mem VCPUs      State   Time(s)' \
        'Domain-0                                     0  1024     4     r-----      1.0' \
        'web1                                         1   512     1     -b----      0.2' \
        'web2                                         2   512     1     -b----      0.1'
}
complete_line() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
    _xm
    printf '%s\n' "${COMPREPLY[*]}"
}
"""


def test_the_shipped_script_is_generated_from_the_table() -> None:
    assert SCRIPT.read_text() == bash_completion(COMMANDS), \
        "regenerate: python -m xm.completion > etc/bash_completion.d/xm"


def complete(tmp_path: Path, *words: str) -> list[str]:
    """What bash completes for the command line ``words`` (the last one
    being completed)."""
    args = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = f". {SCRIPT}\n{FAKE_XM}\ncomplete_line {args}\n"
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", script],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin",
                               "XM_CONFIG_DIR": str(tmp_path / "etc-xen")})
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return sorted(proc.stdout.split())


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completes(tmp_path: Path) -> None:
    (tmp_path / "etc-xen").mkdir()
    for name in ("web1", "db", "xend-config.sxp"):
        (tmp_path / "etc-xen" / name).write_text("")
    (tmp_path / "web1.chk").write_text("")
    all_names = sorted(c.name for c in COMMANDS if c.name != "migrate-xl")
    assert complete(tmp_path, "xm", "") == sorted(["-N"] + all_names)
    assert complete(tmp_path, "xm", "vcpu-") == ["vcpu-list", "vcpu-pin",
                                                 "vcpu-set"]
    assert complete(tmp_path, "xm", "-N", "des") == ["destroy"]
    assert complete(tmp_path, "xm", "shutdown", "-") == [
        "--all", "--halt", "--reboot", "--wait", "-H", "-R", "-a", "-w"]
    assert complete(tmp_path, "xm", "shutdown", "w") == ["web1", "web2"]
    assert complete(tmp_path, "xm", "list", "web1", "") == [
        "Domain-0", "web1", "web2"]
    assert complete(tmp_path, "xm", "create", "") == [
        "db", "etc-xen", "web1", "web1.chk"]        # /etc/xen and here
    assert complete(tmp_path, "xm", "create", "-f", "web") == ["web1.chk"]
    assert complete(tmp_path, "xm", "save", "web1", "w") == ["web1.chk"]
    assert complete(tmp_path, "xm", "restore", "w") == ["web1.chk"]
    assert complete(tmp_path, "xm", "migrate", "-p", "8002", "w") == [
        "web1", "web2"]
    assert complete(tmp_path, "xm", "migrate", "--xl", "-") == [
        "--live", "--ssh", "-l", "-s"]
    assert complete(tmp_path, "xm", "trigger", "web1", "") == [
        "init", "nmi", "power", "reset", "s3resume"]   # as its usage says
    assert complete(tmp_path, "xm", "sched-credit", "-d", "web2") == ["web2"]
    assert complete(tmp_path, "xm", "help", "mem") == ["mem-max", "mem-set"]
    assert complete(tmp_path, "xm", "mem-set", "web1", "") == []
