"""Writes the uncompressed ELF kernel inside a Linux bzImage, for the lab's
PV test guest (build-image.sh bakes it into the image as
/var/lib/xen-lab/guest-kernel.elf).

Why: Debian's bzImage carries its kernel xz-compressed, and libxc unpacks it
in dom0 on every domain build -- 66 MB of xz, about 0.9 s natively and
several seconds under the lab's emulation, for each create.  Handing libxc
the ELF it would have unpacked skips that, and boots the same kernel.

Usage: python3 extract_vmlinux.py BZIMAGE OUT
Exit 1 with a one-line message when no supported payload (xz, gzip) holds
an ELF image; the guest then boots from the bzImage.
"""
from __future__ import annotations

import gzip
import lzma
import os
import sys
import zlib

MAGICS = (
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x1f\x8b\x08", "gzip"),
)


def _unpack(data: bytes, kind: str) -> bytes:
    if kind == "xz":
        return lzma.LZMADecompressor().decompress(data)
    # gzip: raw deflate after the header; trailing bytes are the bzImage's.
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)


def extract(image: bytes) -> bytes | None:
    """The first ELF image found behind a compression magic, or None."""
    for magic, kind in MAGICS:
        start = image.find(magic)
        while start != -1:
            try:
                elf = _unpack(image[start:], kind)
            except (lzma.LZMAError, zlib.error, gzip.BadGzipFile, EOFError):
                elf = b""
            if elf.startswith(b"\x7fELF"):
                return elf
            start = image.find(magic, start + 1)
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: extract_vmlinux.py BZIMAGE OUT", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        elf = extract(f.read())
    if elf is None:
        print(f"extract_vmlinux: no xz or gzip ELF payload in {argv[1]}", file=sys.stderr)
        return 1
    tmp = argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(elf)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
