"""The framing check of libxl save images (xend/hv/libxl_stream.py)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from xend.errors import HypervisorError
from xend.hv.libxl_stream import check_image


def _rec(rtype: int, body: bytes = b"") -> bytes:
    pad = b"\0" * (-len(body) % 8)
    return struct.pack("<II", rtype, len(body)) + body + pad


def image() -> bytes:
    """A well-formed image: libxl header, a domain JSON record, the libxc
    stream (image + domain header, a page record, END), libxl END."""
    libxc = (struct.pack(">8sIIH6x", b"\xff" * 8, 0x58454E46, 3, 0)
             + struct.pack("<IHHII", 1, 12, 0, 4, 17)
             + _rec(1, b"p" * 4100) + _rec(2, b"info") + _rec(0))
    return (struct.pack(">8sII", b"LibxlFmt", 2, 0) + _rec(6, b'{"x": 1}')
            + _rec(1) + libxc + _rec(2, b"xs data") + _rec(0))


def _check(tmp_path: Path, data: bytes, offset: int = 0) -> None:
    path = tmp_path / "img"
    path.write_bytes(b"H" * offset + data)
    fd = os.open(path, os.O_RDONLY)
    try:
        check_image(fd, offset)
    finally:
        os.close(fd)


def test_a_whole_image_passes(tmp_path: Path) -> None:
    _check(tmp_path, image())
    _check(tmp_path, image(), offset=37)     # after xend's own header


@pytest.mark.parametrize("damage,message", [
    (lambda d: b"", "empty"),
    (lambda d: b"XXXX" + d[4:], "bad magic"),
    (lambda d: d[:len(d) // 2], "truncated"),
    (lambda d: d[:-8], "truncated"),
    (lambda d: d[:16] + struct.pack("<II", 6, 1 << 30) + d[24:], "damaged"),
    (lambda d: d[:16 + 16 + 8] + b"\0" * 8 + d[48:], "bad libxc header"),
])
def test_damage_is_named(tmp_path: Path, damage, message: str) -> None:
    with pytest.raises(HypervisorError, match=f"restore failed: .*{message}"):
        _check(tmp_path, damage(image()))


def test_a_pipe_is_left_to_libxl() -> None:
    r, w = os.pipe()
    try:
        check_image(r, 0)
    finally:
        os.close(r)
        os.close(w)
