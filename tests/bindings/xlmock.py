"""Run real libxl code without Xen, under an LD_PRELOAD mock (test helper).

``mock_xen.c`` (next to this file) fakes the handful of libxenctrl,
libxenstore and libxl entry points that ``libxl_ctx_alloc`` and host info
need.  This module compiles it with gcc once per process and runs
programs under it:

* :func:`xl_dry_run_json` runs Xen's own ``xl -N create`` on an xl config
  and returns the libxl JSON it prints -- the reference any xm-config to
  libxl-JSON translation can be diffed against;
* :func:`run_python` runs Python code with the mock preloaded and returns
  what the code printed as JSON.

Other suites use it by putting this directory on ``sys.path``::

    sys.path.insert(0, str(Path(__file__).parents[1] / "bindings"))
    from xlmock import xl_dry_run_json, xl_available

Only the JSON functions and the mocked calls work under the mock; anything
that makes a hypercall or a Xenstore request fails or crashes.
"""

from __future__ import annotations

import atexit
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MOCK_SOURCE = HERE / "mock_xen.c"
LIBXL_HEADER = Path("/usr/include/libxl.h")
TIMEOUT = 60

_built: dict[str, Path] = {}


def find_xl() -> str | None:
    """The real xl binary (not Debian's /usr/sbin/xl wrapper), if any."""
    explicit = os.environ.get("XEND_TEST_XL")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = sorted(glob.glob("/usr/lib/xen-*/bin/xl"))
    return found[-1] if found else None


def mock_available() -> str | None:
    """None when the mock can be built, else why not."""
    if shutil.which("gcc") is None:
        return "gcc is not installed"
    if not LIBXL_HEADER.exists():
        return f"{LIBXL_HEADER} is missing (apt install libxen-dev)"
    return None


def xl_available() -> str | None:
    """None when xl -N can run under the mock, else why not."""
    return mock_available() or (
        None if find_xl() else "xl is not installed (apt install "
        "xen-utils-4.17)")


def mock_library() -> Path:
    """Compile mock_xen.c (once per process and source version)."""
    source = MOCK_SOURCE.read_bytes()
    key = hashlib.sha256(source).hexdigest()[:16]
    if key not in _built:
        out_dir = Path(tempfile.mkdtemp(prefix="xend-xlmock-"))
        atexit.register(shutil.rmtree, out_dir, True)
        out = out_dir / f"mock_xen-{key}.so"
        subprocess.run(["gcc", "-shared", "-fPIC", "-O0", "-Wall",
                        "-o", str(out), str(MOCK_SOURCE)],
                       check=True, capture_output=True, timeout=TIMEOUT)
        _built[key] = out
    return _built[key]


def mock_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process run under the mock."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = str(mock_library())
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                       if p])
    env.update(extra or {})
    return env


def xl_dry_run_json(xl_config_text: str) -> dict[str, Any]:
    """The libxl_domain_config JSON that ``xl -N create`` prints for a
    config.  Raises RuntimeError (with xl's stderr) when xl rejects it."""
    xl = find_xl()
    if xl is None:
        raise RuntimeError("xl is not installed")
    with tempfile.TemporaryDirectory(prefix="xend-xl-") as tmp:
        cfg = Path(tmp) / "domain.cfg"
        cfg.write_text(xl_config_text)
        proc = subprocess.run([xl, "-N", "create", str(cfg)],
                              env=mock_env(), capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=tmp)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"xl -N create failed (rc {proc.returncode}): "
                           f"{proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    if not isinstance(result, dict):
        raise RuntimeError(f"xl -N create printed {proc.stdout!r}")
    return result


def run_python(code: str, extra_env: dict[str, str] | None = None,
               preload: bool = True) -> Any:
    """Run ``code`` in a fresh interpreter (under the mock when
    ``preload``); it must print one JSON document as its last stdout line,
    which is returned."""
    env = mock_env(extra_env) if preload else {
        **os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
    proc = subprocess.run([sys.executable, "-c", code], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT,
                          cwd=str(REPO))
    if proc.returncode != 0:
        raise RuntimeError(f"python under mock failed (rc {proc.returncode})"
                           f":\n{proc.stderr}")
    lines = proc.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"no output; stderr:\n{proc.stderr}")
    return json.loads(lines[-1])
