"""xm vncviewer, and --vncviewer / --vncviewer-autopass of create and start,
with a fake xend; the viewer is never run (EXEC / SPAWN are stubbed)."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from xend.errors import DomainNotFound, NotSupported
from xm import cmd_console, cmd_vncviewer

DISPLAY = {"listen": "127.0.0.1", "port": 5903, "display": 3,
           "password": None}


@pytest.fixture
def viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An executable stand-in named by $VNCVIEWER."""
    path = tmp_path / "myviewer"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    monkeypatch.setenv("VNCVIEWER", str(path))
    return str(path)


@pytest.fixture
def ran(fake, viewer, monkeypatch) -> list[tuple[str, list[str], Any]]:
    """Each viewer run as (how, argv, what its stdin holds), also noted in
    fake.calls so the order with the RPCs shows."""
    runs: list[tuple[str, list[str], Any]] = []

    def stub(how: str):
        def run(argv: list[str], fd: int | None) -> None:
            stdin = None if fd is None else os.pread(fd, 100, 0)
            runs.append((how, argv, stdin))
            fake.calls.append((how, tuple(argv), None))
        return run
    monkeypatch.setattr(cmd_vncviewer, "EXEC", stub("exec"))
    monkeypatch.setattr(cmd_vncviewer, "SPAWN", stub("spawn"))

    def display(dom: Any, password: bool) -> dict[str, Any]:
        fake.find(dom)
        return dict(DISPLAY, password="s3cret" if password else None)
    fake.answers["xend.domain.getVncDisplay"] = display
    return runs


# -- xm vncviewer --------------------------------------------------------------

def test_vncviewer_execs_the_viewer_on_the_display(xm, fake, ran, viewer):
    r = xm("vncviewer", "guest1")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert fake.calls[0] == ("xend.domain.getVncDisplay", ("guest1", False),
                             None)
    assert ran == [("exec", [viewer, "127.0.0.1:3"], None)]


@pytest.mark.parametrize("flag", ["--autopass", "--vncviewer-autopass",
                                  "--a"])
def test_autopass_gives_the_password_on_stdin(xm, fake, ran, viewer, flag):
    r = xm("vncviewer", flag, "guest1")
    assert r.status == 0, r.err
    assert fake.calls[0][1] == ("guest1", True)
    assert ran == [("exec", [viewer, "-autopass", "127.0.0.1:3"],
                    b"s3cret\n")]


def test_autopass_without_a_password_passes_none(xm, fake, ran, viewer):
    fake.answers["xend.domain.getVncDisplay"] = DISPLAY
    assert xm("vncviewer", "--autopass", "guest1").status == 0
    assert ran == [("exec", [viewer, "127.0.0.1:3"], None)]


def test_viewer_not_installed_is_one_line(xm, fake, ran, monkeypatch):
    monkeypatch.setenv("VNCVIEWER", "no-such-viewer-here")
    r = xm("vncviewer", "guest1")
    assert (r.status, r.out) == (1, "")
    assert r.err == ("Error: no-such-viewer-here is not installed (not "
                     "found in PATH): install a VNC viewer or set "
                     "VNCVIEWER\n")
    assert fake.calls == [] and ran == []
    monkeypatch.delenv("VNCVIEWER")
    monkeypatch.setenv("PATH", "/nonexistent")
    r = xm("vncviewer", "guest1")
    assert r.err.startswith("Error: vncviewer is not installed")


def test_domain_without_display_or_unknown(xm, fake, ran):
    fake.answers["xend.domain.getVncDisplay"] = NotSupported(
        "Domain 'guest1' has no VNC display")
    r = xm("vncviewer", "guest1")
    assert (r.status, r.err) == (1, "Error: Domain 'guest1' has no VNC "
                                    "display\n")
    fake.answers["xend.domain.getVncDisplay"] = DomainNotFound("nosuch")
    r = xm("vncviewer", "nosuch")
    assert (r.status, r.err) == (3, "Error: Domain 'nosuch' does not "
                                    "exist.\n")
    assert ran == []


def test_vncviewer_usage(xm, fake, ran):
    r = xm("vncviewer")
    assert r.status == 1 and "Usage: xm vncviewer [--[vncviewer-]autopass]" \
        in r.err
    assert xm("-N", "vncviewer", "guest1").status == 1
    assert fake.calls == [] and ran == []


def test_exec_viewer_replaces_xm_with_password_on_stdin(monkeypatch):
    """The real EXEC: stdin is the password file, then execv."""
    seen: list[Any] = []
    monkeypatch.setattr(os, "dup2", lambda a, b: seen.append(("dup2", a, b)))
    monkeypatch.setattr(os, "execv", lambda p, a: seen.append(("execv", p,
                                                                a)))
    cmd_vncviewer.exec_viewer(["/usr/bin/v", "h:1"], 9)
    assert seen == [("dup2", 9, 0), ("execv", "/usr/bin/v", ["/usr/bin/v",
                                                            "h:1"])]


# -- create / start --vncviewer ------------------------------------------------

class FakeConfig:
    name = "web1"

    def to_dict(self) -> dict[str, Any]:
        return {"name": "web1"}


@pytest.fixture
def created(fake, ran, monkeypatch):
    mod = types.ModuleType("xm.config.loader")
    mod.build_config = (  # type: ignore[attr-defined]
        lambda *a, **k: (FakeConfig(), "./web1"))
    monkeypatch.setitem(sys.modules, "xm.config.loader", mod)
    import xm.config
    monkeypatch.setattr(xm.config, "loader", mod, raising=False)
    fake.domains.append({**fake.domains[1], "name": "web1", "domid": 12,
                         "uuid": "u-web1"})
    fake.answers["xend.domain.create"] = \
        lambda cfg, paused: {"name": "web1", "domid": 12}
    return fake


def test_create_vncviewer_spawns_after_the_create(xm, created, ran, viewer):
    r = xm("create", "-q", "web1", "--vncviewer")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert created.methods() == ["xend.domain.create",
                                 "xend.domain.getVncDisplay", "spawn"]
    assert created.calls[1][1] == ("web1", False)
    assert ran == [("spawn", [viewer, "127.0.0.1:3"], None)]


def test_create_autopass_then_console(xm, created, ran, viewer, monkeypatch):
    created.answers["xend.domain.getConsolePath"] = "/dev/pts/5"
    monkeypatch.setattr(cmd_console, "ATTACH", lambda path:
                        created.calls.append(("attach", (path,), None)))
    r = xm("create", "-q", "-c", "--vncviewer-autopass", "web1")
    assert r.status == 0, r.err
    assert created.methods() == ["xend.domain.create",
                                 "xend.domain.getVncDisplay", "spawn",
                                 "xend.domain.getConsolePath", "attach"]
    assert ran == [("spawn", [viewer, "-autopass", "127.0.0.1:3"],
                    b"s3cret\n")]


def test_create_without_a_viewer_creates_nothing(xm, created, ran,
                                                 monkeypatch):
    monkeypatch.setenv("VNCVIEWER", "no-such-viewer-here")
    r = xm("create", "--vncviewer", "web1")
    assert r.status == 1
    assert r.err.startswith("Error: no-such-viewer-here is not installed")
    assert r.err.count("\n") == 1
    assert created.calls == []


def test_create_of_a_domain_without_display_warns(xm, created, ran):
    created.answers["xend.domain.getVncDisplay"] = NotSupported(
        "Domain 'web1' has no VNC display")
    r = xm("create", "--vncviewer", "web1")
    assert r.status == 0
    assert r.out == 'Using config file "./web1".\nStarted domain web1 (id=12)\n'
    assert r.err == ("Warning: no VNC viewer started: Domain 'web1' has "
                     "no VNC display\n")
    assert ran == []


def test_create_dry_run_starts_no_viewer(xm, created, ran, monkeypatch):
    import xend.model.to_sxp as to_sxp
    monkeypatch.setattr(to_sxp, "config_sxp", lambda cfg: ["vm"])
    r = xm("create", "-n", "--vncviewer", "web1")
    assert r.status == 0 and created.calls == [] and ran == []


def test_start_vncviewer(xm, fake, ran, viewer):
    r = xm("start", "--vncviewer-autopass", "managed-off")
    assert (r.status, r.err) == (0, "")
    assert fake.methods() == ["xend.domain.start",
                              "xend.domain.getVncDisplay", "spawn"]
    assert ran == [("spawn", [viewer, "-autopass", "127.0.0.1:3"],
                    b"s3cret\n")]
    fake.calls.clear()
    ran.clear()
    r = xm("-N", "start", "--vncviewer", "managed-off")
    assert r.status == 0 and ran == []
    assert fake.calls == []     # -N prints the start request, sends nothing


def test_help_lists_the_vnc_switches(xm):
    for command in ("create", "start"):
        out = xm(command, "-h").out
        assert "--vncviewer  " in out and "--vncviewer-autopass" in out
