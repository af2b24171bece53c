"""``pip install .`` builds the libxl binding where libxl.h is, and installs
without it (saying so in one line) where it is not or the compile fails.

setup.py's decisions are checked directly; one test builds real wheels from
a copy of the tree (no network: ``--no-build-isolation --no-deps``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEADER = Path("/usr/include/libxl.h")


def load_setup() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xend_setup",
                                                  ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)     # setup() runs only as __main__
    return module


def test_no_header_means_no_extension_and_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    setup = load_setup()
    monkeypatch.setenv("XEND_LIBXL_INCLUDE", str(tmp_path))
    assert setup._extension_args() == {}
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "libxl.h not found (libxen-dev is not installed)" in err
    assert "python -m bindings.build" in err
    monkeypatch.setenv("XEND_BUILD_LIBXL", "yes")
    with pytest.raises(SystemExit, match="libxl.h not found"):
        setup._extension_args()


def test_a_header_adds_the_cffi_module(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    setup = load_setup()
    (tmp_path / "libxl.h").write_text("")
    monkeypatch.setenv("XEND_LIBXL_INCLUDE", str(tmp_path))
    args = setup._extension_args()
    assert args["cffi_modules"] == ["bindings/build.py:ffibuilder"]
    assert args["cmdclass"]["build_ext"] is setup.OptionalBuildExt
    monkeypatch.setenv("XEND_BUILD_LIBXL", "no")
    assert setup._extension_args() == {}


def test_a_failed_compile_is_one_line_not_a_failed_install(
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from setuptools import Distribution
    from setuptools.command.build_ext import build_ext
    setup = load_setup()

    def broken(self: object) -> None:
        raise RuntimeError("gcc: libxl.h:1: error")
    monkeypatch.setattr(build_ext, "run", broken)
    cmd = setup.OptionalBuildExt(Distribution())
    cmd.run()
    assert "not built (gcc: libxl.h:1: error)" in capsys.readouterr().err
    monkeypatch.setenv("XEND_BUILD_LIBXL", "yes")
    with pytest.raises(RuntimeError):
        cmd.run()


def _wheel(tmp_path: Path, **env: str) -> list[str]:
    """Build a wheel from a copy of the tracked tree; its file names."""
    src = tmp_path / "src"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files + ["setup.py"]:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
         "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True, text=True, env=dict(os.environ, **env))
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel).namelist()


@pytest.mark.slow
@pytest.mark.skipif(not HEADER.exists(), reason="libxen-dev not installed")
def test_the_wheel_carries_the_binding(tmp_path: Path) -> None:
    pytest.importorskip("wheel", reason="building a wheel offline needs "
                        "the wheel package (the test extra has it)")
    with_binding = _wheel(tmp_path / "a")
    assert any(n.startswith("bindings/_libxl_cffi") and n.endswith(".so")
               for n in with_binding), with_binding
    without = _wheel(tmp_path / "b", XEND_BUILD_LIBXL="no")
    assert not any(n.startswith("bindings/_libxl_cffi") for n in without)
    assert "xm/main.py" in without
