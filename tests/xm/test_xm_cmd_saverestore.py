"""xm save / restore: xm opens the file and passes the descriptor."""

from __future__ import annotations

import os

import pytest

from xend.errors import InvalidState


def test_save_passes_an_open_writable_fd(xm, fake, tmp_path, monkeypatch):
    seen = {}

    def save(dom, checkpoint):
        # the fd is valid during the call; write through it like xend would
        fd = fake.calls[-1][2][0]
        os.write(fd, b"LinuxGuestRecord")
        seen["args"] = (dom, checkpoint)

    fake.answers["xend.domain.save"] = save
    monkeypatch.chdir(tmp_path)
    r = xm("save", "guest1", "g.chk")        # relative path
    assert (r.status, r.out, r.err) == (0, "", "")
    assert seen["args"] == ("guest1", False)
    assert (tmp_path / "g.chk").read_bytes() == b"LinuxGuestRecord"
    assert len(fake.calls[-1][2]) == 1


def test_save_checkpoint_option_anywhere(xm, fake, tmp_path):
    xm("save", "guest1", str(tmp_path / "g.chk"), "-c")
    assert fake.calls[-1][:2] == ("xend.domain.save", ("guest1", True))


def test_save_unwritable_target_fails_before_any_rpc(xm, fake, tmp_path):
    target = tmp_path / "no" / "such" / "dir"
    r = xm("save", "guest1", str(target))
    assert r.status == 1
    assert r.err == f"Error: xm save: Unable to create file {target}\n"
    assert fake.calls == []


def test_save_failure_removes_the_new_file(xm, fake, tmp_path):
    fake.answers["xend.domain.save"] = InvalidState("Domain is not running")
    r = xm("save", "guest1", str(tmp_path / "g.chk"))
    assert r.status == 1 and r.err.startswith("Error: Domain is not running")
    assert not (tmp_path / "g.chk").exists()


def test_save_failure_keeps_an_existing_file(xm, fake, tmp_path):
    (tmp_path / "g.chk").write_bytes(b"old")
    fake.answers["xend.domain.save"] = InvalidState("nope")
    xm("save", "guest1", str(tmp_path / "g.chk"))
    assert (tmp_path / "g.chk").exists()


def test_save_progress_on_a_terminal(xm, fake, tmp_path):
    r = xm("save", "guest1", str(tmp_path / "g.chk"), tty=True)
    assert r.status == 0
    assert "Saving domain guest1 ..." in r.err and r.err.endswith("\r")


@pytest.mark.parametrize("args,paused", [([], False), (["-p"], True),
                                         (["--paused"], True)])
def test_restore_passes_a_readable_fd(xm, fake, tmp_path, monkeypatch,
                                      args, paused):
    (tmp_path / "g.chk").write_bytes(b"LinuxGuestRecord...")
    got = {}

    def restore(p):
        got["data"] = os.read(fake.calls[-1][2][0], 16)
        got["paused"] = p

    fake.answers["xend.domain.restore"] = restore
    monkeypatch.chdir(tmp_path)
    r = xm("restore", "g.chk", *args)
    assert (r.status, r.out, r.err) == (0, "", "")
    assert got == {"data": b"LinuxGuestRecord", "paused": paused}


@pytest.mark.parametrize("name", ["missing.chk", "."])
def test_restore_unreadable_fails_before_any_rpc(xm, fake, tmp_path, name):
    path = os.path.abspath(tmp_path / name)
    r = xm("restore", str(tmp_path / name))
    assert r.status == 1
    assert r.err == f"Error: xm restore: Unable to read file {path}\n"
    assert fake.calls == []


def test_interrupted_save_keeps_the_file(xm, fake, tmp_path):
    """xend may still be writing the image: Ctrl-C must not delete it."""
    fake.answers["xend.domain.save"] = KeyboardInterrupt()
    r = xm("save", "guest1", str(tmp_path / "g.chk"))
    assert r.status == 1
    assert (tmp_path / "g.chk").exists()
