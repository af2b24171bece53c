"""mem-set, mem-max, vcpu-set/list/pin, sched-credit/credit2/sedf."""

import pytest

from tests.e2e.conftest import XendEnv, basic_config


@pytest.fixture
def web1(xend_env: XendEnv) -> XendEnv:
    xend_env.write_config("web1", basic_config("web1", 256, maxmem=512,
                                               vcpus=2, maxvcpus=4))
    xend_env.ok("create", "web1")
    return xend_env


def mem_of(env: XendEnv, name: str) -> int:
    return int(env.ok("list", name).splitlines()[1][46:52])


def test_mem_set_and_max(web1: XendEnv):
    web1.ok("mem-set", "web1", "384")
    assert mem_of(web1, "web1") == 384
    web1.ok("mem-set", "web1", "300m")
    assert mem_of(web1, "web1") == 300
    res = web1.xm("mem-set", "web1", "1g")
    assert res.rc == 1 and res.err.startswith("Error: ")
    assert mem_of(web1, "web1") == 300
    # As with libxl, mem-max raises Xen's limit but not the domain's
    # static maximum: the target still may not go above the boot maxmem.
    web1.ok("mem-max", "web1", "1024")
    res = web1.xm("mem-set", "web1", "1g")
    assert res.rc == 1 and "memory_static_max" in res.err
    res = web1.xm("mem-max", "web1", "100")
    assert res.rc == 1 and res.err.startswith("Error: ")
    web1.ok("mem-set", "web1", "512")
    assert mem_of(web1, "web1") == 512
    res = web1.xm("mem-set", "web1", "lots")
    assert res.rc == 1 and "Traceback" not in res.err


def test_vcpus(web1: XendEnv):
    out = web1.ok("vcpu-list", "web1")
    header, *rows = out.splitlines()
    assert header.split() == ["Name", "ID", "VCPU", "CPU", "State",
                              "Time(s)", "CPU", "Affinity"]
    assert len(rows) == 4
    assert sum(1 for r in rows if r.split()[4] == "--p") == 2
    web1.ok("vcpu-set", "web1", "3")
    assert web1.ok("list", "web1").splitlines()[1][52:58].strip() == "3"
    res = web1.xm("vcpu-set", "web1", "5")
    assert res.rc == 1 and res.err.startswith("Error: ")
    res = web1.xm("vcpu-set", "web1", "0")
    assert res.rc == 1
    web1.ok("vcpu-pin", "web1", "0", "1-2")
    row0 = web1.ok("vcpu-list", "web1").splitlines()[1]
    assert row0.rstrip().endswith("1-2")
    assert row0.split()[3] in ("1", "2")
    web1.ok("vcpu-pin", "web1", "all", "all")
    assert web1.ok("vcpu-list", "web1").splitlines()[1].rstrip() \
        .endswith("any cpu")
    res = web1.xm("vcpu-pin", "web1", "0", "9")
    assert res.rc == 1 and res.err.startswith("Error: ")


def test_sched_credit(web1: XendEnv):
    out = web1.ok("sched-credit", "-d", "web1")
    assert out.splitlines()[0].split() == ["Name", "ID", "Weight", "Cap"]
    assert out.splitlines()[-1].split()[2:] == ["256", "0"]
    web1.ok("sched-credit", "-d", "web1", "-w", "512", "-c", "50")
    assert web1.ok("sched-credit", "-d", "web1").splitlines()[-1] \
        .split()[2:] == ["512", "50"]
    res = web1.xm("sched-credit", "-d", "web1", "-w", "70000")
    assert res.rc == 1 and res.err.startswith("Error: ")
    res = web1.xm("sched-credit", "-d", "web1", "-c", "500")
    assert res.rc == 1
    res = web1.xm("sched-credit", "-w", "5")
    assert res.rc == 1 and "No domain given" in res.err
    table = web1.ok("sched-credit")
    assert any(r.startswith("Domain-0") for r in table.splitlines())
    res = web1.xm("sched-credit2")
    assert res.rc == 1
    assert "Xen is running with the credit scheduler" in res.err
    res = web1.xm("sched-sedf")
    assert res.rc == 1 and "credit scheduler" in res.err


def test_sched_credit2(make_env):
    env = make_env(sim_scheduler="credit2")
    env.start()
    env.write_config("c2", basic_config("c2"))
    env.ok("create", "c2")
    env.ok("sched-credit2", "-d", "c2", "-w", "300")
    assert env.ok("sched-credit2", "-d", "c2").splitlines()[-1] \
        .split()[2:] == ["300"]
    res = env.xm("sched-credit", "-d", "c2")
    assert res.rc == 1 and "credit2 scheduler" in res.err
    env.stop()
