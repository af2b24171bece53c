"""A structural check of a libxl save image before libxl reads it.

libxl 4.17 can crash the process on a damaged image (seen in the lab: a
segfault after "stream_header_done: Invalid ident"), and in xend that would
take the daemon down.  So before a restore from a regular file we walk the
image's framing -- libxl's stream header and records, and inside its
LIBXC_CONTEXT record the libxc image header, domain header and records --
reading only the 8-byte record headers and checking that every record fits
in the file and both streams end with their END record.  Page contents are
not checked (the formats carry no checksum).  A pipe or socket (a
migration) cannot be walked ahead and is left to libxl.

Formats: docs/specs/libxl-migration-stream and libxc-migration-stream in
Xen's source.
"""

from __future__ import annotations

import os
import stat
import struct

from xend.errors import HypervisorError

LIBXL_IDENT = b"LibxlFmt"
LIBXL_VERSION = 2
XC_MARKER = b"\xff" * 8
XC_ID = 0x58454E46                  # "XENF"
XC_VERSIONS = (2, 3)
REC_END = 0
REC_LIBXC_CONTEXT = 1               # a libxl record: the libxc stream follows
REC_LENGTH_MAX = 128 << 20          # libxc's limit for one record


class _Reader:
    def __init__(self, fd: int, offset: int, size: int) -> None:
        self.fd, self.start, self.pos, self.size = fd, offset, offset, size

    def fail(self, why: str) -> HypervisorError:
        return HypervisorError(f"restore failed: {why}")

    def read(self, n: int, what: str) -> bytes:
        data = os.pread(self.fd, n, self.pos)
        if len(data) < n:
            raise self.fail(f"the image is truncated (in {what} at byte "
                            f"{self.pos - self.start})")
        self.pos += n
        return data

    def skip_body(self, length: int, what: str) -> None:
        padded = (length + 7) & ~7
        if self.pos + padded > self.size:
            raise self.fail(f"the image is truncated (in {what} at byte "
                            f"{self.pos - self.start})")
        self.pos += padded

    def records(self, endian: str, what: str) -> None:
        """Walk ``what``'s records up to its END."""
        while True:
            rtype, length = struct.unpack(endian + "II",
                                          self.read(8, f"a {what} record"))
            if length > REC_LENGTH_MAX:
                raise self.fail(f"a {what} record of {length} bytes: the "
                                "image is damaged")
            self.skip_body(length, f"a {what} record")
            if rtype == REC_END:
                return
            if what == "libxl" and rtype == REC_LIBXC_CONTEXT:
                self.libxc()

    def libxc(self) -> None:
        marker, ident, version, options = struct.unpack(
            ">8sIIH6x", self.read(24, "the libxc image header"))
        if marker != XC_MARKER or ident != XC_ID:
            raise self.fail("the domain's memory image is damaged (bad libxc "
                            "header)")
        if version not in XC_VERSIONS:
            raise self.fail(f"unsupported libxc image version {version}")
        endian = ">" if options & 1 else "<"
        self.read(16, "the libxc domain header")
        self.records(endian, "libxc")


def check_image(fd: int, offset: int) -> None:
    """Raise HypervisorError("restore failed: ...") unless the libxl image
    at ``offset`` of ``fd`` is whole; a non-regular file passes."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        return
    if st.st_size <= offset:
        raise HypervisorError("restore failed: the image is empty")
    reader = _Reader(fd, offset, st.st_size)
    ident, version, options = struct.unpack(
        ">8sII", reader.read(16, "the libxl header"))
    if ident != LIBXL_IDENT:
        raise reader.fail("not a libxl save image (bad magic)")
    if version != LIBXL_VERSION:
        raise reader.fail(f"unsupported libxl stream version {version}")
    reader.records(">" if options & 1 else "<", "libxl")
