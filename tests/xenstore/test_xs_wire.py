"""The pure wire module, on literal bytes."""

from __future__ import annotations

import struct

import pytest

from xenstore import perms, wire
from xenstore.paths import backend_path, dom_path, domid_of, vm_path
from xenstore.wire import Decoder, Message, Op, WireError


def test_encode_read_request_literal() -> None:
    data = wire.encode(Op.READ, 7, 0, b"/a\0")
    assert data == (b"\x02\x00\x00\x00" b"\x07\x00\x00\x00"
                    b"\x00\x00\x00\x00" b"\x03\x00\x00\x00" b"/a\0") \
        if struct.pack("=I", 1) == b"\x01\x00\x00\x00" else data
    assert len(data) == 16 + 3


def test_decoder_splits_and_joins_chunks() -> None:
    a = wire.encode(Op.WRITE, 1, 5, b"/x\0val")
    b = wire.encode(Op.WATCH_EVENT, 0, 0, b"/x\0tok\0")
    dec = Decoder()
    assert dec.feed(a[:10]) == []
    assert dec.feed(a[10:] + b[:3]) == [Message(Op.WRITE, 1, 5, b"/x\0val")]
    assert dec.pending == 3
    assert dec.feed(b[3:]) == [Message(Op.WATCH_EVENT, 0, 0, b"/x\0tok\0")]
    assert dec.pending == 0


def test_oversized_payload_is_a_wire_error() -> None:
    header = struct.pack("=IIII", Op.READ, 1, 0, 4097)
    with pytest.raises(WireError):
        Decoder().feed(header)
    with pytest.raises(WireError):
        wire.encode(Op.WRITE, 1, 0, b"x" * 4097)
    assert len(wire.encode(Op.WRITE, 1, 0, b"x" * 4096)) == 16 + 4096


def test_payload_helpers() -> None:
    assert wire.join(b"a", b"", b"b") == b"a\0\0b\0"
    assert wire.strings(b"a\0b\0trailing") == [b"a", b"b"]
    assert wire.onearg(b"/p\0") == b"/p"
    assert wire.onearg(b"/p") is None
    assert wire.onearg(b"/p\0x\0") is None
    assert wire.onearg(b"") is None
    assert wire.parse_error(b"ENOENT\0") == "ENOENT"
    assert wire.error_payload("EAGAIN") == b"EAGAIN\0"
    assert wire.c_atoi(b" 42abc") == 42
    assert wire.c_atoi(b"x") == 0
    assert wire.c_atoi(b"-1") == 0xFFFFFFFF


def test_error_names_are_xs_wire_order() -> None:
    assert wire.ERROR_NAMES[0] == "EINVAL"
    assert wire.ERROR_NAMES[-1] == "EPERM"
    assert Op.DIRECTORY_PART == 22 and Op.RESET_WATCHES == 21


@pytest.mark.parametrize("text,access,domid", [
    ("n0", perms.NONE, 0), ("r5", perms.READ, 5), ("w7", perms.WRITE, 7),
    ("b0x10", perms.READ | perms.WRITE, 16), ("r010", perms.READ, 8),
    ("n-1", perms.NONE, 0xFFFFFFFF)])
def test_perm_parse(text: str, access: int, domid: int) -> None:
    p = perms.parse(text)
    assert (p.access, p.domid) == (access, domid)


@pytest.mark.parametrize("bad", ["", "x1", "r", "r1z", "r 1 "])
def test_perm_parse_rejects(bad: str) -> None:
    with pytest.raises(perms.PermError):
        perms.parse(bad)


def test_perm_format_and_access_rule() -> None:
    plist = perms.parse_list(["r3", "n4", "b5"])
    assert perms.format_list(plist) == ["r3", "n4", "b5"]
    assert str(perms.parse("n-1")) == "n-1"
    full = perms.READ | perms.WRITE | perms.OWNER
    assert perms.access_for(plist, 3, False) == full       # owner
    assert perms.access_for(plist, 4, False) == perms.NONE
    assert perms.access_for(plist, 5, False) == perms.READ | perms.WRITE
    assert perms.access_for(plist, 9, False) == perms.READ  # default
    assert perms.access_for(plist, 9, True) == full         # privileged
    assert perms.access_for(plist, 9, False, target=3) == full


def test_paths() -> None:
    assert dom_path(7) == "/local/domain/7"
    assert vm_path("u") == "/vm/u"
    assert backend_path(0, "vbd", 3, 51712) == \
        "/local/domain/0/backend/vbd/3/51712"
    assert domid_of("/local/domain/12/name") == 12
    assert domid_of("/vm/x") is None
