"""Exact-name dispatch and parameter checks."""

import pytest

from xend.errors import InternalError
from xend.rpc import protocol
from xend.rpc.api import BY_NAME, METHODS
from xend.rpc.registry import Registry


def test_unknown_method():
    with pytest.raises(protocol.FrameError) as err:
        Registry().lookup("xend.domain.__class__")
    assert err.value.code == protocol.METHOD_NOT_FOUND


def test_only_table_methods_register():
    reg = Registry()
    with pytest.raises(InternalError):
        reg.register("os.system", print)
    reg.register("xend.version", lambda: 1)
    with pytest.raises(InternalError):
        reg.register("xend.version", lambda: 2)
    assert "xend.version" not in reg.missing()
    assert len(reg.missing()) == len(METHODS) - 1


@pytest.mark.parametrize("name, params, ok", [
    ("xend.domain.setMemoryTarget", ["web1", 512], True),
    ("xend.domain.setMemoryTarget", [3, 512], True),
    ("xend.domain.setMemoryTarget", ["web1"], False),
    ("xend.domain.setMemoryTarget", ["web1", "512"], False),
    ("xend.domain.setMemoryTarget", ["web1", True], False),
    ("xend.domain.setMemoryTarget", ["", 5], False),
    ("xend.domain.setMemoryTarget", [-1, 5], False),
    ("xend.domain.setMemoryTarget", ["a", 1, 2], False),
    ("xend.domain.sched_credit_set", ["a"], True),
    ("xend.domain.sched_credit_set", ["a", None, 5], True),
    ("xend.domain.sched_credit_set", ["a", "x"], False),
    ("xend.domain.create", [{"name": "x"}], True),
    ("xend.domain.create", ["x"], False),
])
def test_check_params(name, params, ok):
    method = BY_NAME[name]
    if ok:
        full = Registry.check_params(method, params)
        assert len(full) == len(method.params)
    else:
        with pytest.raises(protocol.FrameError) as err:
            Registry.check_params(method, params)
        assert err.value.code == protocol.INVALID_PARAMS
