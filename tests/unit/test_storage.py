"""Atomic files and the save-file header."""

import io
import os

import pytest

from xend.domains import atomicfile, saveimage
from xend.errors import InvalidArgument, StorageError


def test_write_atomic_replaces(tmp_path):
    path = str(tmp_path / "a.json")
    atomicfile.write_json_atomic(path, {"x": 1})
    atomicfile.write_json_atomic(path, {"x": 2})
    assert atomicfile.read_json(path) == {"x": 2}
    assert os.listdir(tmp_path) == ["a.json"]
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_write_failure_keeps_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "a.json")
    atomicfile.write_json_atomic(path, {"x": 1})

    def full_disk(fd, data):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(StorageError, match="No space left on device"):
        atomicfile.write_json_atomic(path, {"x": 2})
    monkeypatch.undo()
    assert atomicfile.read_json(path) == {"x": 1}
    assert os.listdir(tmp_path) == ["a.json"]


def test_read_json_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(StorageError, match="not valid JSON"):
        atomicfile.read_json(str(bad))
    with pytest.raises(StorageError, match="cannot read"):
        atomicfile.read_json(str(tmp_path / "missing"))


def test_save_header_round_trip():
    buf = io.BytesIO()
    saveimage.write_header(buf, {"name": "web1"})
    buf.write(b"IMAGE")
    data = buf.getvalue()
    assert data[:16] == b"LinuxGuestRecord"
    buf.seek(0)
    assert saveimage.read_header(buf) == {"name": "web1"}
    assert buf.read() == b"IMAGE"


@pytest.mark.parametrize("data, message", [
    (b"", "signature"),
    (b"Xen saved domain, xl format\n \0 \r", "xl save file: truncated"),
    (b"LinuxGuestRecord\x00\x00", "truncated"),
    (b"LinuxGuestRecord\xff\xff\xff\xff", "bad config length"),
    (b"LinuxGuestRecord\x00\x00\x00\x05{abc}", "unreadable"),
])
def test_bad_save_files(data, message):
    with pytest.raises(InvalidArgument, match=message):
        saveimage.read_header(io.BytesIO(data))


def test_read_saved_tells_the_formats_apart():
    xm = saveimage.xm_header({"name": "web1"}) + b"IMAGE"
    xl = saveimage.xl_header({"c_info": {"name": "web1"}}) + b"IMAGE"
    for data, fmt, config in ((xm, "xm", {"name": "web1"}),
                              (xl, "xl", {"c_info": {"name": "web1"}})):
        buf = io.BytesIO(data)
        saved = saveimage.read_saved(buf)
        assert (saved.format, saved.config, saved.stream_version) == (
            fmt, config, 2)
        assert buf.read() == b"IMAGE"
    assert xl.startswith(b"Xen saved domain, xl format\n \0 \r")
    with pytest.raises(InvalidArgument, match="written by xl"):
        saveimage.read_header(io.BytesIO(xl))
