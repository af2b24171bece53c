"""xm as a process: the entry point, the real client without a daemon, and
a start-up that imports no config or model code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "xm", *args], env=environ,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, cwd=ROOT)


def test_no_xend_is_one_line_and_exit_1(tmp_path):
    r = run("list", XM_SERVER=f"unix://{tmp_path}/none.sock")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == ("Error: Unable to connect to xend: No such file or "
                        "directory. Is xend running?\n")


def test_bad_xm_server(tmp_path):
    r = run("list", XM_SERVER="http://example.org")
    assert r.returncode == 1 and r.stderr.startswith("Error: ")
    assert "Traceback" not in r.stderr


def test_help_exit_codes():
    assert run().returncode == 1
    assert run("help").returncode == 0
    assert run("list", "-h").returncode == 1


def test_startup_imports_no_config_or_model_code():
    code = ("import sys, xm.main; "
            "print(' '.join(m for m in sys.modules if m.startswith("
            "('xm.config', 'xend.model', 'xend.daemon', 'xend.rpc.api', "
            "'xm.client'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                         cwd=ROOT, check=True).stdout.split()
    assert out == []
