"""sched-credit / sched-credit2 / sched-sedf."""

from __future__ import annotations

import pytest

from xend.errors import InvalidArgument, NotSupported


@pytest.fixture
def credit(fake):
    fake.answers["xend.node.scheduler"] = "credit"
    fake.answers["xend.domain.sched_credit_get"] = \
        lambda name: {"weight": 256, "cap": 0}
    return fake


def test_table_of_all_domains(xm, credit):
    r = xm("sched-credit")
    assert r.status == 0
    lines = r.out.splitlines()
    assert lines[0] == "%-33s %4s %6s %4s" % ("Name", "ID", "Weight", "Cap")
    assert lines[2] == "%-32s %5s %6d %4d" % ("guest1", "7", 256, 0)
    assert len(lines) == 4
    assert credit.methods()[:2] == ["xend.node.scheduler",
                                    "xend.domains_with_state"]


def test_one_domain(xm, credit):
    r = xm("sched-credit", "-d", "guest1")
    assert r.out.splitlines()[1].split() == ["guest1", "7", "256", "0"]
    assert ("xend.domain.sched_credit_get", ("guest1",), None) in credit.calls


def test_one_unknown_domain_exits_3(xm, credit):
    assert xm("sched-credit", "-d", "nope").status == 3


def test_unavailable_values_show_minus_one(xm, credit):
    credit.answers["xend.domain.sched_credit_get"] = NotSupported("no")
    assert xm("sched-credit", "-d", "guest1").out.splitlines()[1].split()[2:] \
        == ["-1", "-1"]


@pytest.mark.parametrize("args,params", [
    (["-d", "guest1", "-w", "512"], ("guest1", 512, None)),
    (["-d", "guest1", "-c", "50"], ("guest1", None, 50)),
    (["--domain=guest1", "--weight=1", "--cap=2"], ("guest1", 1, 2)),
    (["-dguest1", "-w5"], ("guest1", 5, None)),
    (["--dom", "guest1", "--we", "7"], ("guest1", 7, None)),
])
def test_set(xm, credit, args, params):
    r = xm("sched-credit", *args)
    assert (r.status, r.out) == (0, "")
    assert credit.calls[-1] == ("xend.domain.sched_credit_set", params, None)


def test_set_needs_a_domain(xm, credit):
    r = xm("sched-credit", "-w", "5")
    assert r.status == 1
    assert r.err.startswith("Error: No domain given.\nUsage: xm sched-credit")


def test_set_rejects_non_integers(xm, credit):
    r = xm("sched-credit", "-d", "guest1", "-w", "lots")
    assert r.status == 1 and r.err.startswith("Error: Invalid argument.")


def test_xend_range_error(xm, credit):
    credit.answers["xend.domain.sched_credit_set"] = InvalidArgument(
        "weight out of range")
    r = xm("sched-credit", "-d", "guest1", "-w", "70000")
    assert r.status == 1 and r.err.startswith("Error: weight out of range\n")


@pytest.mark.parametrize("cmd,running", [("sched-credit", "credit2"),
                                         ("sched-credit2", "credit"),
                                         ("sched-sedf", "credit")])
def test_wrong_scheduler(xm, fake, cmd, running):
    fake.answers["xend.node.scheduler"] = running
    r = xm(cmd, "-d", "guest1") if cmd != "sched-sedf" else xm(cmd)
    assert r.status == 1
    assert r.err == f"Error: Xen is running with the {running} scheduler\n"
    assert fake.methods() == ["xend.node.scheduler"]


def test_credit2(xm, fake):
    fake.answers["xend.node.scheduler"] = "credit2"
    fake.answers["xend.domain.sched_credit2_get"] = lambda n: {"weight": 300}
    r = xm("sched-credit2", "-d", "guest1")
    assert r.out.splitlines() == ["%-33s %4s %6s" % ("Name", "ID", "Weight"),
                                  "%-32s %5s %6d" % ("guest1", "7", 300)]
    xm("sched-credit2", "-d", "guest1", "-w", "128")
    assert fake.calls[-1] == ("xend.domain.sched_credit2_set",
                              ("guest1", 128), None)
    r = xm("sched-credit2", "-w", "128")
    assert r.status == 1 and r.err.startswith("Error: No domain given.")


def test_credit2_has_no_cap(xm, fake):
    fake.answers["xend.node.scheduler"] = "credit2"
    r = xm("sched-credit2", "-d", "guest1", "-c", "5")
    assert (r.status, r.err.splitlines()[0]) == \
        (1, "Error: option -c not recognized")
