"""xm migrate between xends on the simulator over real TCP (loopback).

Two xends on 127.0.0.1 and 127.0.0.2 (and localhost migration with one);
separate network namespaces and TLS are in tests/migrate.  Every failure
case asserts the domain still runs at the source, and only there.
"""

from __future__ import annotations

import socket

import pytest

from tests.e2e.conftest import XendEnv, basic_config


def free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def relocating(make_env, address: str, **extra: object) -> tuple[XendEnv,
                                                                 int]:
    port = free_port(address)
    env = make_env(xend_relocation_server="yes",
                   xend_relocation_address=address,
                   xend_relocation_port=port, **extra)
    env.start()
    return env, port


def rows(env: XendEnv) -> dict[str, tuple[str, str]]:
    """name -> (id, state) of every domain but Domain-0."""
    out = env.ok("list")
    found = {}
    for line in out.splitlines()[1:]:
        name = line[:40].strip()
        if name != "Domain-0":
            found[name] = (line[40:46].strip(), line[59:69].strip())
    return found


def uuid_of(env: XendEnv, name: str) -> str:
    out = env.ok("list", "-l", name)
    return out.split("(uuid ", 1)[1].split(")", 1)[0]


def running_here(env: XendEnv, name: str) -> bool:
    state = rows(env).get(name)
    return state is not None and "p" not in state[1] and \
        "s" not in state[1] and state[0] != ""


def test_localhost_live_migration_keeps_name_and_uuid(make_env) -> None:
    env, port = relocating(make_env, "127.0.0.1")
    env.write_config("lm", basic_config("lm", 64))
    env.ok("create", "lm")
    before = rows(env)["lm"][0]
    uuid = uuid_of(env, "lm")
    res = env.xm("migrate", "-l", "-p", str(port), "lm", "127.0.0.1")
    assert res.rc == 0, res.err + env.log()
    assert res.out == "" and res.err == ""
    after = rows(env)
    assert list(after) == ["lm"], after          # no --incoming/away left
    assert after["lm"][0] != before              # a new domain id
    assert uuid_of(env, "lm") == uuid
    assert running_here(env, "lm")
    assert "relocation server listening on 127.0.0.1:" \
        in env.xend("status").out


def test_migrate_there_and_back(make_env) -> None:
    a, pa = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    a.write_config("mv", basic_config("mv", 128))
    a.ok("create", "mv")
    uuid = uuid_of(a, "mv")
    res = a.xm("migrate", "--live", "--port", str(pb), "mv", "127.0.0.2")
    assert res.rc == 0, res.err + a.log() + b.log()
    assert "mv" not in rows(a)
    assert running_here(b, "mv") and uuid_of(b, "mv") == uuid
    res = b.xm("migrate", "-p", str(pa), "mv", "127.0.0.1")
    assert res.rc == 0, res.err
    assert "mv" not in rows(b) and running_here(a, "mv")


def test_change_home_server_moves_the_managed_config(make_env) -> None:
    a, _ = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    cfg = a.write_config("home", basic_config("home", 64))
    a.ok("new", str(cfg))
    a.ok("start", "home")
    res = a.xm("migrate", "-c", "-p", str(pb), "home", "127.0.0.2")
    assert res.rc == 0, res.err + b.log()
    assert "home" not in rows(a)                 # not even halted
    assert running_here(b, "home")
    b.ok("destroy", "home")
    assert rows(b)["home"][0] == ""              # managed there: halted


def test_managed_domain_without_c_stays_managed_here(make_env) -> None:
    a, _ = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    cfg = a.write_config("keep", basic_config("keep", 64))
    a.ok("new", str(cfg))
    a.ok("start", "keep")
    assert a.xm("migrate", "-p", str(pb), "keep", "127.0.0.2").rc == 0
    assert rows(a)["keep"][0] == ""              # halted, managed here
    assert running_here(b, "keep")
    b.ok("destroy", "keep")
    assert "keep" not in rows(b)                 # not managed there


def test_c_refused_for_an_unmanaged_domain(make_env) -> None:
    a, pa = relocating(make_env, "127.0.0.1")
    a.write_config("um", basic_config("um", 64))
    a.ok("create", "um")
    res = a.xm("migrate", "-c", "-p", str(pa), "um", "127.0.0.1")
    assert res.rc == 1 and "not managed" in res.err
    assert running_here(a, "um")


@pytest.mark.parametrize("case", ["clash", "memory", "hosts-allow",
                                  "no-server", "paused", "dom0"])
def test_failures_leave_the_domain_running_here(make_env, case: str) -> None:
    extra: dict[str, object] = {}
    if case == "memory":
        extra = {"sim_host_memory": 1280}        # dom0 has 1024 of it
    if case == "hosts-allow":
        extra = {"xend_relocation_hosts_allow": "'^10\\\\. ^nowhere$'"}
    a, _ = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2", **extra)
    a.write_config("f", basic_config("f", 512))
    a.ok("create", "f")
    target = "f"
    if case == "clash":
        b.write_config("f", basic_config("f", 64))
        b.ok("create", "f")
    if case == "no-server":
        pb = free_port("127.0.0.2")
    if case == "paused":
        a.ok("pause", "f")
    if case == "dom0":
        target = "Domain-0"
    res = a.xm("migrate", "-p", str(pb), target, "127.0.0.2")
    print(f"{case}: rc={res.rc} {res.err.strip()}")
    assert res.rc == 1 and res.err.startswith("Error: ")
    assert len(res.err.strip().splitlines()) == 1, res.err
    assert "Traceback" not in res.err
    expected = {"clash": "already exists", "memory": "not enough memory",
                "hosts-allow": "not allowed", "no-server": "refused",
                "paused": "not running", "dom0": "privileged"}[case]
    assert expected in res.err
    if case in ("clash", "memory", "hosts-allow"):
        assert "(from 127.0.0.2)" in res.err
    state = rows(a)["f"]
    assert state[0] != "" and "s" not in state[1]
    if case == "paused":
        assert "p" in state[1]
    else:
        assert running_here(a, "f")
    others = rows(b)
    assert all(not n.startswith("f-") for n in others), others
    if case != "clash":
        assert "f" not in others


def test_bad_arguments(make_env) -> None:
    a, _ = relocating(make_env, "127.0.0.1")
    for args, what in ((["-p", "70000", "x", "h"], "port"),
                       (["-n", "abc", "x", "h"], "node"),
                       (["x"], "Host"),
                       (["nosuch", "127.0.0.1"], "")):
        res = a.xm("migrate", *args)
        assert res.rc in (1, 2, 3) and res.err.startswith("Error"), res.err
        assert "Traceback" not in res.err
    assert a.xm("migrate", "nosuch", "127.0.0.1").rc == 3


def test_progress_reports_reach_the_client(make_env) -> None:
    """xend streams progress (bytes, rate, iteration, dirty pages) to the
    caller while it migrates; what xm draws on a terminal."""
    from xm.client import XendClient
    a, _ = relocating(make_env, "127.0.0.1", sim_stream_rate=4096)
    b, pb = relocating(make_env, "127.0.0.2")
    a.write_config("pr", basic_config("pr", 1024))   # ~4.6 MB at 4 MB/s
    a.ok("create", "pr")
    reports: list[dict] = []
    with XendClient(a.socket, timeout=60) as client:
        client.call("xend.domain.migrate", "pr", "127.0.0.2", True, pb, -1,
                    None, False, on_progress=reports.append)
    print(f"{len(reports)} progress reports; last: {reports[-1]}")
    assert len(reports) >= 4
    sent = [r.get("image_sent", 0) for r in reports]
    assert sent == sorted(sent) and sent[-1] > 1 << 20
    assert max(r.get("iteration", 0) for r in reports) >= 1
    assert all(isinstance(r.get("rate"), int) for r in reports
               if "image_sent" in r)
    assert running_here(b, "pr") and "pr" not in rows(a)


def test_xl_protocol_between_two_xends(make_env) -> None:
    """xm migrate --xl to a command that runs xm migrate-receive: xl's
    protocol, both ends ours (the lab runs them against real xl)."""
    import sys
    a, _ = relocating(make_env, "127.0.0.1")
    b, _ = relocating(make_env, "127.0.0.2")
    a.write_config("xlm", basic_config("xlm", 64))
    a.ok("create", "xlm")
    uuid = uuid_of(a, "xlm")
    rune = (f"env XEND_CONFIG={b.config} XM_SERVER=unix://{b.socket} "
            f"{sys.executable} -m xm migrate-receive")
    res = a.xm("migrate", "--xl", "-s", "", "xlm", rune)
    assert res.rc == 0, res.err + a.log() + b.log()
    assert "xlm" not in rows(a)
    assert running_here(b, "xlm") and uuid_of(b, "xlm") == uuid
    # A receiver that cannot take it (name clash): it runs here again.
    b.ok("rename", "xlm", "xlm2")
    b.write_config("xlm", basic_config("xlm", 64))
    b.ok("create", "xlm")
    rune_a = (f"env XEND_CONFIG={a.config} XM_SERVER=unix://{a.socket} "
              f"{sys.executable} -m xm migrate-receive")
    res = b.xm("migrate", "--xl", "-s", "", "xlm2", rune_a)
    assert res.rc == 0, res.err
    assert running_here(a, "xlm2")
    a.ok("rename", "xlm2", "xlm")
    res = a.xm("migrate", "--xl", "-s", "", "xlm", rune)
    assert res.rc == 1 and res.err.startswith("Error: "), res.err
    assert running_here(a, "xlm")
    assert "xlm--incoming" not in rows(b)


def test_xl_protocol_to_the_same_xend(make_env) -> None:
    """xl's protocol with both ends on one xend (as xl migrate to
    localhost): one copy, same uuid, a new domid."""
    import sys
    a, _ = relocating(make_env, "127.0.0.1")
    a.write_config("self", basic_config("self", 64))
    a.ok("create", "self")
    uuid, before = uuid_of(a, "self"), rows(a)["self"][0]
    rune = (f"env XEND_CONFIG={a.config} XM_SERVER=unix://{a.socket} "
            f"{sys.executable} -m xm migrate-receive")
    res = a.xm("migrate", "--xl", "-s", "", "self", rune)
    assert res.rc == 0, res.err + a.log()
    assert list(rows(a)) == ["self"] and rows(a)["self"][0] != before
    assert uuid_of(a, "self") == uuid and running_here(a, "self")


def test_managed_domain_comes_home(make_env) -> None:
    """Migrated away without -c, the managed domain stays halted at home;
    migrated back, it runs there again as the managed domain."""
    a, pa = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    cfg = a.write_config("homing", basic_config("homing", 64))
    a.ok("new", str(cfg))
    a.ok("start", "homing")
    assert a.xm("migrate", "-p", str(pb), "homing", "127.0.0.2").rc == 0
    res = b.xm("migrate", "-p", str(pa), "homing", "127.0.0.1")
    assert res.rc == 0, res.err + a.log()
    assert running_here(a, "homing") and "homing" not in rows(b)
    a.ok("destroy", "homing")
    assert rows(a)["homing"][0] == ""            # still managed here


def test_numa_node_option(make_env) -> None:
    """-n N: node 0 exists on the one-node simulated host; node 1 does
    not, which the destination says before anything is sent."""
    a, _ = relocating(make_env, "127.0.0.1")
    b, pb = relocating(make_env, "127.0.0.2")
    a.write_config("nn", basic_config("nn", 64))
    a.ok("create", "nn")
    res = a.xm("migrate", "-n", "1", "-p", str(pb), "nn", "127.0.0.2")
    assert res.rc == 1 and "no NUMA node 1" in res.err, res.err
    assert "(from 127.0.0.2)" in res.err and running_here(a, "nn")
    assert a.xm("migrate", "-n", "0", "-p", str(pb), "nn", "127.0.0.2").rc == 0
    assert running_here(b, "nn")
