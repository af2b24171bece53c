"""Renderers against the reference examples of xm-compat §2 (exact text)."""

from __future__ import annotations

import time

import pytest

from xm import render
from tests.xm.conftest import record

LIST_EXAMPLE = """\
Name                                        ID   Mem VCPUs      State   Time(s)
Domain-0                                     0  1024     4     r-----   4711.2
guest1                                       7   512     2     -b----     12.3
managed-off                                      256     1                 0.0
"""


def test_brief_list_matches_reference():
    recs = [record("Domain-0", 0, 1024, 4, "r-----", 4711.2),
            record("guest1", 7, 512, 2, "-b----", 12.3),
            record("managed-off", None, 256, 1)]
    assert render.brief_list(recs) == LIST_EXAMPLE


def test_list_uses_online_vcpus_when_running_and_vcpus_otherwise():
    running = record("a", 3, vcpus=4)
    running["online_vcpus"] = 2
    halted = record("b", None, vcpus=4)
    assert render.list_row(running).split()[3] == "2"
    assert render.list_row(halted).split()[2] == "4"


def test_list_row_defaults():
    assert render.list_row({"domid": None}).startswith("??")


def test_sort_by_name_is_byte_order():
    recs = [record(n, 1) for n in ["guest", "Domain-0", "alpha", "Zed"]]
    assert [r["name"] for r in render.sort_by_name(recs)] == \
        ["Domain-0", "Zed", "alpha", "guest"]


def test_info_rows():
    text = render.info([["host", "xenhost"], ["nr_cpus", 4],
                        ["xen_commandline"], ["cc_compiler", ""]])
    assert text == ("host                   : xenhost\n"
                    "nr_cpus                : 4\n"
                    "xen_commandline        : (none)\n"
                    "cc_compiler            : \n")


def test_info_skips_a_leading_tag():
    assert render.info(["node", ["host", "h"]]) == \
        "host                   : h\n"


def vcpu(n, cpu, online=True, running=False, blocked=True, t=1.25,
         affinity=(0, 1, 2, 3), nr=4):
    return {"vcpu": n, "cpu": cpu, "online": online, "running": running,
            "blocked": blocked, "cpu_time": t, "affinity": list(affinity),
            "nr_host_cpus": nr}


def test_vcpu_list():
    dom0 = record("Domain-0", 0)
    g = record("guest1", 7)
    off = record("off", None)
    text = render.vcpu_list([
        (dom0, [vcpu(0, 2, running=True, blocked=False, t=100.04)]),
        (g, [vcpu(0, 1, affinity=[0, 1, 2, 3, 5, 7, 8], nr=16),
             vcpu(1, 1, online=False, affinity=[])]),
        (off, [vcpu(0, -1, online=False, t=0.0, affinity=[0, 1])]),
    ])
    assert text.splitlines() == [
        "Name                                ID  VCPU   CPU State   Time(s) CPU Affinity",
        "Domain-0                             0     0     2   r--     100.0 any cpu",
        "guest1                               7     0     1   -b-       1.2 0-3,5,7-8",
        "guest1                               7     1     -   --p       1.2 no cpus",
        "off" + " " * 40 + "0" + " " * 19 + "0.0 0-1",
    ]


UPTIME = 2 * 86400 + 13 * 3600 + 42


def test_uptime_long():
    recs = [record("guest1", 7, uptime=UPTIME),
            record("one", 3, uptime=86400 + 61),
            record("fresh", 4, uptime=59.6),
            record("off", None)]
    assert render.uptime(recs, False, 0).splitlines() == [
        "Name" + " " * 32 + "ID Uptime ",
        # the reference example of xm-compat §2.5
        "guest1                               7 2 days, 13:00:42",
        "one                                  3 1 day,  0:01:01",
        "fresh                                4  0:01:00",
        "off                                     0:00:00",
    ]


def test_uptime_short(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        text = render.uptime([record("guest1", 7, uptime=UPTIME),
                              record("off", None)], True, 3600 * 5 + 62)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert text == (" 05:01:02 up 2 days, 13:00, guest1 (7)\n"
                    " 05:01:02 up  0:00, off ()\n")


def test_sched_credit_table():
    text = render.sched_credit([
        (record("Domain-0", 0), {"weight": 256, "cap": 0}),
        (record("guest1", 7), {"weight": 512, "cap": 50}),
        (record("off", None), None)])
    assert text == (
        "Name                                ID Weight  Cap\n"
        "Domain-0                             0    256    0\n"
        "guest1                               7    512   50\n"
        "off" + " " * 40 + "-1   -1\n")


def test_sched_credit_last_line_parses_like_xm_test():
    import re
    text = render.sched_credit([(record("guest1", 7),
                                 {"weight": 512, "cap": 50})])
    m = re.match(r"^[^ ]* *[^ ]* *([^ ]*) *([^ ]*)$", text.splitlines()[-1])
    assert m and m.groups() == ("512", "50")


def test_sched_credit2_table():
    assert render.sched_credit2([(record("g", 7), {"weight": 128})]) == (
        "Name                                ID Weight\n"
        "g                                    7    128\n")


def test_offline_vcpu_of_a_running_domain_reporting_cpu_minus_one():
    row = render.vcpu_row(record("g", 7), vcpu(3, -1, online=False))
    assert row.split()[2:5] == ["3", "-", "--p"]
