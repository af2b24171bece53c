"""A full disk under xend (state, domains, log, pid file on one small tmpfs).

Creates must fail cleanly and leave nothing behind, freeing (destroy) must
always work, and xend must start (with a warning) on the full disk.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import XendEnv, basic_config


@pytest.fixture
def small_fs(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755",
                          "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {res.stderr.strip()}")
    envs: list[XendEnv] = []
    yield mnt, envs
    for env in envs:
        if env.pid() is not None or env.xend("status").rc == 0:
            env.xend("stop")
    if subprocess.run(["umount", str(mnt)]).returncode != 0:
        subprocess.run(["umount", "-l", str(mnt)])


def fill(mnt: Path) -> int:
    """Write until the filesystem is full, down to the last byte."""
    fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    total = 0
    try:
        for size in (65536, 4096, 512, 64, 1):
            try:
                while True:
                    total += os.write(fd, b"x" * size)
            except OSError:
                pass
    finally:
        os.close(fd)
    return total


def _leftovers(base: Path) -> list[str]:
    return [str(p) for p in base.rglob("*")
            if p.name.startswith((".tmp-", ".hypervisor."))]


def test_full_disk(small_fs):
    mnt, envs = small_fs
    env = XendEnv(mnt)
    envs.append(env)
    env.start()
    env.write_config("a", basic_config("a"))
    env.write_config("b", basic_config("b"))
    env.write_config("m", basic_config("m"))
    env.ok("create", "a")
    filled = fill(mnt)

    res = env.xm("create", "b")
    assert res.rc == 1 and "No space left on device" in res.err, res.err
    assert res.err.count("Error:") == 1 and "Traceback" not in res.err
    res_new = env.xm("new", "m")
    assert res_new.rc == 1 and "No space left on device" in res_new.err
    res_save = env.xm("save", "a", str(mnt / "a.chk"))
    assert res_save.rc == 1 and "No space left on device" in res_save.err
    names = set(env.domids())
    assert names == {"Domain-0", "a"}, names            # nothing half-built
    assert list((mnt / "domains").iterdir()) == []
    assert len(list((mnt / "state" / "running").iterdir())) == 1
    assert not (mnt / "a.chk").exists()
    assert _leftovers(mnt) == []

    destroy = env.xm("destroy", "a")                    # freeing works
    assert destroy.rc == 0, destroy.err
    assert set(env.domids()) == {"Domain-0"}
    assert list((mnt / "state" / "running").iterdir()) == []

    env.stop()
    fill(mnt)
    start = env.xend("start")                           # on a full disk
    assert start.rc == 0, start.err + env.log()
    assert "Warning: cannot write the pid file" in start.err
    assert set(env.domids()) == {"Domain-0"}
    assert env.xend("status").rc == 0                   # found by socket
    stop = env.xend("stop")
    assert stop.rc == 0 and env.xend("status").rc == 3

    os.unlink(mnt / "filler")                           # space again
    env.start()
    env.ok("create", "b")
    assert "b" in env.domids()
    env.stop()
    env.start()                                         # state was written
    assert "b" in env.domids()
    env.ok("destroy", "b")
    print(f"\nfull tmpfs ({filled} bytes of filler): create/new/save "
          f"refused with 'No space left on device', nothing left behind; "
          f"destroy ok; xend started on the full disk with: "
          f"{start.err.strip()}")
