"""save in xl's format and restore of xl files, in-process on the
simulator."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from tests.domains.test_manager import Daemon, cfg, daemon  # noqa: F401
from xend.errors import InvalidArgument
from xend.hv.sim.saveimage import MAGIC as SIM_IMAGE
from xend.migrate import xlformat


def test_bad_format_touches_nothing(daemon: Daemon) -> None:  # noqa: F811
    daemon.m.create(cfg("bf"))
    out = io.BytesIO()
    with pytest.raises(InvalidArgument, match="Invalid save format 'zip': "
                       "expected xm or xl"):
        daemon.m.save("bf", out, image_format="zip")
    assert out.getvalue() == b""
    assert daemon.m.record("bf")["state"] == "-b----"
    assert list(daemon.m.journal.records()) == []


def test_xl_checkpoint_then_restore(daemon: Daemon,  # noqa: F811
                                    tmp_path: Path) -> None:
    daemon.m.create(cfg("xc", vifs=[{"bridge": "xenbr0"}]))
    mac = _macs(daemon.m.record("xc", True))
    assert len(mac) == 1
    with open(tmp_path / "xc.xl", "w+b") as f:
        daemon.m.save("xc", f, checkpoint=True, image_format="xl")
        f.seek(0)
        hdr = xlformat.read_header(f)
        assert hdr.config["c_info"]["name"] == "xc"
        assert f.read(len(SIM_IMAGE)) == SIM_IMAGE
        f.seek(0)
        saved = daemon.m.saved_config(f)
    assert saved["name"] == "xc" and saved["memory"] == 64
    assert daemon.m.record("xc")["state"] == "-b----"     # checkpoint
    uuid = daemon.m.record("xc")["uuid"]
    daemon.m.destroy("xc")
    with open(tmp_path / "xc.xl", "rb") as f:
        assert daemon.m.restore(f) == uuid
    rec = daemon.m.record("xc", True)
    assert rec["state"] == "-b----"
    assert _macs(rec) == mac


def _macs(record: dict) -> list[str]:
    return re.findall(r"00:16:3e(?::[0-9a-f]{2}){3}", str(record["sxp"]))
