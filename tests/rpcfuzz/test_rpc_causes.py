"""Regression tests, one per cause of "internal error" replies the RPC
fuzzer (tests/rpcfuzz/fuzzer.py) found: each bad request now gets a
JSON-RPC invalid-params error or a domain error with a clear message.
Internal errors are code 1 (xend.errors.InternalError)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from tests.bootfiles import KERNEL
from xend.errors import InternalError, InvalidArgument, XendError
from xm.client import XendClient


def call(client: XendClient, method: str, *params: object,
         fds: list[int] | None = None) -> XendError:
    """The error the call fails with; never an internal error."""
    with pytest.raises(XendError) as err:
        client.call(method, *params, fds=fds)
    print(f"{method}{params!r}: {type(err.value).__name__}: {err.value}")
    assert not isinstance(err.value, InternalError), err.value
    assert "\n" not in str(err.value)
    return err.value


@pytest.mark.parametrize("writing, flags", [
    (False, os.O_WRONLY | os.O_CREAT),     # restore from a write-only file
    (True, os.O_RDONLY | os.O_CREAT),      # save into a read-only file
])
def test_passed_file_of_the_wrong_mode(client, running, tmp_path: Path,
                                       writing, flags):
    fd = os.open(tmp_path / "img", flags, 0o600)
    try:
        if writing:
            err = call(client, "xend.domain.save", running, False, fds=[fd])
        else:
            err = call(client, "xend.domain.restore", False, fds=[fd])
    finally:
        os.close(fd)
    assert isinstance(err, InvalidArgument)
    assert "not open for " + ("writing" if writing else "reading") \
        in str(err)


def test_passed_directory(client, tmp_path: Path):
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        err = call(client, "xend.domain.restore", False, fds=[fd])
    finally:
        os.close(fd)
    assert isinstance(err, InvalidArgument)
    assert "is a directory" in str(err)


def test_save_image_header_nested_deep(client, tmp_path: Path):
    body = b'{"format": 1, "config": ' + b"[" * 100_000 + b"]" * 100_000 \
        + b"}"
    image = tmp_path / "deep.img"
    image.write_bytes(b"LinuxGuestRecord" + len(body).to_bytes(4, "big")
                      + body)
    fd = os.open(image, os.O_RDONLY)
    try:
        err = call(client, "xend.domain.restore", False, fds=[fd])
    finally:
        os.close(fd)
    assert "unreadable domain configuration" in str(err)


@pytest.mark.parametrize("ref", ["²", "٣", "१२", "99999999999",
                                 str(10**30), 10**30, 32752])
@pytest.mark.parametrize("method", ["xend.domain", "xend.domain.pause",
                                    "xend.domain.getVCPUInfo"])
def test_unknown_numeric_domain(client, running, method, ref):
    """Unicode digits and ids beyond Xen's range are unknown domains
    (xm exits 3), not a ValueError from int() or an overflow in libxl."""
    err = call(client, method, ref)
    assert err.code == 3 and "does not exist" in str(err)


def test_out_of_range_domid_never_reaches_the_hypervisor(daemon, running):
    # cffi raises OverflowError for a uint32_t domid >= 2**32: libxl
    # must never be asked about an id that cannot exist.
    asked: list[int] = []
    real = daemon.hv.domain_info

    def domain_info(domid: int):
        asked.append(domid)
        return real(domid)
    daemon.hv.domain_info = domain_info          # type: ignore[method-assign]
    from xend.errors import DomainNotFound
    for ref in (2**32, str(2**64), 0x7FF0):
        with pytest.raises(DomainNotFound):
            daemon.manager.resolve(ref)
    assert asked == []


@pytest.mark.parametrize("dev", ["²", "١"])
def test_detach_vif_by_unicode_digit(client, running, dev):
    err = call(client, "xend.domain.destroyDevice", running, "vif", dev)
    assert isinstance(err, InvalidArgument)
    assert f"Invalid device: {dev}" in str(err)


def _cfg(name: str = "bad1", **extra: object) -> dict[str, object]:
    return {"name": name, "kernel": KERNEL, "memory": 64, **extra}


@pytest.mark.parametrize("disk", [
    {"uname": 5, "dev": "xvdb", "mode": "w"},
    {"uname": "phy:/dev/loop0", "dev": 1.5, "mode": "w"},
    {"uname": "phy:/dev/loop0", "dev": "xvdb", "mode": None},
    {"uname": "phy:/dev/loop0", "dev": ["xvdb"], "mode": "w"},
    {"uname": "phy:/dev/loop0", "dev": "xvdb", "backend": 0},
])
def test_disk_field_of_the_wrong_type(client, running, disk):
    """A disk's fields are strings: anything else was a TypeError or an
    AttributeError inside DiskSpec.validate."""
    for method, params in (
            ("xend.domain.create", (_cfg(disks=[disk]),)),
            ("xend.domain.new", (_cfg(disks=[disk]),)),
            ("xend.domain.device_create", (running, "vbd", disk))):
        err = call(client, method, *params)
        assert "must be a string" in str(err)


@pytest.mark.parametrize("pci, what", [
    ({"bus": math.inf, "slot": 0, "func": 0}, "infinity"),
    ({"bus": 1e300, "slot": 0, "func": 0}, "must be between"),
    ({"bus": 0, "slot": 0, "func": 9}, "func must be between 0 and 0x7"),
    ({"bus": -1, "slot": 0, "func": 0}, "bus must be between"),
    ({"bus": 0, "slot": 0, "func": 0, "seize": 2}, "seize must be"),
])
def test_pci_field_out_of_range(client, pci, what):
    err = call(client, "xend.domain.create", _cfg(pci=[pci]))
    assert what in str(err)


@pytest.mark.parametrize("where", ["vfbs", "platform"])
@pytest.mark.parametrize("display", ["[]", "abc", "-1", "99999", "²"])
def test_vnc_display_not_a_number(client, where, display):
    """vncdisplay went through int() when the domain was built:
    ValueError for anything but digits."""
    if where == "vfbs":
        cfg = _cfg(vfbs=[{"vnc": "1", "vncdisplay": display}])
    else:
        cfg = _cfg(builder="hvm", platform={"vnc": 1,
                                            "vncdisplay": display})
    err = call(client, "xend.domain.create", cfg)
    assert "Invalid value for vncdisplay" in str(err)
    assert client.call("xend.domains_with_state", False) == ["Domain-0"]


@pytest.mark.parametrize("vcpu", [-1, 4, 2**32, 10**30])
def test_trigger_vcpu_out_of_range(client, daemon, running, vcpu):
    """libxl's send_trigger takes a uint32_t vcpu (cffi raised
    OverflowError: internal error): the range is checked before the
    backend is asked, for both backends."""
    asked: list[int] = []
    daemon.hv.send_trigger = lambda d, t, v=0: asked.append(v)  # type: ignore
    err = call(client, "xend.domain.send_trigger", running, "nmi", vcpu)
    assert isinstance(err, InvalidArgument)
    assert f"vcpu {vcpu} does not exist" in str(err)
    assert asked == []


def test_sysrq_key_not_ascii(client, running):
    err = call(client, "xend.domain.send_sysrq", running, "é")
    assert isinstance(err, InvalidArgument)
