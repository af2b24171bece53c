"""kill -9 of xend in the middle of a save, then a restart.

xend is paused at each stage of a save (``XEND_TEST_PAUSE_AT``, see
xend.domains.testhooks), killed with SIGKILL there and started again.  The
restarted xend must leave the domain running unless the complete image was
published, leave no partial image or ``.tmp-`` file behind, and a published
image must restore.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import XendEnv, basic_config

STAGES = ("save:journaled", "save:header", "save:image", "save:written",
          "save:committed", "save:finished")
PUBLISHED = ("save:committed", "save:finished")


def _kill_at(env: XendEnv, stage: str, xm_args: list[str]) -> int:
    """Run ``xm <xm_args>`` with xend paused at ``stage``; kill -9 xend
    there; return xm's exit status."""
    marker = env.base / "paused"
    env.env.update({"XEND_TEST_PAUSE_AT": stage,
                    "XEND_TEST_PAUSE_MARKER": str(marker)})
    env.start()
    env.env.pop("XEND_TEST_PAUSE_AT")
    env.write_config("g", basic_config("g"))
    env.ok("create" if xm_args[0] == "save" else "new", "g")
    if xm_args[0] == "suspend":
        env.ok("start", "g")
    proc = subprocess.Popen([sys.executable, "-m", "xm", *xm_args],
                            env=env.env, cwd=env.base,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        env.wait_for(marker.exists, timeout=30)
        pid = env.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    env.wait_for(lambda: not Path(f"/proc/{pid}").exists()
                 or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2])
    return int(proc.returncode)


def _leftovers(*dirs: Path) -> list[str]:
    found = []
    for d in dirs:
        for p in d.rglob("*"):
            if p.name.startswith(".tmp-") or p.name.startswith(".hypervisor."):
                found.append(str(p))
    return found


def _state(env: XendEnv, name: str) -> str | None:
    res = env.xm("list", name)
    if res.rc != 0:
        return None
    return res.out.splitlines()[1][59:69].strip()


@pytest.mark.parametrize("checkpoint", [False, True])
def test_kill_during_save_then_restart(make_env, tmp_path, checkpoint):
    outcomes = []
    for stage in STAGES:
        env = make_env()
        out = tmp_path / f"out-{len(outcomes)}"
        out.mkdir()
        image = out / "g.chk"
        args = ["save", *(["-c"] if checkpoint else []), "g", str(image)]
        xm_rc = _kill_at(env, stage, args)
        env.start()                               # recovery runs here
        state = _state(env, "g")
        published = image.exists()
        left = _leftovers(out, env.base / "state", env.base / "domains")
        assert left == [], left
        assert list((env.base / "state" / "inflight").iterdir()) == []
        assert "Traceback" not in env.log()
        if stage in PUBLISHED:
            assert published, stage
            if checkpoint:
                assert state == "-b----", (stage, state)
                env.ok("destroy", "g")
            else:
                assert state is None, (stage, state)
            env.ok("restore", str(image))
            assert _state(env, "g") == "-b----"
            outcome = "image complete, restored"
        else:
            assert not published, stage
            assert state == "-b----", (stage, state)
            # not stuck: the domain can be saved again
            env.ok("save", "g", str(out / "again.chk"))
            env.ok("restore", str(out / "again.chk"))
            outcome = "domain resumed, partial files removed"
        env.stop()
        outcomes.append((stage, xm_rc, outcome))
    print(f"\nkill -9 during save{' -c' if checkpoint else ''}: "
          f"{len(outcomes)} trials")
    for stage, rc, outcome in outcomes:
        print(f"  {stage:16} xm rc={rc}  -> {outcome}")
    assert len(outcomes) == len(STAGES)


def test_kill_during_managed_suspend_then_restart(make_env):
    env = make_env()
    _kill_at(env, "save:image", ["suspend", "g"])
    env.start()
    assert _state(env, "g") == "-b----"
    assert _leftovers(env.base / "domains", env.base / "state") == []
    uuid_dirs = list((env.base / "domains").iterdir())
    assert [p.name for p in uuid_dirs[0].iterdir()] == ["config.json"]
    env.ok("suspend", "g")
    assert "g" in env.ok("list", "--state=suspended")
    env.ok("resume", "g")
    assert _state(env, "g") == "-b----"
    print("\nkill -9 during xm suspend at save:image: domain resumed, "
          "no checkpoint or temp file left")
