"""kill -9 of xend in the middle of every state-changing operation.

Each trial sets a domain up, runs one ``xm`` command with xend paused at a
named stage (``XEND_TEST_PAUSE_AT``, see xend.domains.testhooks), kills xend
with SIGKILL there and starts it again.  The restarted xend must know every
domain the hypervisor has, in a sane state (no domain paused that the user
did not ask to be paused), with the operation either finished or without a
trace; managed configurations intact, no journal record or temp file left,
and the name usable again.  Saves are covered by test_crash_save.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.e2e.conftest import XendEnv, basic_config
from tests.e2e.test_crash_save import _leftovers


def _rows(env: XendEnv) -> dict[str, dict[str, str]]:
    rows = {}
    for line in env.ok("list").splitlines()[1:]:
        rows[line[:40].strip()] = {"id": line[41:46].strip(),
                                   "mem": line[47:52].strip(),
                                   "vcpus": line[53:58].strip(),
                                   "state": line[59:69].strip()}
    rows.pop("Domain-0", None)
    return rows


def _is_paused(row: dict[str, str] | None) -> bool:
    return row is not None and "p" in row["state"]


def _suspended(env: XendEnv, name: str) -> bool:
    return name in env.ok("list", "--state=suspended").split()


def _cycle(env: XendEnv, name: str, managed: bool) -> None:
    """The name is usable: the domain can be (re)started and destroyed."""
    row = _rows(env).get(name)
    if row is not None and row["id"]:
        env.ok("destroy", name)
    if managed:
        if _suspended(env, name):
            env.ok("resume", name)
        else:
            env.ok("start", name)
    else:
        env.ok("create", name)
    env.ok("destroy", name)
    if managed:
        assert name in _rows(env), f"managed {name} lost after destroy"


@dataclass
class Op:
    name: str
    stages: tuple[str, ...]
    setup: Callable[[XendEnv], list[str]]      # returns the xm command
    check: Callable[[XendEnv], str]            # after restart: outcome
    may_pause: bool = False                    # the user asked for paused


# -- set-ups ----------------------------------------------------------------
def _cfg(env: XendEnv, **extra: object) -> str:
    return str(env.write_config("g", basic_config("g", memory=256, **extra)))


def setup_create(env: XendEnv) -> list[str]:
    _cfg(env)
    return ["create", "g"]


def setup_create_paused(env: XendEnv) -> list[str]:
    _cfg(env)
    return ["create", "-p", "g"]


def setup_managed(env: XendEnv, **extra: object) -> None:
    _cfg(env, **extra)
    env.ok("new", "g")


def setup_start(env: XendEnv) -> list[str]:
    setup_managed(env)
    return ["start", "g"]


def setup_restore(env: XendEnv) -> list[str]:
    _cfg(env)
    env.ok("create", "g")
    env.ok("save", "g", str(env.base / "g.chk"))
    return ["restore", str(env.base / "g.chk")]


def setup_resume(env: XendEnv) -> list[str]:
    setup_managed(env)
    env.ok("start", "g")
    env.ok("suspend", "g")
    return ["resume", "g"]


def setup_running_managed(env: XendEnv, **extra: object) -> None:
    setup_managed(env, **extra)
    env.ok("start", "g")


def setup_reset(env: XendEnv) -> list[str]:
    _cfg(env)
    env.ok("create", "g")
    return ["reset", "g"]


def setup_destroy(env: XendEnv) -> list[str]:
    setup_running_managed(env)
    return ["destroy", "g"]


def setup_new(env: XendEnv) -> list[str]:
    _cfg(env)
    return ["new", "g"]


def setup_delete(env: XendEnv) -> list[str]:
    setup_managed(env)
    return ["delete", "g"]


def setup_mem_set(env: XendEnv) -> list[str]:
    setup_running_managed(env)
    return ["mem-set", "g", "200"]


def setup_vcpu_set(env: XendEnv) -> list[str]:
    setup_running_managed(env, vcpus=2)
    return ["vcpu-set", "g", "1"]


def setup_rename(env: XendEnv) -> list[str]:
    setup_running_managed(env)
    return ["rename", "g", "h"]


# -- checks: what survived ----------------------------------------------------
def check_unmanaged(env: XendEnv) -> str:
    row = _rows(env).get("g")
    _cycle(env, "g", managed=False)
    return "domain kept, running" if row else "no domain left"


def check_create_paused(env: XendEnv) -> str:
    row = _rows(env).get("g")
    if row is not None:
        assert _is_paused(row), row
        env.ok("unpause", "g")
    _cycle(env, "g", managed=False)
    return "domain kept, paused as asked" if row else "no domain left"


def check_restore(env: XendEnv) -> str:
    assert (env.base / "g.chk").exists(), "the image was lost"
    row = _rows(env).get("g")
    if row is not None:
        env.ok("destroy", "g")
    env.ok("restore", str(env.base / "g.chk"))
    env.ok("destroy", "g")
    return "domain kept, running" if row else "no domain left, image kept"


def check_start(env: XendEnv) -> str:
    row = _rows(env).get("g")
    assert row is not None, "managed domain lost"
    running = bool(row["id"])
    _cycle(env, "g", managed=True)
    return "started, running" if running else "halted, as before"


def check_resume(env: XendEnv) -> str:
    row = _rows(env).get("g")
    assert row is not None, "managed domain lost"
    chk = list((env.base / "domains").glob("*/checkpoint.chk"))
    if row["id"]:
        assert chk == [], "resumed but the stale checkpoint is kept"
        outcome = "resumed, checkpoint removed"
    else:
        assert _suspended(env, "g") and chk, "neither running nor suspended"
        outcome = "still suspended, checkpoint kept"
    _cycle(env, "g", managed=True)
    return outcome


def check_reset(env: XendEnv) -> str:
    row = _rows(env).get("g")
    assert row is not None and row["id"], "the domain was lost"
    _cycle(env, "g", managed=False)
    return "domain running again"


def check_new(env: XendEnv) -> str:
    row = _rows(env).get("g")
    if row is None:
        env.ok("new", "g")
    _cycle(env, "g", managed=True)
    return "registered" if row else "not registered, no trace"


def check_delete(env: XendEnv) -> str:
    row = _rows(env).get("g")
    dirs = [p.name for p in (env.base / "domains").iterdir()]
    if row is None:
        assert dirs == [], f"deleted but left {dirs}"
        env.ok("new", "g")
    else:
        assert len(dirs) == 1
    _cycle(env, "g", managed=True)
    return "kept, intact" if row else "deleted, no trace"


def _running_then_halted(env: XendEnv, name: str, column: str) -> str:
    """The value of ``column`` while running equals the recorded one (the
    domain started again from its configuration)."""
    running = _rows(env)[name][column]
    env.ok("destroy", name)
    env.ok("start", name)
    again = _rows(env)[name][column]
    assert running == again, \
        f"hypervisor had {column} {running}, configuration {again}"
    env.ok("destroy", name)
    return running


def check_mem_set(env: XendEnv) -> str:
    mem = _running_then_halted(env, "g", "mem")
    return f"memory {mem} in hypervisor and config"


def check_vcpu_set(env: XendEnv) -> str:
    vcpus = _running_then_halted(env, "g", "vcpus")
    return f"{vcpus} vcpus in hypervisor and config"


def check_destroy(env: XendEnv) -> str:
    row = _rows(env).get("g")
    assert row is not None, "managed domain lost"
    running = bool(row["id"])
    _cycle(env, "g", managed=True)
    return "still running" if running else "destroyed, managed config kept"


def check_rename(env: XendEnv) -> str:
    rows = _rows(env)
    names = sorted(n for n in rows if n in ("g", "h"))
    assert len(names) == 1, rows
    name = names[0]
    _running_then_halted(env, name, "mem")
    assert sorted(n for n in _rows(env) if n in ("g", "h")) == [name]
    other = "h" if name == "g" else "g"
    env.write_config(other, basic_config(other))
    env.ok("create", other)           # the other name is free
    env.ok("destroy", other)
    return f"named {name} in hypervisor and config"


def _stages(op: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{op}:{n}" for n in names)


BOOT = ("built", "recorded", "started")
OPS = [
    Op("create", _stages("create", *BOOT), setup_create, check_unmanaged),
    Op("create -p", _stages("create", "built", "recorded"),
       setup_create_paused, check_create_paused, may_pause=True),
    Op("start", _stages("start", *BOOT), setup_start, check_start),
    Op("restore", _stages("restore", *BOOT), setup_restore, check_restore),
    Op("resume", _stages("resume", *BOOT), setup_resume, check_resume),
    Op("reset", _stages("reset", "destroyed", *BOOT), setup_reset,
       check_reset),
    Op("destroy", ("destroy:destroyed",), setup_destroy, check_destroy),
    Op("new", ("new:recorded",), setup_new, check_new),
    Op("delete", ("delete:renamed",), setup_delete, check_delete),
    Op("mem-set", ("mem-set:hv",), setup_mem_set, check_mem_set),
    Op("vcpu-set", ("vcpu-set:hv",), setup_vcpu_set, check_vcpu_set),
    Op("rename", ("rename:hv",), setup_rename, check_rename),
]


def _kill_during(env: XendEnv, stage: str, args: list[str]) -> int:
    """Restart xend armed at ``stage``, run ``xm <args>``, kill -9 xend
    once it paused there; return xm's exit status."""
    marker = env.base / "paused"
    env.stop()
    env.env.update({"XEND_TEST_PAUSE_AT": stage,
                    "XEND_TEST_PAUSE_MARKER": str(marker)})
    env.start()
    env.env.pop("XEND_TEST_PAUSE_AT")
    proc = subprocess.Popen([sys.executable, "-m", "xm", *args],
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


def _trial(env: XendEnv, op: Op, stage: str) -> str:
    env.start()
    args = op.setup(env)
    _kill_during(env, stage, args)
    env.start()                                   # recovery runs here
    for name, row in _rows(env).items():
        if row["id"] and not op.may_pause:
            assert not _is_paused(row), f"{name} left paused: {row}"
    outcome = op.check(env)
    assert list((env.base / "state" / "inflight").iterdir()) == []
    assert _leftovers(env.base / "state", env.base / "domains") == []
    assert not [p for p in (env.base / "domains").iterdir()
                if p.name.startswith(".")]
    assert "Traceback" not in env.log()
    env.stop()
    return outcome


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_kill_during_operation_then_restart(make_env, op):
    results = []
    for stage in op.stages:
        env = make_env()
        try:
            results.append((stage, _trial(env, op, stage), True))
        except AssertionError as exc:
            results.append((stage, f"FAILED: {str(exc).splitlines()[0]}",
                            False))
            if env.pid() is not None:
                env.xend("stop")
    print(f"\nkill -9 during xm {op.name}: {len(results)} trials")
    for stage, outcome, _ in results:
        print(f"  {stage:18} -> {outcome}")
    assert all(ok for _, _, ok in results), results
    assert len(results) == len(op.stages)


def test_stage_markers_exist():
    """Every stage named above is a pause point in xend's code."""
    root = Path(__file__).resolve().parents[2] / "xend"
    code = "".join(p.read_text() for p in root.rglob("*.py"))
    for op in OPS:
        for stage in op.stages:
            suffix = ":" + stage.split(":")[1]
            assert f'"{stage}"' in code or f'"{suffix}"' in code, stage
