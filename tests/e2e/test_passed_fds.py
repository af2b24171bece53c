"""Unusable descriptors passed to save/restore: one clear error line each,
and xend closes every descriptor (its count of open fds stays flat)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import XendEnv, basic_config
from xend.errors import XendError
from xm.client import XendClient

REQUESTS = 200


def _open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _bad_requests(tmp: Path):
    """(method, params, how to open the passed fd, expected message)."""
    plain = tmp / "plain.chk"
    plain.write_bytes(b"")
    return [
        ("xend.domain.save", ["g", False],
         lambda: os.open(tmp, os.O_RDONLY), f"{tmp} is a directory"),
        ("xend.domain.restore", [False],
         lambda: os.open(tmp, os.O_RDONLY), f"{tmp} is a directory"),
        ("xend.domain.save", ["g", False],
         lambda: os.open(plain, os.O_RDONLY),
         f"{plain} is not open for writing"),
        ("xend.domain.restore", [False],
         lambda: os.open(plain, os.O_WRONLY),
         f"{plain} is not open for reading"),
        ("xend.domain.save", ["g", False, str(tmp / "x.chk"),
                              str(tmp / ".tmp-x.chk.other")],
         lambda: os.open(plain, os.O_WRONLY),
         "is not the file passed to xend"),
        ("xend.domain.save", ["nosuchdomain", False],
         lambda: os.open(plain, os.O_WRONLY), "does not exist"),
    ]


def test_failing_requests_leak_no_descriptors(xend_env: XendEnv,
                                              tmp_path: Path):
    xend_env.write_config("g", basic_config("g"))
    xend_env.ok("create", "g")
    pid = xend_env.pid()
    assert pid is not None
    work = tmp_path / "work"
    work.mkdir()
    kinds = _bad_requests(work)
    with XendClient(xend_env.socket) as client:
        client.call("xend.version")
        before = _open_fds(pid)
        seen: dict[str, str] = {}
        for i in range(REQUESTS):
            method, params, opener, expected = kinds[i % len(kinds)]
            fd = opener()
            try:
                client.call(method, *params, fds=[fd])
            except XendError as exc:
                message = str(exc)
            else:
                message = "<no error>"
            finally:
                os.close(fd)
            assert expected in message, (method, message)
            assert "\n" not in message and "Errno" not in message
            assert "internal error" not in message
            seen[expected] = message
        after = _open_fds(pid)
    print(f"\n{REQUESTS} failing save/restore requests: xend fds "
          f"{before} before, {after} after")
    for message in seen.values():
        print(f"  Error: {message}")
    assert after <= before
    assert "g" in xend_env.domids()
    assert os.listdir(work) == ["plain.chk"]


def test_xm_save_and_restore_with_a_directory(xend_env: XendEnv,
                                              tmp_path: Path):
    xend_env.write_config("g", basic_config("g"))
    xend_env.ok("create", "g")
    res = xend_env.xm("save", "g", str(tmp_path))
    assert (res.rc, res.err) == (1, f"Error: xm save: {tmp_path} is a "
                                    "directory\n")
    res = xend_env.xm("restore", str(tmp_path))
    assert (res.rc, res.err) == (1, f"Error: xm restore: {tmp_path} is a "
                                    "directory\n")
    assert "g" in xend_env.domids()
