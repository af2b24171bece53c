"""xl's save-file format end to end on the simulator: ``xm save --xl``
writes the xl header (libxl JSON) and then the backend's image; ``xm
restore`` reads that, and files written the way ``xl save`` writes them."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from tests.bootfiles import KERNEL, RAMDISK
from tests.e2e.conftest import XendEnv, basic_config

from xend.hv.sim.saveimage import MAGIC as SIM_IMAGE
from xend.migrate import xlformat

MAC = "00:16:3e:5a:01:02"


def _save_xl(env: XendEnv, name: str, path: Path) -> bytes:
    env.ok("save", "--xl", name, str(path))
    assert name not in env.domids()
    return path.read_bytes()


def test_xm_save_xl_restore_round_trip(xend_env: XendEnv, tmp_path: Path):
    xend_env.write_config("xs", basic_config(
        "xs", 192, maxmem=256, vcpus=2, vif=[f"bridge=xenbr0, mac={MAC}"]))
    xend_env.ok("create", "xs")
    uuid = re.search(r"\(uuid (\S+)\)", xend_env.ok("list", "-l", "xs"))
    assert uuid
    xend_env.ok("mem-set", "xs", "150")
    data = _save_xl(xend_env, "xs", tmp_path / "xs.xl")
    # an xl file: xl's header, the JSON xm create -n --json prints, then
    # the simulator's image
    hdr = xlformat.parse_header(data)
    assert data.startswith(b"Xen saved domain, xl format\n \0 \r")
    assert (hdr.mandatory_flags, hdr.stream_version) == (3, 2)
    c_info, b_info = hdr.config["c_info"], hdr.config["b_info"]
    assert (c_info["name"], c_info["uuid"]) == ("xs", uuid.group(1))
    assert "domid" not in c_info
    assert (b_info["max_memkb"], b_info["max_vcpus"]) == (256 * 1024, 2)
    assert hdr.config["nics"][0]["mac"] == MAC
    assert data[hdr.length:].startswith(SIM_IMAGE)
    assert not data.startswith(b"LinuxGuestRecord")

    xend_env.ok("restore", str(tmp_path / "xs.xl"))
    row = xend_env.ok("list", "xs").splitlines()[1]
    assert row[46:52].strip() == "150"          # the image's memory target
    assert row[59:69].strip() == "-b----"
    long = xend_env.ok("list", "-l", "xs")
    assert f"(uuid {uuid.group(1)})" in long and "(maxmem 256)" in long
    assert MAC in xend_env.ok("network-list", "xs")
    assert "from an xl save file" in xend_env.log()


def test_default_save_is_still_xms_format(xend_env: XendEnv, tmp_path):
    xend_env.write_config("dx", basic_config("dx"))
    xend_env.ok("create", "dx")
    xend_env.ok("save", "-c", "dx", str(tmp_path / "dx.chk"))
    assert (tmp_path / "dx.chk").read_bytes()[:16] == b"LinuxGuestRecord"
    xend_env.ok("save", "-c", "--xl", "dx", str(tmp_path / "dx.xl"))
    assert (tmp_path / "dx.xl").read_bytes()[:16] == b"Xen saved domain"
    assert "dx" in xend_env.domids()            # checkpoints both


def _xl_saved_json(name: str, uuid: str) -> dict:
    """What xl save puts in the header for a PV guest: libxl's retrieved
    config, its defaults filled in (written from the format's facts)."""
    return {
        "c_info": {"type": "pv", "name": name, "uuid": uuid,
                   "run_hotplug_scripts": "True"},
        "b_info": {
            "max_vcpus": 2, "avail_vcpus": [0, 1],
            "numa_placement": "True", "max_memkb": 262144,
            "target_memkb": 131072, "video_memkb": 0,
            "device_model_version": "qemu_xen",
            "sched_params": {"sched": "credit", "weight": 256},
            "claim_mode": "True", "event_channels": 1023,
            "kernel": KERNEL, "cmdline": "console=hvc0 quiet",
            "ramdisk": RAMDISK, "max_grant_frames": 64,
            "max_maptrack_frames": 1024, "type.pv": {}, "arch_arm": {},
            "arch_x86": {"msr_relaxed": "False"}},
        "nics": [{"devid": 0, "mac": MAC, "bridge": "xenbr0",
                  "script": "vif-bridge", "nictype": "vif"}],
        "vkbs": [{"devid": 0}],
        "on_reboot": "restart", "on_soft_reset": "soft_reset"}


def _as_xl_wrote_it(image: bytes, doc: dict, order: str = ">",
                    flags: int = 3) -> bytes:
    """An xl header in byte order *order* (xl writes its own), then
    *image*."""
    body = json.dumps(doc, indent=4).encode() + b"\0"
    optional = struct.pack(order + "I", len(body)) + body
    return (b"Xen saved domain, xl format\n \0 \r"
            + struct.pack(order + "4I", 0x01020304, flags, 0, len(optional))
            + optional + image)


def test_restore_a_file_written_by_xl(xend_env: XendEnv, tmp_path: Path):
    """Another host's xl save file: its JSON is the whole config (name,
    uuid, memory, vcpus, nics, actions come from it)."""
    xend_env.write_config("src", basic_config("src", 128, maxmem=256,
                                              vcpus=2))
    xend_env.ok("create", "src")
    data = _save_xl(xend_env, "src", tmp_path / "src.xl")
    image = data[xlformat.parse_header(data).length:]
    uuid = "0b6d3bd1-6b2b-4b59-a5e0-7f4f2a9b8c11"
    path = tmp_path / "from-xl.save"
    path.write_bytes(_as_xl_wrote_it(image, _xl_saved_json("fromxl", uuid)))
    xend_env.ok("restore", "-p", str(path))
    assert "src" not in xend_env.domids()
    row = xend_env.ok("list", "fromxl").splitlines()[1]
    assert row[52:58].strip() == "2"
    assert row[59:69].strip() == "--p---"
    long = xend_env.ok("list", "-l", "fromxl")
    for item in (f"(uuid {uuid})", "(maxmem 256)", "(on_reboot restart)",
                 "(on_poweroff destroy)", "(on_crash destroy)",
                 f"(mac {MAC})", "console=hvc0 quiet"):
        assert item in long, item
    xend_env.ok("unpause", "fromxl")
    # it is ours now: xm save writes it in xm's format again
    xend_env.ok("save", "fromxl", str(tmp_path / "again.chk"))
    assert (tmp_path / "again.chk").read_bytes()[:16] == b"LinuxGuestRecord"


def test_bad_xl_files_are_one_error_line(xend_env: XendEnv, tmp_path: Path):
    xend_env.write_config("bx", basic_config("bx"))
    xend_env.ok("create", "bx")
    data = _save_xl(xend_env, "bx", tmp_path / "bx.xl")
    hdr = xlformat.parse_header(data)
    image = data[hdr.length:]
    cases = {
        "v1": (_as_xl_wrote_it(image, hdr.config, "<", flags=1),
               "legacy (version 1) libxl stream"),
        "binary": (_as_xl_wrote_it(image, hdr.config, "<", flags=2),
                   "xl's old binary format"),
        "flags": (_as_xl_wrote_it(image, hdr.config, "<", flags=7),
                  "unknown mandatory flags 0x4"),
        "config": (_as_xl_wrote_it(image, {"c_info": {"name": "a b"}}),
                   "Invalid domain name"),
        "truncated": (data[:60], "truncated"),
        "image": (data[:hdr.length] + image[:100], "restore failed"),
    }
    for what, (content, message) in cases.items():
        path = tmp_path / f"{what}.save"
        path.write_bytes(content)
        res = xend_env.xm("restore", str(path))
        assert res.rc == 1, what
        # one Error: line (xm prints restore's usage after it, as 4.4 did)
        first = res.err.splitlines()[0]
        assert first.startswith("Error: ") and message in first, \
            (what, res.err)
        assert "Traceback" not in res.err and res.err.count("Error") == 1
    assert "bx" not in xend_env.domids()
    xend_env.ok("restore", str(tmp_path / "bx.xl"))      # the good one
    assert "bx" in xend_env.domids()

