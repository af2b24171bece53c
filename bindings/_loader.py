"""Load the compiled extension ``bindings._libxl_cffi`` on first use.

Nothing here runs at import time.  :func:`load` imports the module (or a
module file named explicitly, for tests and out-of-tree builds: argument
``path`` or environment variable ``XEND_LIBXL_CFFI``), installs the log
callback, and caches the result.  When the module is not built, or
``libxenlight.so`` cannot be loaded, it raises :class:`NotSupported` with a
one-line "libxl is not available: ..." message.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

from bindings import log
from xend.errors import NotSupported

MODULE_NAME = "bindings._libxl_cffi"
ENV_MODULE_PATH = "XEND_LIBXL_CFFI"
BUILD_HINT = "build it with: python -m bindings.build"


@dataclass(frozen=True)
class Native:
    """The loaded extension: its ``ffi`` and ``lib``, and features."""

    ffi: Any
    lib: Any
    origin: str

    @property
    def features(self) -> frozenset[str]:
        """``LIBXL_HAVE_*`` names (without prefix) of the build headers."""
        names = (self.ffi.string(self.lib.xend_features[i].name).decode()
                 for i in range(self.lib.xend_nfeatures))
        return frozenset(names)

    @property
    def build_version(self) -> str:
        """The libxl version (pkg-config) the module was compiled against."""
        return str(self.ffi.string(self.lib.xend_build_version).decode())


_lock = threading.Lock()
_cache: dict[str, Native] = {}


def _import(path: str | None) -> Any:
    if path is None:
        return importlib.import_module(MODULE_NAME)
    if not os.path.exists(path):
        raise ImportError(f"no such file: {path}")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _install_callbacks(ffi: Any) -> None:
    def log_cb(level: int, errnoval: int, context: Any, msg: Any) -> None:
        try:
            ctx = ffi.string(context).decode(errors="replace") \
                if context != ffi.NULL else None
            log.emit(level, errnoval, ctx,
                     ffi.string(msg).decode(errors="replace"))
        except Exception:   # never let an exception unwind into libxl
            pass

    ffi.def_extern(name="xend_log_cb")(log_cb)


def load(path: str | None = None) -> Native:
    """The extension, loaded once per process (per explicit path)."""
    path = path or os.environ.get(ENV_MODULE_PATH) or None
    key = path or MODULE_NAME
    with _lock:
        native = _cache.get(key)
        if native is not None:
            return native
        try:
            module = _import(path)
        except (ImportError, OSError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, ModuleNotFoundError) and path is None:
                detail = f"module {MODULE_NAME} is not built ({BUILD_HINT})"
            raise NotSupported(f"libxl is not available: {detail}") from None
        _install_callbacks(module.ffi)
        native = Native(module.ffi, module.lib,
                        getattr(module, "__file__", None) or key)
        _cache[key] = native
        return native


def is_built() -> bool:
    """Whether the default module file exists (without loading it)."""
    if os.environ.get(ENV_MODULE_PATH):
        return os.path.exists(os.environ[ENV_MODULE_PATH])
    if MODULE_NAME in sys.modules:
        return True
    return importlib.util.find_spec(MODULE_NAME) is not None
