"""xm create / new, with the real loader: one ``Warning:`` line on stderr
per variable the config set that Xen 4.17 cannot apply; exit code, stdout
and the config sent to xend as without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONFIG = '''
name = "w1"
kernel = "/boot/vmlinuz"
memory = 256
vscsi = ['/dev/sdb,0:0:0:0']
superpages = 1
guest_os_type = "default"
fda = ""
'''
SUPERPAGES = ("Warning: superpages was ignored: Xen 4.17 has no PV "
              "superpages (HVM guests get superpages anyway)\n")
VSCSI = "Warning: vscsi was ignored: libxl 4.17 has no PV SCSI devices\n"
ISA = ("Warning: isa was ignored: libxl 4.17 has no ISA-only machine for "
       "HVM guests\n")
NOTE = 'Using config file "./w1.cfg".\n'


@pytest.fixture
def cfg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "w1.cfg").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_dry_run_warns_on_stderr_after_the_note(xm, fake, cfg_dir,
                                                json_flag) -> None:
    r = xm("create", "-n", *json_flag, "w1.cfg", "isa=yes")
    assert r.status == 0
    assert r.err == NOTE + SUPERPAGES + VSCSI + ISA
    assert "Warning" not in r.out          # stdout stays one document
    if json_flag:
        assert json.loads(r.out)["c_info"]["name"] == "w1"
    else:
        assert r.out.startswith("(vm\n")
    assert fake.calls == []


def test_quiet_dry_run_still_warns(xm, cfg_dir) -> None:
    r = xm("create", "--quiet", "--dryrun", "--defconfig", "w1.cfg")
    assert (r.status, r.err) == (0, SUPERPAGES + VSCSI)


def test_create_warns_and_goes_on(xm, fake, cfg_dir) -> None:
    fake.answers["xend.domain.create"] = \
        lambda cfg, paused: {"name": cfg["name"], "domid": 4}
    r = xm("create", "w1.cfg")
    assert r.status == 0
    assert r.out == NOTE + "Started domain w1 (id=4)\n"
    assert r.err == SUPERPAGES + VSCSI
    (method, (config, _), _), = fake.calls
    assert method == "xend.domain.create"
    assert config["vscsi"] == ["/dev/sdb,0:0:0:0"]  # kept, as before


def test_new_warns(xm, fake, cfg_dir) -> None:
    r = xm("new", "w1.cfg", "superpages=0")
    assert r.status == 0
    assert r.err == VSCSI                   # superpages=0 asks for nothing
    assert [c[0] for c in fake.calls] == ["xend.domain.new"]


def test_one_line_per_variable_set_twice(xm, cfg_dir) -> None:
    # the command line overrides the file: still one warning
    r = xm("create", "-q", "-n", "w1.cfg", "vscsi=/dev/sdc,0:0:1:0",
           "vscsi=/dev/sdd,0:0:2:0", "superpages=1")
    assert r.err == SUPERPAGES + VSCSI


def test_defaults_and_values_asking_nothing_are_silent(xm, tmp_path,
                                                       monkeypatch) -> None:
    (tmp_path / "plain.cfg").write_text(
        'name = "p"\nkernel = "/k"\nvscsi = []\ns3_integrity = 0\n'
        'guest_os_type = "default"\nparallel = "none"\nmonitor = 0\n')
    monkeypatch.chdir(tmp_path)
    r = xm("create", "-q", "-n", "plain.cfg", "memory_sharing=no")
    assert (r.status, r.err) == (0, "")


def test_an_error_is_the_only_line(xm, fake, cfg_dir) -> None:
    r = xm("create", "-n", "w1.cfg", "memory=0")
    assert r.status == 1
    assert r.err.startswith("Error: ") and r.err.count("\n") == 1
    assert fake.calls == []


def test_sxp_config_is_not_a_variable_file(xm, tmp_path,
                                           monkeypatch) -> None:
    # -F reads a whole SXP config: no xm variables, no warnings
    (tmp_path / "w1.sxp").write_text(
        "(vm (name w1) (memory 128) (image (linux (kernel /boot/vmlinuz))))\n")
    monkeypatch.chdir(tmp_path)
    r = xm("create", "-n", "-F", "w1.sxp")
    assert (r.status, r.err) == (0, "")
