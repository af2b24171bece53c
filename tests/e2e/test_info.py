"""info, dmesg, log, uptime, list -l."""

from tests.e2e.conftest import XendEnv, basic_config


def test_info(xend_env: XendEnv):
    out = xend_env.ok("info")
    rows = dict(line.split(" : ", 1) if " : " in line else (line, "")
                for line in out.splitlines())
    keys = [k.strip() for k in rows]
    assert keys[:4] == ["host", "release", "version", "machine"]
    values = {k.strip(): v for k, v in rows.items()}
    assert values["nr_cpus"] == "4"
    assert values["total_memory"] == "4096"
    assert values["xen_scheduler"] == "credit"
    assert values["xend_config_format"] == "4"
    assert out.splitlines()[0].startswith("host                   : ")


def test_dmesg_and_log(xend_env: XendEnv):
    assert "(XEN)" in xend_env.ok("dmesg")
    xend_env.ok("dmesg", "-c")
    assert "Xend Daemon started" in xend_env.ok("log")


def test_uptime_and_list_long(xend_env: XendEnv):
    xend_env.write_config("u1", basic_config("u1"))
    xend_env.ok("create", "u1")
    out = xend_env.ok("uptime")
    assert out.splitlines()[0].split() == ["Name", "ID", "Uptime"]
    assert any(line.startswith("u1 ") for line in out.splitlines())
    short = xend_env.ok("uptime", "-s")
    assert " up " in short and "u1" in short
    long = xend_env.ok("list", "-l", "u1")
    lines = [line.strip() for line in long.splitlines()]
    assert lines[0] == "(domain"
    assert any(line.startswith("(domid ") and line.endswith(")")
               for line in lines)
    assert "(name u1)" in lines
    assert "(state -b----)" in lines
