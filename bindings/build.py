"""Build step for the libxl binding: compile ``bindings/_libxl_cffi``.

Usage::

    python -m bindings.build [--output-dir DIR] [--include-dir DIR]

compiles the cffi API-mode extension against the installed ``libxl.h``
(package ``libxen-dev``) and places ``_libxl_cffi.<abi>.so`` in the
``bindings`` package directory (or ``DIR``).  The module is named
``bindings._libxl_cffi`` either way.

This file also works as a setuptools ``cffi_modules`` entry,
``cffi_modules = bindings/build.py:ffibuilder`` (what setup.py does, where
libxl.h is installed); setuptools executes the file outside the package,
which is why it loads ``_cdef.py`` and ``_shim.py`` by path, and then the
headers are looked for in ``$XEND_LIBXL_INCLUDE`` (default /usr/include).

Every ``#define LIBXL_HAVE_*`` found in the headers becomes an entry of
the runtime table ``xend_features``, so the same sources build unchanged
against newer libxl headers and Python can ask which features exist.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_INCLUDE_DIR = Path("/usr/include")
_HAVE_RE = re.compile(r"^\s*#\s*define\s+LIBXL_HAVE_([A-Z0-9_]+)\b", re.M)


def _load_data_module(name: str) -> ModuleType:
    """bindings/<name>.py, loaded by path (see the module docstring)."""
    spec = importlib.util.spec_from_file_location(f"_xend_libxl{name}",
                                                  HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def header_features(include_dir: Path = DEFAULT_INCLUDE_DIR) -> list[str]:
    """Names X of every ``LIBXL_HAVE_X`` macro in the libxl headers."""
    names: set[str] = set()
    for header in ("libxl.h", "libxl_event.h", "libxl_utils.h",
                   "_libxl_types.h"):
        path = include_dir / header
        if path.exists():
            names.update(_HAVE_RE.findall(path.read_text(errors="replace")))
    return sorted(names)


def libxl_build_version() -> str:
    """``pkg-config --modversion xenlight``, or "" when unavailable."""
    try:
        out = subprocess.run(["pkg-config", "--modversion", "xenlight"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def _pkgconfig_flags() -> dict[str, list[str]]:
    """Compiler/linker flags for xenlight and xentoollog via pkg-config."""
    try:
        out = subprocess.run(
            ["pkg-config", "--cflags", "--libs", "xenlight", "xentoollog"],
            capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    libraries = [f[2:] for f in out if f.startswith("-l")]
    include_dirs = [f[2:] for f in out if f.startswith("-I")]
    library_dirs = [f[2:] for f in out if f.startswith("-L")]
    for lib in ("xenlight", "xentoollog"):
        if lib not in libraries:
            libraries.append(lib)
    return {"libraries": libraries, "include_dirs": include_dirs,
            "library_dirs": library_dirs}


def ffibuilder(include_dir: str | os.PathLike[str] | None = None) -> Any:
    """A cffi FFI with the cdef and the C shim source assigned."""
    import cffi

    cdef = _load_data_module("_cdef")
    shim = _load_data_module("_shim")
    # setup.py calls this without arguments: $XEND_LIBXL_INCLUDE says where.
    include_dir = include_dir or os.environ.get("XEND_LIBXL_INCLUDE") or None
    inc = Path(include_dir) if include_dir else DEFAULT_INCLUDE_DIR
    version = libxl_build_version().replace("\\", "").replace('"', "")
    features = "\n".join(
        f'#ifdef LIBXL_HAVE_{name}\n    {{ "{name}", 1 }},\n#endif'
        for name in header_features(inc))
    flags = _pkgconfig_flags()
    if include_dir:
        flags["include_dirs"].insert(0, str(inc))
    ffi = cffi.FFI()
    ffi.cdef(cdef.cdef())
    ffi.set_source(cdef.MODULE_NAME,
                   shim.C_SOURCE.format(features=features,
                                        build_version=version),
                   extra_compile_args=["-Wno-unused-function"],
                   **flags)
    return ffi


def build(output_dir: str | os.PathLike[str] | None = None,
          include_dir: str | os.PathLike[str] | None = None,
          verbose: bool = False) -> Path:
    """Compile the extension; return the path of the ``.so`` it wrote.

    Compilation happens in a temporary directory, so only the finished
    module lands in ``output_dir`` (default: the ``bindings`` package).
    """
    out = Path(output_dir) if output_dir else HERE
    out.mkdir(parents=True, exist_ok=True)
    ffi = ffibuilder(include_dir)
    with tempfile.TemporaryDirectory(prefix="xend-libxl-build-") as tmp:
        built = Path(ffi.compile(tmpdir=tmp, verbose=verbose))
        target = out / built.name
        partial = out / (built.name + ".tmp")
        shutil.copyfile(built, partial)
        os.replace(partial, target)   # atomic: a loader never sees half
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bindings.build",
        description="Compile bindings/_libxl_cffi against libxl.h.")
    parser.add_argument("--output-dir", help="where to put the module "
                        "(default: the bindings package directory)")
    parser.add_argument("--include-dir", help="directory holding libxl.h "
                        f"(default: {DEFAULT_INCLUDE_DIR})")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        path = build(args.output_dir, args.include_dir, args.verbose)
    except Exception as exc:   # compiler/cffi errors of every kind
        print(f"bindings.build: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
