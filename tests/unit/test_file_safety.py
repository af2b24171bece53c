"""The root daemon's own files: no symlink followed, the log 0640, no
secrets in the log."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from xend.daemon.logs import setup_logging
from xend.errors import ConfigError, StorageError
from xend.hv.sim import SimHypervisor
from xend.rpc.redact import MASK, redact


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    old_umask = os.umask(0o022)
    yield
    os.umask(old_umask)
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_log_symlink_is_refused(tmp_path: Path, restore_logging) -> None:
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    log = tmp_path / "xend.log"
    log.symlink_to(victim)
    with pytest.raises(ConfigError, match="is a symbolic link: refusing"):
        setup_logging(str(log))
    assert victim.read_text() == "root:secret\n"
    print(f"\nsymlinked log refused; target unchanged ({victim})")


def test_log_is_created_0640(tmp_path: Path, restore_logging) -> None:
    log = tmp_path / "xend.log"
    setup_logging(str(log), "INFO")
    logging.getLogger("xend").info("hello")
    assert os.stat(log).st_mode & 0o777 == 0o640
    assert "hello" in log.read_text()
    old = tmp_path / "old.log"
    old.write_text("")
    old.chmod(0o644)
    setup_logging(str(old), "INFO")
    assert os.stat(old).st_mode & 0o777 == 0o640


def test_rotated_log_is_0640_too(tmp_path: Path, restore_logging) -> None:
    log = tmp_path / "xend.log"
    setup_logging(str(log), "INFO")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    handler.doRollover()
    assert os.stat(log).st_mode & 0o777 == 0o640
    assert os.stat(str(log) + ".1").st_mode & 0o777 == 0o640


def test_sim_lock_symlink_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "precious"
    victim.write_text("keep me\n")
    (tmp_path / "sim").mkdir()
    (tmp_path / "sim" / "lock").symlink_to(victim)
    with pytest.raises(StorageError, match="is a symbolic link: refusing"):
        SimHypervisor(state_dir=str(tmp_path))
    assert victim.read_text() == "keep me\n"


def test_sim_lock_hard_link_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "precious"
    victim.write_text("keep me\n")
    (tmp_path / "sim").mkdir()
    os.link(victim, tmp_path / "sim" / "lock")
    with pytest.raises(StorageError, match="hard link"):
        SimHypervisor(state_dir=str(tmp_path))
    assert victim.read_text() == "keep me\n"


def test_sim_lock_is_a_private_file(tmp_path: Path) -> None:
    sim = SimHypervisor(state_dir=str(tmp_path))
    try:
        lock = tmp_path / "sim" / "lock"
        assert not lock.is_symlink()
        assert lock.stat().st_mode & 0o777 == 0o600
        assert lock.read_text() == f"{os.getpid()}\n"
    finally:
        sim.close()


def test_redact_masks_secrets_everywhere() -> None:
    params = [{"name": "v", "platform": {"vncpasswd": "hvmsecret",
                                         "vnc": 1},
               "vfbs": [{"vnc": "1", "vncpasswd": "s3cret"}],
               "other": {"api_token": "t0k", "Secret": "x",
                         "keymap": "de"},
               "extra": "vnc=1,vncpasswd=p4ss,passwd=p5"},
              ["device", ["vfb", ["vnc", 1], ["vncpasswd", "sxpsecret"]]],
              False]
    text = repr(redact(params))
    for secret in ("hvmsecret", "s3cret", "t0k", "'x'", "p4ss", "p5",
                   "sxpsecret"):
        assert secret not in text, secret
    assert MASK in text and "'keymap': 'de'" in text and "vnc=1" in text
    assert params[0]["platform"]["vncpasswd"] == "hvmsecret"  # a copy
