"""save / restore (descriptors passed over the socket), new/start/suspend/
resume/delete of managed domains."""

import os
import re

from tests.e2e.conftest import XendEnv, basic_config


def test_save_restore_relative_path(xend_env: XendEnv, tmp_path):
    xend_env.write_config("sv", basic_config("sv", 192))
    xend_env.ok("create", "sv")
    xend_env.ok("mem-set", "sv", "150")
    work = tmp_path / "work"
    work.mkdir()
    res = xend_env.xm("save", "sv", "sv.chk", cwd=work)
    assert res.rc == 0, res.err
    assert res.out == "" and res.err == ""      # quiet when not a terminal
    data = (work / "sv.chk").read_bytes()
    assert data[:16] == b"LinuxGuestRecord"
    assert "sv" not in xend_env.domids()
    xend_env.ok("restore", "sv.chk", cwd=work)
    row = xend_env.ok("list", "sv").splitlines()[1]
    assert row[46:52].strip() == "150"
    assert row[59:69].strip() == "-b----"


def test_save_checkpoint_and_restore_paused(xend_env: XendEnv, tmp_path):
    xend_env.write_config("ck", basic_config("ck"))
    xend_env.ok("create", "ck")
    xend_env.ok("save", "-c", "ck", str(tmp_path / "ck.chk"))
    assert "ck" in xend_env.domids()
    res = xend_env.xm("restore", str(tmp_path / "ck.chk"))
    assert res.rc == 1 and "already exists" in res.err
    xend_env.ok("destroy", "ck")
    xend_env.ok("restore", "-p", str(tmp_path / "ck.chk"))
    assert "--p---" in xend_env.ok("list", "ck")


def test_save_refused_before_anything(xend_env: XendEnv, tmp_path):
    xend_env.write_config("nw", basic_config("nw"))
    xend_env.ok("create", "nw")
    res = xend_env.xm("save", "nw", str(tmp_path / "no" / "such" / "dir"))
    assert res.rc == 1
    assert res.err.startswith("Error: xm save: Unable to create file")
    assert "nw" in xend_env.domids()
    res = xend_env.xm("restore", str(tmp_path / "missing.chk"))
    assert res.rc == 1
    assert res.err.startswith("Error: xm restore: Unable to read file")
    bad = tmp_path / "bad.chk"
    bad.write_bytes(b"garbage" * 10)
    res = xend_env.xm("restore", str(bad))
    assert res.rc == 1 and res.err.startswith("Error: ")
    assert "Traceback" not in res.err


def test_managed_lifecycle(xend_env: XendEnv):
    xend_env.write_config("m1", basic_config("m1", 160))
    xend_env.ok("new", "m1")
    rows = xend_env.ok("list").splitlines()
    row = next(r for r in rows if r.startswith("m1 "))
    assert row[40:46].strip() == "" and row[46:52].strip() == "160"
    assert xend_env.ok("domid", "m1").strip() == "None"
    assert "m1" in xend_env.ok("list", "--state=halted")
    xend_env.ok("start", "m1")
    assert xend_env.domids()["m1"] != ""
    res = xend_env.xm("delete", "m1")
    assert res.rc == 1
    xend_env.ok("suspend", "m1")
    assert "m1" in xend_env.ok("list", "--state=suspended")
    xend_env.ok("resume", "m1")
    assert xend_env.domids()["m1"] != ""
    xend_env.ok("shutdown", "-w", "m1")
    assert xend_env.domids()["m1"] == ""          # halted, still managed
    xend_env.ok("delete", "m1")
    assert "m1" not in xend_env.domids()


def test_xend_restart_keeps_domains(xend_env: XendEnv):
    xend_env.write_config("k1", basic_config("k1"))
    xend_env.ok("create", "k1")
    xend_env.write_config("k2", basic_config("k2"))
    xend_env.ok("new", "k2")
    before = xend_env.domids()
    cpu_before = xend_env.ok("list", "k1").splitlines()[1]
    xend_env.stop()
    xend_env.start()
    assert xend_env.domids() == before
    assert "re-attached to domain k1" in xend_env.log()
    pid = xend_env.pid()
    os.kill(pid, 9)
    xend_env.wait_for(lambda: not os.path.exists(f"/proc/{pid}"))
    xend_env.start()
    assert xend_env.domids() == before
    assert cpu_before
    xend_env.ok("destroy", "k1")


def _macs(env: XendEnv, name: str) -> list[str]:
    return re.findall(r"00:16:3e(?::[0-9a-f]{2}){3}",
                      env.ok("network-list", name))


def test_generated_mac_survives_the_xendomains_cycle(xend_env: XendEnv,
                                                     tmp_path):
    """vif=['bridge=xenbr0']: one MAC from create on, through reboot,
    save/restore, xend restart, and managed stop/start."""
    xend_env.write_config("nm", basic_config("nm", vif=["bridge=xenbr0"]))
    xend_env.ok("create", "nm")
    mac = _macs(xend_env, "nm")
    assert len(mac) == 1
    seen = {"create": mac}
    xend_env.ok("reboot", "-w", "nm")
    seen["reboot"] = _macs(xend_env, "nm")
    xend_env.ok("save", "nm", str(tmp_path / "nm.chk"))
    xend_env.ok("restore", str(tmp_path / "nm.chk"))
    seen["restore"] = _macs(xend_env, "nm")
    xend_env.stop()
    xend_env.start()
    seen["xend restart"] = _macs(xend_env, "nm")
    xend_env.write_config("mm", basic_config("mm", vif=["bridge=xenbr0"]))
    xend_env.ok("new", "mm")
    xend_env.ok("start", "mm")
    managed = _macs(xend_env, "mm")
    xend_env.ok("shutdown", "-w", "mm")
    xend_env.wait_for(lambda: xend_env.domids().get("mm") == "")
    xend_env.stop()
    xend_env.start()
    xend_env.ok("start", "mm")
    print("MACs:", seen, "managed:", managed, _macs(xend_env, "mm"))
    assert all(m == mac for m in seen.values())
    assert _macs(xend_env, "mm") == managed
