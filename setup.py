"""setuptools hook: build the libxl binding as part of ``pip install``.

The metadata lives in setup.cfg and pyproject.toml; this file only adds the
cffi extension ``bindings._libxl_cffi`` (``cffi_modules`` with
``bindings/build.py:ffibuilder``) where libxl's headers are installed
(package libxen-dev).  Where they are missing, or the compile fails, the
install goes on without it and says so in one line: xend then runs on the
simulator, and ``python -m bindings.build`` builds the binding later.

``XEND_BUILD_LIBXL``: ``auto`` (the default, as above), ``no`` (never
build it), ``yes`` (a failure to build it fails the install).
``XEND_LIBXL_INCLUDE``: where libxl.h is (default /usr/include).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HINT = ("xend runs on the simulator until `python -m bindings.build` "
        "builds it")


def _note(message: str) -> None:
    print(f"xend-modern: {message}", file=sys.stderr)


def _mode() -> str:
    mode = os.environ.get("XEND_BUILD_LIBXL", "auto").strip().lower()
    return mode if mode in ("auto", "yes", "no") else "auto"


class OptionalBuildExt(build_ext):
    """build_ext that, unless XEND_BUILD_LIBXL=yes, turns a failed compile
    of the libxl binding into one line instead of a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # compiler, linker, cffi: all alike
            if _mode() == "yes":
                raise
            why = (str(exc).strip().splitlines() or [""])[0]
            if not why or len(why) > 100:     # a whole compiler command
                why = (f"{type(exc).__name__}; pip install -v shows the "
                       "compiler's output")
            _note(f"the libxl binding was not built ({why}); {HINT}")


def _extension_args() -> dict[str, Any]:
    mode = _mode()
    if mode == "no":
        _note(f"XEND_BUILD_LIBXL=no: the libxl binding is not built; {HINT}")
        return {}
    include = Path(os.environ.get("XEND_LIBXL_INCLUDE", "/usr/include"))
    if not (include / "libxl.h").exists():
        if mode == "yes":
            raise SystemExit(f"error: {include}/libxl.h not found "
                             "(install libxen-dev), and XEND_BUILD_LIBXL=yes")
        _note(f"{include}/libxl.h not found (libxen-dev is not installed): "
              f"the libxl binding is not built; {HINT}")
        return {}
    return {"cffi_modules": ["bindings/build.py:ffibuilder"],
            "cmdclass": {"build_ext": OptionalBuildExt}}


if __name__ == "__main__":     # as setuptools' build backend runs it
    setup(**_extension_args())
