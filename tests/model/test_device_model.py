"""xm's ``device_model``: libxl's default, a stub domain, or refused --
never dropped without a word."""

from __future__ import annotations

import pytest

from xend.errors import ConfigError
from xend.model.domconfig import DomainConfig
from xend.model.libxl_json import from_libxl_json, to_libxl_json


def hvm(device_model: str | None, **kw: object) -> DomainConfig:
    platform = {} if device_model is None else {"device_model": device_model}
    return DomainConfig(name="h", builder=str(kw.pop("builder", "hvm")),
                        kernel=str(kw.pop("kernel", "hvmloader")),
                        platform=platform, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [
    None, "", "qemu-dm", "/usr/lib/xen/bin/qemu-dm",
    "/usr/lib64/xen/bin/qemu-dm", "/usr/lib/xen/bin/qemu-system-i386"])
def test_the_default_device_model_is_libxls_own(value):
    b_info = to_libxl_json(hvm(value))["b_info"]
    assert "device_model_stubdomain" not in b_info
    assert "device_model" not in b_info


@pytest.mark.parametrize("value", ["stubdom-dm", "/usr/lib/xen/bin/stubdom-dm"])
def test_stubdom_dm_is_a_stub_domain(value):
    doc = to_libxl_json(hvm(value, cpu_weight=300))
    b_info = doc["b_info"]
    print(f"device_model={value!r} -> {list(b_info)}")
    assert b_info["device_model_stubdomain"] == "True"
    keys = list(b_info)     # libxl IDL order: before sched_params
    assert keys.index("device_model_stubdomain") < keys.index("sched_params")
    assert keys.index("target_memkb") < keys.index("device_model_stubdomain")
    # and back, for a domain xend finds running
    assert from_libxl_json(doc).platform["device_model"] == "stubdom-dm"


@pytest.mark.parametrize("value", ["/opt/qemu/bin/my-qemu", "qemu-dm-debug",
                                   "stubdom"])
def test_other_device_models_are_refused(value):
    with pytest.raises(ConfigError) as caught:
        to_libxl_json(hvm(value))
    print(caught.value)
    assert str(caught.value).startswith(f"Unsupported device_model '{value}'")
    assert "\n" not in str(caught.value)


def test_stub_domain_is_for_hvm_only():
    with pytest.raises(ConfigError, match="HVM guests only"):
        to_libxl_json(hvm("stubdom-dm", builder="linux", kernel="/k"))
    pv = to_libxl_json(hvm("qemu-dm", builder="linux", kernel="/k"))
    assert "device_model_stubdomain" not in pv["b_info"]
