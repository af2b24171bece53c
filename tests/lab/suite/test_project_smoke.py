"""Lab smoke test of the project itself in dom0: its libxl binding opens a
real libxl context against this Xen host.  This is the floor every xm/xend
scenario on the libxl backend stands on, so it is checked on its own."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.lab


@pytest.mark.scenario("libxl-binding")
def test_libxl_binding_opens_context() -> None:
    if os.environ.get("LAB_PROJECT_INSTALLED") == "fail":
        pytest.fail("the project did not install in dom0 (see install.log)")
    if not os.environ.get("XEND_LIBXL_CFFI"):
        pytest.skip("no libxl binding was built in dom0 (see bindings-build.log)")
    from bindings.context import Context

    ctx = Context()
    try:
        assert ctx.ctx != ctx.ffi.NULL
    finally:
        ctx.close()
