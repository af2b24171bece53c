"""End-to-end fixtures: a real xend process on the simulator, driven by xm.

Each test gets its own state directory, config file and socket; xend is
started with ``xend start`` (so daemonisation, the pid file and readiness are
exercised) and stopped at the end.  ``xm`` runs as a subprocess, exactly as a
user or the xendomains script runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.bootfiles import KERNEL

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    rc: int
    out: str
    err: str


class XendEnv:
    def __init__(self, base: Path, **sim: int | str) -> None:
        self.base = base
        self.socket = str(base / "run" / "xend.sock")
        self.config = base / "xend-config.sxp"
        self.logfile = base / "log" / "xend.log"
        keys = {
            "hypervisor": "sim",
            "xend-rpc-socket": self.socket,
            "xend-pid-file": str(base / "run" / "xend.pid"),
            "xend-domains-path": str(base / "domains"),
            "xend-state-path": str(base / "state"),
            "xend-dump-path": str(base / "dump"),
            "logfile": str(self.logfile),
            "sim-host-memory": 4096,
            "sim-host-cpus": 4,
        }
        keys.update({k.replace("_", "-"): v for k, v in sim.items()})
        self.config.write_text("".join(f"({k} {v})\n" for k, v in keys.items()))
        self.env = dict(os.environ)
        self.env.update({
            "XEND_CONFIG": str(self.config),
            "XM_SERVER": "unix://" + self.socket,
            "PYTHONPATH": str(ROOT),
        })
        self.env.pop("PYTEST_CURRENT_TEST", None)

    def run(self, *args: str, cwd: Path | None = None,
            timeout: float = 60) -> Result:
        proc = subprocess.run(list(args), env=self.env, cwd=cwd or self.base,
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def xend(self, *args: str) -> Result:
        return self.run(sys.executable, "-m", "xend", *args)

    def xm(self, *args: str, cwd: Path | None = None,
           timeout: float = 60) -> Result:
        return self.run(sys.executable, "-m", "xm", *args, cwd=cwd,
                        timeout=timeout)

    def ok(self, *args: str, cwd: Path | None = None) -> str:
        res = self.xm(*args, cwd=cwd)
        assert res.rc == 0, f"xm {' '.join(args)} failed: {res.err}"
        assert "Traceback" not in res.err
        return res.out

    def start(self) -> None:
        res = self.xend("start")
        assert res.rc == 0, res.err + self.log()

    def stop(self) -> None:
        res = self.xend("stop")
        assert res.rc == 0, res.err

    def pid(self) -> int | None:
        try:
            return int((self.base / "run" / "xend.pid").read_text())
        except (OSError, ValueError):
            return None

    def log(self) -> str:
        try:
            return self.logfile.read_text()
        except OSError:
            return ""

    def write_config(self, name: str, text: str) -> Path:
        path = self.base / name
        path.write_text(text)
        return path

    def wait_for(self, predicate, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        raise AssertionError("condition not reached in time")

    def domids(self) -> dict[str, str]:
        out = self.ok("list")
        rows = {}
        for line in out.splitlines()[1:]:
            name = line[:40].strip()
            rows[name] = line[40:46].strip()
        return rows


def basic_config(name: str, memory: int = 128, **extra: object) -> str:
    lines = [f'name = "{name}"', f'kernel = "{KERNEL}"',
             f"memory = {memory}"]
    lines += [f"{k} = {v!r}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def xend_env(tmp_path: Path):
    env = XendEnv(tmp_path)
    env.start()
    yield env
    if env.pid() is not None:
        env.xend("stop")
    assert "Traceback" not in env.log(), env.log()


@pytest.fixture
def make_env(tmp_path: Path):
    envs: list[XendEnv] = []

    def make(**sim: int | str) -> XendEnv:
        base = tmp_path / f"env{len(envs)}"
        base.mkdir(parents=True, exist_ok=True)
        env = XendEnv(base, **sim)
        envs.append(env)
        return env
    yield make
    for env in envs:
        if env.pid() is not None:
            env.xend("stop")
