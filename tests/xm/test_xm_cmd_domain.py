"""Argument parsing and RPCs of the one-call commands, and their output."""

from __future__ import annotations

import pytest

ONE_CALL = [
    (["destroy", "guest1"], "xend.domain.destroy", ("guest1",)),
    (["pause", "7"], "xend.domain.pause", ("7",)),
    (["unpause", "guest1"], "xend.domain.unpause", ("guest1",)),
    (["reset", "guest1"], "xend.domain.reset", ("guest1",)),
    (["rename", "guest1", "web"], "xend.domain.setName", ("guest1", "web")),
    (["sysrq", "guest1", "s"], "xend.domain.send_sysrq", ("guest1", "s")),
    (["trigger", "guest1", "nmi"], "xend.domain.send_trigger",
     ("guest1", "nmi", 0)),
    (["trigger", "guest1", "power", "1"], "xend.domain.send_trigger",
     ("guest1", "power", 1)),
    (["delete", "managed-off"], "xend.domain.delete", ("managed-off",)),
    (["start", "managed-off"], "xend.domain.start", ("managed-off", False)),
    (["start", "-p", "managed-off"], "xend.domain.start",
     ("managed-off", True)),
    (["start", "managed-off", "--paused"], "xend.domain.start",
     ("managed-off", True)),
    (["suspend", "guest1"], "xend.domain.suspend", ("guest1",)),
    (["resume", "guest1"], "xend.domain.resume", ("guest1", False)),
    (["resume", "-p", "guest1"], "xend.domain.resume", ("guest1", True)),
    (["mem-set", "guest1", "512"], "xend.domain.setMemoryTarget",
     ("guest1", 512)),
    (["mem-set", "guest1", "1g"], "xend.domain.setMemoryTarget",
     ("guest1", 1024)),
    (["mem-set", "guest1", "262144k"], "xend.domain.setMemoryTarget",
     ("guest1", 256)),
    (["mem-max", "guest1", "768m"], "xend.domain.maxmem_set",
     ("guest1", 768)),
    (["vcpu-set", "guest1", "2"], "xend.domain.setVCpuCount", ("guest1", 2)),
    (["set-vcpus", "guest1", "1"], "xend.domain.setVCpuCount", ("guest1", 1)),
    (["vcpu-pin", "guest1", "0", "0-3,5,^1"], "xend.domain.pincpu",
     ("guest1", 0, "0,2-3,5")),
    (["vcpu-pin", "guest1", "all", "all"], "xend.domain.pincpu",
     ("guest1", -1, "all")),
]


@pytest.mark.parametrize("args,method,params", ONE_CALL,
                         ids=lambda v: " ".join(v) if isinstance(v, list)
                         else None)
def test_one_call_commands(xm, fake, args, method, params):
    r = xm(*args)
    assert (r.status, r.out) == (0, ""), r.err
    assert fake.calls == [(method, params, None)]


@pytest.fixture
def console(fake, monkeypatch):
    from xm import cmd_console
    fake.answers["xend.domain.getConsolePath"] = "/dev/pts/4"
    monkeypatch.setattr(cmd_console, "ATTACH", lambda path:
                        fake.calls.append(("attach", (path,), None)))
    return fake


@pytest.mark.parametrize("args, paused", [
    (["-c", "managed-off"], False), (["managed-off", "-pc"], True),
    (["--console_autoconnect", "managed-off"], False)])
def test_start_c_attaches_after_the_start(xm, console, args, paused):
    r = xm("start", *args)
    assert (r.status, r.out, r.err) == (0, "", "")
    assert console.calls == [
        ("xend.domain.start", ("managed-off", paused), None),
        ("xend.domain.getConsolePath", ("managed-off", 0), None),
        ("attach", ("/dev/pts/4",), None)]


def test_start_c_failed_start_or_dry_run_attach_nothing(xm, console):
    from xend.errors import InvalidState
    console.answers["xend.domain.start"] = InvalidState(
        "Domain is already running")
    r = xm("start", "-c", "managed-off")
    assert r.status == 1
    assert r.err.startswith("Error: Domain is already running\n")
    assert console.methods() == ["xend.domain.start"]
    console.calls.clear()
    r = xm("-N", "start", "-c", "managed-off")
    assert r.status == 0 and console.calls == []
    assert '"method": "xend.domain.start"' in r.out


def test_start_help_lists_c(xm):
    r = xm("start", "--help")
    assert "-c, --console_autoconnect" in r.out


@pytest.mark.parametrize("args", [
    ["mem-set", "guest1", "lots"], ["mem-max", "guest1", "-1"],
    ["vcpu-set", "guest1", "two"], ["vcpu-pin", "guest1", "x", "1"],
    ["vcpu-pin", "guest1", "0", "3-1"], ["trigger", "guest1", "nmi", "x"],
])
def test_bad_values_are_invalid_arguments(xm, fake, args):
    r = xm(*args)
    assert r.status == 1
    assert r.err.startswith(f"Error: Invalid argument.\nUsage: xm {args[0]} ")
    assert fake.calls == []


def test_domid_and_domname(xm):
    assert xm("domid", "guest1").out == "7\n"
    assert xm("domid", "managed-off").out == "None\n"
    assert xm("domname", "7").out == "guest1\n"


def test_list_sorted_with_inactive_managed(xm, fake):
    fake.domains.reverse()
    r = xm("list")
    assert r.status == 0
    lines = r.out.splitlines()
    assert lines[0].split() == ["Name", "ID", "Mem", "VCPUs", "State",
                                "Time(s)"]
    assert [line.split()[0] for line in lines[1:]] == \
        ["Domain-0", "guest1", "managed-off"]
    assert lines[3] == "%-40s %5s %5d %5d %10s %8.1f" % (
        "managed-off", "", 256, 1, "", 0.0)
    assert fake.calls == [("xend.domains_with_state", (True, "all", False),
                           None)]


def test_list_named_domains_in_argument_order(xm, fake):
    r = xm("list", "managed-off", "Domain-0")
    assert [line.split()[0] for line in r.out.splitlines()[1:]] == \
        ["managed-off", "Domain-0"]
    assert fake.methods() == ["xend.domain", "xend.domain"]


def test_list_unknown_domain_exits_3(xm):
    r = xm("list", "guest1", "nope")
    assert r.status == 3
    assert r.err == "Error: Domain 'nope' does not exist.\n"


def test_list_state_filter_goes_to_xend(xm, fake):
    xm("list", "--state=Paused")
    assert fake.calls == [("xend.domains_with_state", (True, "paused", False),
                           None)]


def test_list_state_and_domains_is_a_usage_error(xm, fake):
    r = xm("list", "--state=running", "guest1")
    assert r.status == 1
    assert r.err.startswith("Error: You may specify either a state or a "
                            "particular VM, but not both\nUsage: xm list")
    assert fake.calls == []


def test_list_long_pretty_prints_the_sxp(xm, fake):
    fake.domains[1]["sxp"] = [
        "domain", ["domid", 7], ["uuid", "5f3c8e2a-1b2c-4d5e-8f90-0123456789ab"],
        ["name", "guest1"], ["memory", 512], ["bootloader", ""],
        ["state", "-b----"]]
    r = xm("list", "-l", "guest1")
    assert r.status == 0
    assert r.out == ("(domain\n"
                     "    (domid 7)\n"
                     "    (uuid 5f3c8e2a-1b2c-4d5e-8f90-0123456789ab)\n"
                     "    (name guest1)\n"
                     "    (memory 512)\n"
                     "    (bootloader '')\n"
                     "    (state -b----)\n"
                     ")\n")


def test_list_long_output_satisfies_xendomains(xm, fake):
    """xm-compat §6.3: every record starts with a '(domain' line, and
    '(domid N)' and '(name X)' each end their line."""
    for rec in fake.domains:
        rec["sxp"] = ["domain"] + ([["domid", rec["domid"]]]
                                   if rec["domid"] is not None else []) + [
            ["name", rec["name"]], ["description", "x" * 90]]
    out = xm("list", "--long").out
    found = []
    name = domid = None
    for line in out.splitlines():
        if "(domain" in line:
            name = domid = None
        elif line.rstrip().endswith(")") and "(name " in line:
            name = line.split("(name ", 1)[1][:-1]
        elif "(domid " in line:
            domid = line.split("(domid ", 1)[1][:-1]
        if name and domid:
            found.append((name, domid))
            name = domid = None
    assert found == [("Domain-0", "0"), ("guest1", "7")]


def test_uptime(xm, fake):
    r = xm("uptime", "guest1")
    assert r.out.splitlines()[1] == ("guest1" + " " * 31 +
                                     "7 2 days, 13:00:42")


def test_info(xm, fake):
    fake.answers["xend.node.info"] = [["host", "xenhost"], ["nr_cpus", 4]]
    r = xm("info")
    assert r.out == ("host                   : xenhost\n"
                     "nr_cpus                : 4\n")


def test_info_numa_asks_xend_for_the_topology(xm, fake):
    """-n/--numa is xend.node.info(True); the multi-line values print after
    the key like any other (4.4); without -n the call has no argument."""
    fake.answers["xend.node.info"] = lambda *numa: [
        ["free_cpus", 0],
        *([["cpu_topology", "\ncpu:    core    socket     node\n"
                            "  0:       0        0        0"]] if numa else []),
        ["xen_major", 4]]
    assert xm("info").out == ("free_cpus              : 0\n"
                              "xen_major              : 4\n")
    for flag in ("-n", "--numa"):
        assert xm("info", flag).out == (
            "free_cpus              : 0\n"
            "cpu_topology           : \n"
            "cpu:    core    socket     node\n"
            "  0:       0        0        0\n"
            "xen_major              : 4\n")
    assert [params for _, params, _ in fake.calls] == [(), (True,), (True,)]


def test_dmesg_and_log(xm, fake):
    fake.answers["xend.node.dmesg.info"] = "(XEN) one\n(XEN) two\n"
    fake.answers["xend.node.dmesg.clear"] = "(XEN) three\n"
    fake.answers["xend.node.log"] = "line1\nline2"
    assert xm("dmesg").out == "(XEN) one\n(XEN) two\n"
    assert xm("dmesg", "--clear").out == "(XEN) three\n"
    assert xm("log").out == "line1\nline2\n"
    assert fake.methods() == ["xend.node.dmesg.info", "xend.node.dmesg.clear",
                              "xend.node.log"]


def test_vcpu_list_all_and_named(xm, fake):
    def info(name):
        rec = fake.find(name)
        cpu = -1 if rec["domid"] is None else 0
        return [{"vcpu": 0, "cpu": cpu, "online": True, "running": False,
                 "blocked": True, "cpu_time": 1.0, "affinity": [0, 1],
                 "nr_host_cpus": 2}]
    fake.answers["xend.domain.getVCPUInfo"] = info
    r = xm("vcpu-list")
    lines = r.out.splitlines()
    assert lines[0].startswith("Name")
    assert [line.split()[0] for line in lines[1:]] == \
        ["Domain-0", "guest1", "managed-off"]
    assert lines[2].endswith("any cpu")
    fake.calls.clear()
    r = xm("vcpu-list", "guest1")
    assert len(r.out.splitlines()) == 2
    assert fake.calls == [("xend.domain", ("guest1",), None),
                          ("xend.domain.getVCPUInfo", ("guest1",), None)]


def test_help_command_is_not_an_rpc(xm, fake):
    assert xm("help").status == 0
    assert fake.calls == []


def test_list_v_is_deprecated_vcpu_list(xm, fake):
    fake.answers["xend.domain.getVCPUInfo"] = lambda name: []
    r = xm("list", "-v", "guest1")
    assert r.err == "xm list -v is deprecated.  Please use xm vcpu-list.\n"
    assert r.out.split() == ["Name", "ID", "VCPU", "CPU", "State", "Time(s)",
                             "CPU", "Affinity"]


def test_info_config_reads_the_local_xend_config(xm, fake, tmp_path,
                                                 monkeypatch):
    conf = tmp_path / "xend-config.sxp"
    conf.write_text("(hypervisor sim)\n(sim-host-cpus 8)\n(keymap de)\n")
    monkeypatch.setenv("XEND_CONFIG", str(conf))
    r = xm("info", "-c")
    assert r.status == 0 and fake.calls == []
    lines = r.out.splitlines()
    assert "%-38s: 8" % "sim_host_cpus" in lines
    assert lines.count("%-38s: de" % "keymap") == 2  # setting + file entry
    assert "%-38s: sim" % "hypervisor" in lines
    names = [line.split(":")[0].strip() for line in lines]
    # settings alphabetically; the file's entries where "config" sorts
    assert names[:4] == ["hypervisor", "sim-host-cpus", "keymap",
                         "console_limit"]
