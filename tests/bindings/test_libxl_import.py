"""`import bindings` and the libxl backend without Xen and without the
compiled extension: importing works, use fails with one clear line."""

from __future__ import annotations

import textwrap

import xlmock

# Runs in a fresh interpreter in which bindings._libxl_cffi cannot be
# imported even if someone built it in the work tree.
NO_MODULE = textwrap.dedent("""
    import importlib.abc, json, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "bindings._libxl_cffi":
                raise ModuleNotFoundError(f"No module named {name!r}",
                                          name=name)
            return None

    sys.meta_path.insert(0, Block())
    out = {}
    import bindings
    out["loaded_at_import"] = "bindings._libxl_cffi" in sys.modules
    out["reason"] = bindings.unavailable_reason()
    from xend.errors import XendError
    try:
        bindings.Libxl()
    except XendError as exc:
        out["libxl"] = [type(exc).__name__, str(exc)]
    from xend.hv import make_hypervisor
    hv = make_hypervisor("libxl")
    out["kind"] = hv.kind
    try:
        hv.host_info()
    except XendError as exc:
        out["host_info"] = [type(exc).__name__, str(exc)]
    hv.close()
    print(json.dumps(out))
""")


def test_import_and_use_without_the_extension() -> None:
    out = xlmock.run_python(NO_MODULE, preload=False)
    assert out["loaded_at_import"] is False
    assert out["reason"] == ("libxl is not available: module "
                             "bindings._libxl_cffi is not built (build it "
                             "with: python -m bindings.build)")
    assert out["libxl"] == ["NotSupported", out["reason"]]
    assert out["kind"] == "libxl"
    assert out["host_info"] == ["NotSupported", out["reason"]]


def test_explicit_module_path_that_does_not_exist() -> None:
    code = textwrap.dedent("""
        import json, bindings
        print(json.dumps(bindings.unavailable_reason("/nonexistent/x.so")))
    """)
    reason = xlmock.run_python(code, preload=False)
    assert reason == "libxl is not available: no such file: /nonexistent/x.so"
