"""Absurd sizes, counts and CPU ranges through xm and xend on the simulator
(4 CPUs): refused with one clear line and nothing stored, or clipped to the
host as xl does; mem-set changes the target only."""

from __future__ import annotations

import json

from tests.e2e.conftest import XendEnv, basic_config

HUGE = str(10**30)


def refused(env: XendEnv, *args: str) -> str:
    res = env.xm(*args)
    print(f"xm {' '.join(args)[:60]}: rc {res.rc}: {res.err.strip()[:120]}")
    assert res.rc == 1 and res.err.startswith("Error: "), res.err
    assert "Traceback" not in res.err and "MemoryError" not in res.err
    return res.err


def test_limits_through_xm(xend_env: XendEnv) -> None:
    env = xend_env
    # 513 and 2-100000: cheap even where the checks are missing (the
    # absurd values are tried under a memory cap in tests/{model,domains,xm}).
    env.write_config("big", basic_config("big", vcpus=513))
    assert "vcpus: 513" in refused(env, "create", "big")
    assert "vcpus: 513" in refused(env, "new", "big")
    assert "big" not in env.domids()

    env.write_config("web", basic_config("web", 512, vcpus=2, cpus="0-63"))
    env.ok("create", "web")                   # pin to all: CPUs 0-3 here
    rows = env.ok("vcpu-list", "web").splitlines()[1:]
    assert [r.rstrip().endswith("any cpu") for r in rows] == [True, True]
    env.ok("vcpu-pin", "web", "0", "2-100000")
    assert env.ok("vcpu-list", "web").splitlines()[1].rstrip() \
        .endswith("2-3")
    refused(env, "vcpu-pin", "web", "0", "4-63")

    env.ok("mem-set", "web", "256")           # no maxmem in the config
    env.ok("mem-set", "web", "512")
    refused(env, "mem-max", "web", HUGE)
    env.ok("reset", "web")
    assert "web" in env.domids()

    env.write_config("h", basic_config("h"))
    env.ok("new", "h")
    refused(env, "mem-max", "h", HUGE)
    refused(env, "vcpu-set", "h", HUGE)
    assert "(maxmem 128)" in env.ok("list", "-l", "h")
    env.ok("start", "h")

    env.write_config("all", basic_config("all", vcpus=2,
                                         cpus=["all", "1"]))
    doc = json.loads(env.ok("create", "-n", "--json", "all"))
    assert doc["b_info"]["vcpu_hard_affinity"] == [[0, 1, 2, 3], [1]]
