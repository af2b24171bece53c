"""``xm -N``: golden requests for every command that changes something.

Each line is the JSON-RPC request xm would send; queries (resolving a
name, listing domains) still go to xend, modifying methods never do.
"""

from __future__ import annotations

import pytest

from xend.rpc.api import BY_NAME as API
from xm.commands import COMMANDS

GOLDEN = [
    ("mem-set guest1 1g",
     '{"method": "xend.domain.setMemoryTarget", "params": ["guest1", 1024]}'),
    ("mem-max guest1 768m",
     '{"method": "xend.domain.maxmem_set", "params": ["guest1", 768]}'),
    ("vcpu-set guest1 2",
     '{"method": "xend.domain.setVCpuCount", "params": ["guest1", 2]}'),
    ("vcpu-pin guest1 all 0-3,^2",
     '{"method": "xend.domain.pincpu", "params": ["guest1", -1, "0-1,3"]}'),
    ("destroy 7", '{"method": "xend.domain.destroy", "params": ["7"]}'),
    ("pause guest1", '{"method": "xend.domain.pause", "params": ["guest1"]}'),
    ("unpause guest1",
     '{"method": "xend.domain.unpause", "params": ["guest1"]}'),
    ("reset guest1", '{"method": "xend.domain.reset", "params": ["guest1"]}'),
    ("rename guest1 web",
     '{"method": "xend.domain.setName", "params": ["guest1", "web"]}'),
    ("sysrq guest1 s",
     '{"method": "xend.domain.send_sysrq", "params": ["guest1", "s"]}'),
    ("trigger guest1 nmi",
     '{"method": "xend.domain.send_trigger", "params": ["guest1", "nmi", 0]}'),
    ("start -p managed-off",
     '{"method": "xend.domain.start", "params": ["managed-off", true]}'),
    ("delete managed-off",
     '{"method": "xend.domain.delete", "params": ["managed-off"]}'),
    ("suspend guest1",
     '{"method": "xend.domain.suspend", "params": ["guest1"]}'),
    ("resume guest1",
     '{"method": "xend.domain.resume", "params": ["guest1", false]}'),
    ("shutdown -H -w 7",
     '{"method": "xend.domain.shutdown", "params": ["guest1", "halt"]}'),
    ("reboot -a",
     '{"method": "xend.domain.shutdown", "params": ["guest1", "reboot"]}'),
    ("dmesg -c", '{"method": "xend.node.dmesg.clear", "params": []}'),
    ("debug-keys hq",
     '{"method": "xend.node.send_debug_keys", "params": ["hq"]}'),
    ("dump-core -L guest1 /tmp/g.core",
     '{"method": "xend.domain.dump", "params": ["guest1", "/tmp/g.core", '
     'true, false, false]}'),
    ("block-attach guest1 phy:/dev/vg/x xvdb w",
     '{"method": "xend.domain.device_create", "params": ["guest1", "vbd", '
     '{"uname": "phy:/dev/vg/x", "dev": "xvdb", "mode": "w"}]}'),
    ("block-detach guest1 xvdb -f",
     '{"method": "xend.domain.destroyDevice", "params": ["guest1", "vbd", '
     '"xvdb", true]}'),
    ("network-attach guest1 bridge=xenbr0 rate=10Mb/s",
     '{"method": "xend.domain.device_create", "params": ["guest1", "vif", '
     '{"bridge": "xenbr0", "rate": "10Mb/s"}]}'),
    ("network-detach guest1 00:16:3e:00:00:01",
     '{"method": "xend.domain.destroyDevice", "params": ["guest1", "vif", '
     '"00:16:3e:00:00:01", false]}'),
]


@pytest.mark.parametrize("line,request_", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_requests(xm, fake, line, request_):
    r = xm("-N", *line.split())
    assert (r.status, r.err) == (0, "")
    assert r.out == request_ + "\n"
    assert all(not API[m].modifies for m in fake.methods())


def test_sched_credit_set(xm, fake):
    fake.answers["xend.node.scheduler"] = "credit"
    r = xm("-N", "sched-credit", "-d", "guest1", "-w", "512")
    assert r.out == ('{"method": "xend.domain.sched_credit_set", '
                     '"params": ["guest1", 512, null]}\n')
    assert fake.methods() == ["xend.node.scheduler"]


@pytest.mark.parametrize("name", ["create", "new", "save", "restore"])
def test_commands_with_local_side_effects_refuse(xm, fake, name, tmp_path):
    args = {"create": ["x"], "new": ["x"], "save": ["guest1", str(tmp_path / "f")],
            "restore": [str(tmp_path / "f")]}[name]
    r = xm("-N", name, *args)
    assert r.status == 1
    assert r.err == f"Error: xm {name} does not implement -N (dry run)\n"
    assert fake.calls == [] and not (tmp_path / "f").exists()


def test_queries_still_work(xm, fake):
    assert xm("-N", "list").out.startswith("Name")


def test_every_modifying_command_is_covered():
    covered = {line.split()[0] for line, _ in GOLDEN} | {"sched-credit"}
    for cmd in COMMANDS:
        if cmd.dry_run and any(API[m].modifies for m in cmd.methods):
            assert cmd.name in covered or cmd.name == "sched-credit2", cmd.name
