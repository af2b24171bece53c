"""The xl save header and the xl migrate handshake, on literal bytes."""

from __future__ import annotations

import io

import pytest

from xend.errors import InvalidArgument, ProtocolError
from xend.migrate import xlformat as xf

MAGIC = b"Xen saved domain, xl format\n \x00 \r"
CONFIG_TEXT = b'{\n    "c_info": {\n        "name": "a"\n    }\n}\n\x00'
# the 16 bytes after the magic, little- and big-endian: mark, flags 3, 0,
# optional data length 51 (4 + 47)
LE_FIELDS = bytes.fromhex("04030201" "03000000" "00000000" "33000000")
BE_FIELDS = bytes.fromhex("01020304" "00000003" "00000000" "00000033")
LE_HEADER = MAGIC + LE_FIELDS + bytes.fromhex("2f000000") + CONFIG_TEXT
BE_HEADER = MAGIC + BE_FIELDS + bytes.fromhex("0000002f") + CONFIG_TEXT


def test_constants_are_xls_bytes() -> None:
    assert xf.MAGIC == MAGIC and len(xf.MAGIC) == 32
    assert xf.HEADER_SIZE == 48
    assert (xf.FLAG_JSON, xf.FLAG_STREAM_V2) == (1, 2)
    assert xf.RECEIVER_BANNER == (b"xl migration receiver ready, send "
                                  b"binary domain data.\n")
    assert len(xf.RECEIVER_BANNER) == 54
    assert xf.RECEIVER_READY == b"domain received, ready to unpause\x00"
    assert len(xf.RECEIVER_READY) == 34
    assert xf.PERMISSION_TO_UNPAUSE == (b"domain is yours, you are cleared "
                                        b"to unpause\x00")
    assert len(xf.PERMISSION_TO_UNPAUSE) == 44
    assert xf.UNPAUSE_REPORT == (b"my copy unpause results are as "
                                 b"follows\x00")
    assert len(xf.UNPAUSE_REPORT) == 39


@pytest.mark.parametrize("order, expected", [("little", LE_HEADER),
                                              ("big", BE_HEADER)])
def test_build_header(order: str, expected: bytes) -> None:
    assert xf.build_header({"c_info": {"name": "a"}}, order) == expected


def test_build_header_drops_the_domid() -> None:
    doc = {"c_info": {"name": "a", "domid": 7}}
    assert xf.build_header(doc, "little") == LE_HEADER
    assert doc["c_info"]["domid"] == 7            # the caller's is intact


def test_build_header_native_order_by_default() -> None:
    import sys
    expected = LE_HEADER if sys.byteorder == "little" else BE_HEADER
    assert xf.build_header({"c_info": {"name": "a"}}) == expected


@pytest.mark.parametrize("data, order", [(LE_HEADER, "little"),
                                         (BE_HEADER, "big")])
def test_read_header_both_orders_and_nothing_more(data: bytes,
                                                  order: str) -> None:
    stream = io.BytesIO(data + b"LibxlFmt...")
    hdr = xf.read_header(stream)
    assert hdr.byteorder == order
    assert (hdr.mandatory_flags, hdr.optional_flags) == (3, 0)
    assert hdr.config == {"c_info": {"name": "a"}}
    assert hdr.stream_version == 2
    assert hdr.length == len(data) == 99
    assert stream.read() == b"LibxlFmt..."        # left at the image


def test_read_header_after_sniffing() -> None:
    stream = io.BytesIO(LE_HEADER[16:] + b"IMG")
    hdr = xf.read_header(stream, already=LE_HEADER[:16])
    assert hdr.config == {"c_info": {"name": "a"}}
    assert stream.read() == b"IMG"
    with pytest.raises(InvalidArgument, match="magic not found"):
        xf.read_header(io.BytesIO(LE_HEADER[16:]), already=b"LinuxGuestRecord")


def test_parse_header_in_memory() -> None:
    hdr = xf.parse_header(BE_HEADER + b"rest")
    assert hdr.length == 99 and hdr.byteorder == "big"


def test_optional_data_after_the_config_is_skipped() -> None:
    # a later xl may append optional data: its length covers it
    fields = bytes.fromhex("04030201" "03000000" "01000000" "37000000")
    data = MAGIC + fields + bytes.fromhex("2f000000") + CONFIG_TEXT \
        + b"MORE"
    stream = io.BytesIO(data + b"IMG")
    hdr = xf.read_header(stream)
    assert hdr.optional_flags == 1 and hdr.length == len(data)
    assert stream.read() == b"IMG"


def test_stream_v1_is_reported() -> None:
    fields = bytes.fromhex("04030201" "01000000" "00000000" "33000000")
    data = MAGIC + fields + bytes.fromhex("2f000000") + CONFIG_TEXT
    assert xf.read_header(io.BytesIO(data)).stream_version == 1


def _fields(mandatory: int = 3, optlen: int = 0x33,
            mark: bytes = b"\x04\x03\x02\x01") -> bytes:
    return (MAGIC + mark + mandatory.to_bytes(4, "little")
            + bytes(4) + optlen.to_bytes(4, "little"))


@pytest.mark.parametrize("data, message", [
    (b"", "truncated"),
    (MAGIC[:20], "truncated"),
    (b"Xen saved domain, xm format\n \x00 \r" + LE_FIELDS, "magic not found"),
    (_fields(mark=b"\x01\x01\x01\x01"), "bad byte-order mark 01010101"),
    (_fields(mandatory=3 | 8), "unknown mandatory flags 0x8"),
    (_fields(mandatory=2), "xl's old binary format"),
    (_fields(mandatory=0), "xl's old binary format"),
    (_fields(optlen=0xFFFFFFFF), "absurd optional data length 4294967295"),
    (_fields(optlen=2) + b"\x00\x00", "no domain configuration"),
    (_fields(), "truncated \\(in the domain configuration\\)"),
    (_fields(optlen=8) + bytes.fromhex("05000000") + b"{}\0\0",
     "bad domain configuration length 5"),
    (_fields(optlen=4) + bytes(4), "bad domain configuration length 0"),
    (_fields(optlen=8) + bytes.fromhex("04000000") + b"{ab\0",
     "not JSON"),
    (_fields(optlen=8) + bytes.fromhex("04000000") + b"[1]\0",
     "not a JSON object"),
    (_fields(optlen=8) + bytes.fromhex("04000000") + b"\xff\xfe{\0",
     "not JSON"),
])
def test_bad_headers(data: bytes, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        xf.read_header(io.BytesIO(data))


def test_absurd_length_is_refused_before_reading() -> None:
    class Stream(io.BytesIO):
        asked: list[int] = []

        def read(self, n: int | None = -1) -> bytes:
            self.asked.append(-1 if n is None else n)
            return super().read(n)
    stream = Stream(_fields(optlen=0x7FFFFFFF) + b"x" * 64)
    with pytest.raises(InvalidArgument, match="absurd"):
        xf.read_header(stream)
    assert max(stream.asked) == 48


def test_short_reads_are_retried() -> None:
    class Trickle(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            return super().read(min(3, n if n and n > 0 else 3))
    stream = Trickle(LE_HEADER + b"IMG")
    assert xf.read_header(stream).config == {"c_info": {"name": "a"}}
    assert stream.getvalue()[stream.tell():] == b"IMG"


def test_bad_byteorder_argument() -> None:
    with pytest.raises(InvalidArgument, match="little or big"):
        xf.build_header({}, "middle")


def test_is_xl_magic() -> None:
    assert xf.is_xl_magic(b"Xen saved domain")
    assert xf.is_xl_magic(MAGIC + b"more")
    assert not xf.is_xl_magic(b"LinuxGuestRecord")
    assert not xf.is_xl_magic(b"")


# -- handshake ---------------------------------------------------------------

def test_expect_message() -> None:
    stream = io.BytesIO(b"domain received, ready to unpause\x00NEXT")
    xf.expect_message(stream, xf.RECEIVER_READY)
    assert stream.read() == b"NEXT"


def test_expect_message_mismatch_and_hangup() -> None:
    with pytest.raises(ProtocolError, match="expected 'domain received, "
                       "ready to unpause', got b'domain refused"):
        xf.expect_message(io.BytesIO(b"domain refused, not ready to go\x00"
                                     b"xx"), xf.RECEIVER_READY)
    with pytest.raises(ProtocolError, match="closed the connection, "
                       "expected 'xl migration receiver ready"):
        xf.expect_message(io.BytesIO(b"xl migration"), xf.RECEIVER_BANNER)


@pytest.mark.parametrize("rc, status", [(0, b"\x00"), (-3, b"\x03"),
                                        (-21, b"\x15")])
def test_unpause_report_round_trip(rc: int, status: bytes) -> None:
    data = xf.unpause_report(rc)
    assert data == b"my copy unpause results are as follows\x00" + status
    assert xf.read_unpause_report(io.BytesIO(data)) == rc


def test_unpause_report_errors() -> None:
    with pytest.raises(InvalidArgument):
        xf.unpause_report(1)
    with pytest.raises(ProtocolError, match="unpause status"):
        xf.read_unpause_report(io.BytesIO(xf.UNPAUSE_REPORT))
