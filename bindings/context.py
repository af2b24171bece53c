"""The libxl context and the JSON <-> struct plumbing every wrapper uses.

:class:`Context` owns one ``libxl_ctx`` and its logger: it creates the
logger, allocates the ctx, and sets the child-process mode to
``libxl_sigchld_owner_libxl_always_selective_reap`` at once (libxl must
reap only its own children: xend runs ``subprocess`` too).  The typed
operations live in :class:`bindings.libxl.Libxl`, which builds on this.

Structs are never read field by field: :meth:`Context.struct` yields an
initialised C struct filled from a JSON document, and :meth:`to_dict`
turns a struct back into a dict with ``libxl_<type>_to_json``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bindings import log
from bindings._loader import Native, load
from bindings.errors import ERROR_INVAL, check, fail
from xend.errors import HypervisorError, InternalError, InvalidArgument

JSON = dict[str, Any]


class Context:
    """One open libxl context (thread-safe, as libxl_ctx is)."""

    def __init__(self, *, module_path: str | None = None,
                 log_level: int | None = None) -> None:
        self.native: Native = load(module_path)
        self.ffi: Any = self.native.ffi
        self.lib: Any = self.native.lib
        self._closed = False
        self._close_lock = threading.Lock()
        level = log_level if log_level is not None else log.xtl_min_level()
        self._logger = self.lib.xend_logger_new(level)
        if self._logger == self.ffi.NULL:
            raise InternalError("libxl logger allocation failed")
        pctx = self.ffi.new("libxl_ctx **")
        rc = self.lib.libxl_ctx_alloc(pctx, self.lib.LIBXL_VERSION, 0,
                                      self._logger)
        if rc or pctx[0] == self.ffi.NULL:
            self.lib.xtl_logger_destroy(self._logger)
            raise HypervisorError(
                "libxl is not available: cannot open a libxl context "
                f"(rc {rc}; is this a Xen dom0 with xenstored running? "
                f"see the {log.LOGGER_NAME} log)")
        self.ctx: Any = pctx[0]
        self.lib.xend_childproc_selective_reap(self.ctx)

    # -- lifetime ------------------------------------------------------
    def close(self) -> None:
        """Free the ctx, then the logger (libxl's required order)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.lib.libxl_ctx_free(self.ctx)
        self.lib.xtl_logger_destroy(self._logger)
        self.ctx = self.ffi.NULL

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def features(self) -> frozenset[str]:
        return self.native.features

    def has_feature(self, name: str) -> bool:
        """Whether the build headers defined ``LIBXL_HAVE_<name>``."""
        return name.upper().removeprefix("LIBXL_HAVE_") in self.features

    # -- strings -------------------------------------------------------
    def take_string(self, cptr: Any) -> str | None:
        """Decode a malloc'd ``char *`` from libxl and free it."""
        if cptr == self.ffi.NULL:
            return None
        try:
            return str(self.ffi.string(cptr).decode(errors="replace"))
        finally:
            self.lib.free(cptr)

    # -- JSON <-> struct ----------------------------------------------
    def to_dict(self, typename: str, ptr: Any) -> JSON:
        """``libxl_<typename>_to_json`` of ``ptr`` as a dict."""
        text = self.take_string(
            getattr(self.lib, f"libxl_{typename}_to_json")(self.ctx, ptr))
        if text is None:
            fail(f"libxl_{typename}_to_json")
        value = json.loads(text)
        if not isinstance(value, dict):
            raise InternalError(f"libxl_{typename}_to_json gave {text!r}")
        return value

    def array_to_dicts(self, typename: str, array: Any,
                       count: int) -> list[JSON]:
        """Each element of a libxl-allocated array, by pointer arithmetic."""
        return [self.to_dict(typename, array + i) for i in range(count)]

    @contextmanager
    def struct(self, typename: str,
               doc: JSON | None = None) -> Iterator[Any]:
        """An initialised ``libxl_<typename> *``, filled from ``doc``.

        The struct is disposed when the block ends, whatever happens.
        """
        ptr = self.ffi.new(f"libxl_{typename} *")
        getattr(self.lib, f"libxl_{typename}_init")(ptr)
        try:
            if doc is not None:
                text = json.dumps(doc).encode()
                rc = getattr(self.lib, f"libxl_{typename}_from_json")(
                    self.ctx, ptr, text)
                if rc < 0:
                    # -3 for a bad enum or uuid string; call it what it is.
                    rc = ERROR_INVAL
                check(rc, f"parsing libxl_{typename} JSON")
            yield ptr
        finally:
            getattr(self.lib, f"libxl_{typename}_dispose")(ptr)

    def roundtrip(self, typename: str, doc: JSON) -> JSON:
        """``doc`` as libxl reads it: from_json then to_json.

        Keys libxl does not know, or whose JSON type is wrong, are dropped
        silently by libxl; comparing the result with ``doc`` shows them.
        """
        with self.struct(typename, doc) as ptr:
            return self.to_dict(typename, ptr)

    @contextmanager
    def bitmap(self, bits: list[int], nbits: int | None = None,
               what: str = "bitmap") -> Iterator[Any]:
        """A ``libxl_bitmap *`` with ``bits`` set.

        ``nbits`` None means a host CPU map (libxl_cpu_bitmap_alloc, sized
        for the host's max cpus); bits outside the map are an error.
        """
        bm = self.ffi.new("libxl_bitmap *")
        self.lib.libxl_bitmap_init(bm)
        try:
            if nbits is None:
                check(self.lib.libxl_cpu_bitmap_alloc(self.ctx, bm, 0),
                      "libxl_cpu_bitmap_alloc")
            else:
                check(self.lib.libxl_bitmap_alloc(self.ctx, bm, nbits),
                      "libxl_bitmap_alloc")
            size = bm.size * 8
            for bit in bits:
                if not 0 <= bit < size:
                    raise InvalidArgument(f"{what}: {bit} is out of range "
                                          f"0..{size - 1}")
                self.lib.libxl_bitmap_set(bm, bit)
            yield bm
        finally:
            self.lib.libxl_bitmap_dispose(bm)
