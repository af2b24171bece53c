"""The relocation protocol's bytes (xend.migrate.frames), on literals."""

from __future__ import annotations

import pytest

from xend.migrate import frames


def test_request_line_bytes() -> None:
    assert frames.request_line("receive", protocol=2, id="ab12") == \
        b"(receive (protocol 2) (id ab12))\n"
    assert frames.request_line("status", id="ff") == b"(status (id ff))\n"


@pytest.mark.parametrize("bad", ["a b", "x)", "(", "é", ""])
def test_request_line_refuses_non_atoms(bad: str) -> None:
    with pytest.raises(ValueError):
        frames.request_line("receive", id=bad)


def test_parse_request_line() -> None:
    assert frames.parse_request_line(b"receive\n") == ("receive", {})
    assert frames.parse_request_line(
        b"(receive (protocol 2) (id ab12))\n") == \
        ("receive", {"protocol": "2", "id": "ab12"})
    assert frames.parse_request_line(b"(help)\n") == ("help", {})


@pytest.mark.parametrize("line", [b"(receive (protocol 2\n", b"((x))\n",
                                  b"\xff\xfe\n", b"(a (b c d))\n"])
def test_parse_request_line_refuses(line: bytes) -> None:
    with pytest.raises(frames.FrameError):
        frames.parse_request_line(line)


def test_error_line_round_trip_and_4_4_shape() -> None:
    line = frames.error_line("NotEnoughMemory", "it's\nbig \\ here")
    assert line == b"(err (type NotEnoughMemory) (value 'it\\'s big \\\\ here'))\n"
    assert frames.parse_error_line(line) == ("NotEnoughMemory",
                                             "it's big \\ here")
    assert frames.parse_error_line(b"(ready receive)\n") is None


def test_outcome_lines() -> None:
    assert frames.outcome_line("committed") == b"(ok committed)\n"
    assert frames.parse_outcome_line(b"(ok aborted)\n") == "aborted"
    assert frames.parse_outcome_line(b"(ok 1)\n") is None


def test_frames_bytes() -> None:
    assert frames.frame(b"D", b"abc") == b"D\x00\x00\x00\x03abc"
    assert frames.frame(b"E") == b"E\x00\x00\x00\x00"
    assert frames.json_frame(b"M", {"msg": "x"}) == \
        b'M\x00\x00\x00\x0b{"msg":"x"}'
    assert frames.parse_head(b"D\x00\x00\x00\x03") == (b"D", 3)


@pytest.mark.parametrize("head", [b"Z\x00\x00\x00\x00",
                                  b"D\x00\x10\x00\x01",
                                  b"M\xff\xff\xff\xff",
                                  b"E\x00\x00\x00\x01"])
def test_parse_head_refuses_before_allocating(head: bytes) -> None:
    with pytest.raises(frames.FrameError):
        frames.parse_head(head)


def test_frame_refuses_oversize() -> None:
    with pytest.raises(ValueError):
        frames.frame(b"D", b"x" * (frames.MAX_DATA + 1))


@pytest.mark.parametrize("payload", [b"[]", b"{", b"\xff", b"1"])
def test_parse_json_refuses(payload: bytes) -> None:
    with pytest.raises(frames.FrameError):
        frames.parse_json(payload)
