"""xm save / restore: xm opens the file and passes the descriptor."""

from __future__ import annotations

import os

import pytest

from xend.errors import InvalidState


def test_save_passes_an_open_writable_fd(xm, fake, tmp_path, monkeypatch):
    """xm passes a .tmp- file next to the target and both absolute paths;
    xend (here: the fake) writes it and renames it when complete."""
    seen = {}

    def save(dom, checkpoint, path, temp):
        # the fd is valid during the call; write through it like xend would
        fd = fake.calls[-1][2][0]
        os.write(fd, b"LinuxGuestRecord")
        assert os.path.samestat(os.fstat(fd), os.stat(temp))
        os.rename(temp, path)
        seen["args"] = (dom, checkpoint, path, temp)

    fake.answers["xend.domain.save"] = save
    monkeypatch.chdir(tmp_path)
    r = xm("save", "guest1", "g.chk")        # relative path
    assert (r.status, r.out, r.err) == (0, "", "")
    dom, checkpoint, path, temp = seen["args"]
    assert (dom, checkpoint, path) == ("guest1", False,
                                       str(tmp_path / "g.chk"))
    assert os.path.dirname(temp) == str(tmp_path)
    assert os.path.basename(temp).startswith(".tmp-g.chk.")
    assert (tmp_path / "g.chk").read_bytes() == b"LinuxGuestRecord"
    assert len(fake.calls[-1][2]) == 1
    assert os.listdir(tmp_path) == ["g.chk"]


def test_save_checkpoint_option_anywhere(xm, fake, tmp_path):
    xm("save", "guest1", str(tmp_path / "g.chk"), "-c")
    assert fake.calls[-1][0] == "xend.domain.save"
    assert fake.calls[-1][1][:3] == ("guest1", True, str(tmp_path / "g.chk"))


def test_save_default_request_names_no_format(xm, fake, tmp_path):
    """Without --xl the request is the one every xend understands."""
    xm("save", "guest1", str(tmp_path / "g.chk"))
    assert len(fake.calls[-1][1]) == 4


@pytest.mark.parametrize("argv", [["--xl", "guest1"], ["guest1", "--xl"]])
def test_save_xl_asks_for_xls_format(xm, fake, tmp_path, argv):
    r = xm("save", *argv, str(tmp_path / "g.chk"))
    assert r.status == 0, r.err
    name, args, fds = fake.calls[-1]
    assert name == "xend.domain.save" and len(fds) == 1
    assert args[:3] == ("guest1", False, str(tmp_path / "g.chk"))
    assert args[4:] == ("xl",)


def test_save_help_names_xl(xm):
    r = xm("save", "--help")
    assert "--xl" in r.out and "xl's format" in r.out


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
    assert os.listdir(tmp_path) == []


def test_save_failure_keeps_an_existing_file(xm, fake, tmp_path):
    (tmp_path / "g.chk").write_bytes(b"old")
    fake.answers["xend.domain.save"] = InvalidState("nope")
    xm("save", "guest1", str(tmp_path / "g.chk"))
    assert (tmp_path / "g.chk").read_bytes() == b"old"      # untouched
    assert os.listdir(tmp_path) == ["g.chk"]


def test_save_into_a_directory_is_one_clear_line(xm, fake, tmp_path):
    r = xm("save", "guest1", str(tmp_path))
    assert r.status == 1
    assert r.err == f"Error: xm save: {tmp_path} is a directory\n"
    assert fake.calls == []


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


@pytest.mark.parametrize("name, why", [
    ("missing.chk", "Unable to read file {path}"),
    (".", "{path} is a directory")])
def test_restore_unreadable_fails_before_any_rpc(xm, fake, tmp_path, name,
                                                 why):
    path = os.path.abspath(tmp_path / name)
    r = xm("restore", str(tmp_path / name))
    assert r.status == 1
    assert r.err == f"Error: xm restore: {why.format(path=path)}\n"
    assert fake.calls == []


def test_interrupted_save_keeps_the_file(xm, fake, tmp_path):
    """xend may still be writing the image: Ctrl-C must not delete it (xend
    renames it when complete, or removes it)."""
    fake.answers["xend.domain.save"] = KeyboardInterrupt()
    r = xm("save", "guest1", str(tmp_path / "g.chk"))
    assert r.status == 1
    [left] = os.listdir(tmp_path)
    assert left.startswith(".tmp-g.chk.")
