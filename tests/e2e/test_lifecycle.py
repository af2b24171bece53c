"""create / list / destroy / pause / rename ... through the real xend."""

import json

from tests.bootfiles import KERNEL
from tests.e2e.conftest import XendEnv, basic_config


def test_create_list_destroy(xend_env: XendEnv):
    xend_env.write_config("web1", basic_config("web1", 256, vcpus=2))
    res = xend_env.xm("create", "web1")
    assert res.rc == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == f'Using config file "./web1".'
    assert lines[1].startswith("Started domain web1 (id=")
    domid = lines[1].split("id=")[1].rstrip(")")
    out = xend_env.ok("list")
    header, *rows = out.splitlines()
    assert header == ("Name                                        ID   Mem "
                      "VCPUs      State   Time(s)")
    row = next(r for r in rows if r.startswith("web1 "))
    assert row[:40].rstrip() == "web1"
    assert row[40:46].strip() == domid
    assert row[46:52].strip() == "256"
    assert row[52:58].strip() == "2"
    assert row[59:69].strip() == "-b----"
    assert [r[:40].strip() for r in rows] == sorted(r[:40].strip()
                                                    for r in rows)
    assert xend_env.ok("domid", "web1").strip() == domid
    assert xend_env.ok("domname", domid).strip() == "web1"
    xend_env.ok("destroy", "web1")
    assert "web1" not in xend_env.domids()


def test_unknown_domain_exit_3(xend_env: XendEnv):
    for args in (("destroy", "nope"), ("list", "nope"), ("pause", "nope"),
                 ("mem-set", "nope", "128"), ("domid", "nope")):
        res = xend_env.xm(*args)
        assert res.rc == 3, args
        assert res.err.strip().splitlines()[0] == \
            "Error: Domain 'nope' does not exist."


def test_create_quiet_paused_and_overrides(xend_env: XendEnv):
    xend_env.write_config("q1", basic_config("q1"))
    res = xend_env.xm("create", "-q", "-p", "q1", "memory=200", "vcpus=3")
    assert res.rc == 0 and res.out == "", res.err
    rec = xend_env.ok("list", "q1").splitlines()[1]
    # Xen has only vcpu 0 up until the guest runs and brings up the rest.
    assert rec[46:52].strip() == "200" and rec[52:58].strip() == "1"
    assert rec[59:69].strip() == "--p---"
    xend_env.ok("unpause", "q1")
    rec = xend_env.ok("list", "q1").splitlines()[1]
    assert rec[52:58].strip() == "3" and rec[59:69].strip() == "-b----"
    xend_env.ok("pause", "q1")
    assert "--p---" in xend_env.ok("list", "--state=paused")


def test_create_dry_run_sxp_and_json(xend_env: XendEnv):
    xend_env.write_config("d1", basic_config("d1", 300, vcpus=2))
    out = xend_env.ok("create", "-n", "d1")
    assert out.startswith("(vm")
    assert any(line.rstrip().endswith("(name d1)") for line in out.splitlines())
    doc = json.loads(xend_env.ok("create", "-n", "--json", "d1"))
    assert doc["c_info"]["name"] == "d1"
    assert doc["c_info"]["type"] == "pv"
    assert doc["b_info"]["target_memkb"] == 300 * 1024
    assert doc["b_info"]["max_vcpus"] == 2
    assert "type.pv" in doc["b_info"]
    assert "d1" not in xend_env.domids()      # nothing was created


def test_script_variables_xmexample2_style(xend_env: XendEnv):
    xend_env.write_config("vmx", f'''
def vmid_check(var, val):
    val = int(val)
    if val <= 0:
        raise ValueError
    return val

xm_vars.var('vmid', use="Virtual machine id. Integer greater than 0.",
            check=vmid_check)
xm_vars.check()
kernel = "{KERNEL}"
memory = 64
name = "VM%d" % vmid
disk = ['phy:sda%d,sda1,w' % (7+vmid)]
''')
    out = xend_env.ok("create", "vmx", "vmid=3")
    assert "Started domain VM3" in out
    res = xend_env.xm("create", "vmx")
    assert res.rc == 1 and res.err.startswith("Error: ")
    assert "vmid" in res.err and "Traceback" not in res.err


def test_broken_configs(xend_env: XendEnv):
    cases = {
        "syntax": "name = 'x'\nmemory = = 3\n",
        "imports": "import os\nname='x'\n",
        "badmem": f"name='x'\nkernel='{KERNEL}'\nmemory='lots'\n",
        "badvif": f"name='x'\nkernel='{KERNEL}'\nvif=['colour=blue']\n",
        "badname": f"name='a b'\nkernel='{KERNEL}'\n",
    }
    for fname, text in cases.items():
        xend_env.write_config(fname, text)
        res = xend_env.xm("create", fname)
        assert res.rc == 1, fname
        assert res.err.startswith("Error: "), (fname, res.err)
        assert "Traceback" not in res.err
    res = xend_env.xm("create", "no-such-config")
    assert res.rc == 1
    assert "Unable to open config file: no-such-config" in res.err
    assert set(xend_env.domids()) == {"Domain-0"}


def test_missing_kernel_or_ramdisk_is_one_clear_error(xend_env: XendEnv,
                                                     tmp_path):
    """As xend 4.4 (and libxl) did: no domain is made from a kernel or
    ramdisk that is not there."""
    missing = str(tmp_path / "vmlinuz-gone")
    xend_env.write_config("nk", basic_config("nk").replace(KERNEL, missing))
    res = xend_env.xm("create", "nk")
    print("xm create, kernel missing:", res.rc, repr(res.err))
    assert (res.rc, res.err) == (
        1, f"Error: Kernel image does not exist: {missing}\n")
    xend_env.write_config("nr", basic_config("nr", ramdisk=missing))
    res = xend_env.xm("create", "nr")
    print("xm create, ramdisk missing:", res.rc, repr(res.err))
    assert (res.rc, res.err) == (
        1, f"Error: Kernel ramdisk does not exist: {missing}\n")
    assert set(xend_env.domids()) == {"Domain-0"}
    xend_env.write_config("nm", basic_config("nm").replace(KERNEL, missing))
    xend_env.ok("new", "nm")
    res = xend_env.xm("start", "nm")      # xm 4.4 adds start's usage
    assert (res.rc, res.err.splitlines()[0]) == (
        1, f"Error: Kernel image does not exist: {missing}")
    assert xend_env.domids().get("nm") == ""        # still halted, kept


def test_duplicate_name_and_memory_limit(xend_env: XendEnv):
    xend_env.write_config("dup", basic_config("dup"))
    xend_env.ok("create", "dup")
    res = xend_env.xm("create", "dup")
    assert res.rc == 1 and "already exists" in res.err
    xend_env.write_config("huge", basic_config("huge", 100000))
    res = xend_env.xm("create", "huge")
    assert res.rc == 1 and res.err.startswith("Error: ")
    assert "huge" not in xend_env.domids()


def test_rename_and_dom0_protection(xend_env: XendEnv):
    xend_env.write_config("r1", basic_config("r1"))
    xend_env.ok("create", "r1")
    xend_env.ok("rename", "r1", "r2")
    assert "r2" in xend_env.domids() and "r1" not in xend_env.domids()
    res = xend_env.xm("destroy", "0")
    assert res.rc == 1 and "privileged domain" in res.err
    res = xend_env.xm("rename", "r2", "bad name")
    assert res.rc == 1


def test_config_search_path(xend_env: XendEnv, tmp_path):
    sub = tmp_path / "confs"
    sub.mkdir()
    (sub / "sp1").write_text(basic_config("sp1"))
    out = xend_env.ok("create", "--path", str(sub), "sp1")
    assert f'Using config file "{sub}/sp1".' in out
    (sub / "sp2").write_text(basic_config("sp2"))
    out = xend_env.ok("create", "-f", str(sub / "sp2"))
    assert "Started domain sp2" in out


def test_sxp_config_file(xend_env: XendEnv):
    xend_env.write_config("s.sxp", "(vm (name sx1) (memory 96) "
                          f"(image (linux (kernel {KERNEL}))))\n")
    out = xend_env.ok("create", "-F", "s.sxp")
    assert "Started domain sx1" in out
    assert xend_env.ok("list", "sx1").splitlines()[1][46:52].strip() == "96"


def _hvm_config(name: str, device_model: str) -> str:
    return (f'name = "{name}"\nbuilder = "hvm"\nkernel = "hvmloader"\n'
            f'memory = 256\ndevice_model = "{device_model}"\n')


def test_device_model_stubdom_or_a_clear_refusal(xend_env: XendEnv):
    xend_env.write_config("st", _hvm_config("st", "stubdom-dm"))
    doc = json.loads(xend_env.ok("create", "-n", "--json", "st"))
    assert doc["b_info"]["device_model_stubdomain"] == "True"
    assert "Started domain st" in xend_env.ok("create", "st")
    xend_env.write_config("qd", _hvm_config("qd", "/usr/lib/xen/bin/qemu-dm"))
    assert "Started domain qd" in xend_env.ok("create", "qd")
    xend_env.write_config("bd", _hvm_config("bd", "/opt/qemu/my-dm"))
    for cmd in ("create", "new"):
        res = xend_env.xm(cmd, "bd")
        print(f"xm {cmd} with device_model=/opt/qemu/my-dm:", res.rc,
              repr(res.err))
        assert res.rc == 1
        assert res.err.splitlines()[0] == (
            "Error: Unsupported device_model '/opt/qemu/my-dm': libxl "
            "starts its own device model; use 'qemu-dm' (the default) or "
            "'stubdom-dm' (in a stub domain, HVM only)")
        assert "Traceback" not in res.err
    assert "bd" not in xend_env.domids()
