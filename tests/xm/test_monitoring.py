"""Monitoring Plugins conventions (xm.monitoring): ranges, states, perfdata,
table-driven against the guidelines' examples."""

from __future__ import annotations

import math

import pytest

from xm.monitoring import (CRITICAL, OK, UNKNOWN, WARNING, Range,
                           Thresholds, parse_state, perfdata, status_line,
                           worst)

INF = math.inf


@pytest.mark.parametrize("text,start,end,inside", [
    ("10", 0, 10, False), ("10:", 10, INF, False), ("~:10", -INF, 10, False),
    ("10:20", 10, 20, False), ("@10:20", 10, 20, True), ("@10", 0, 10, True),
    ("0:", 0, INF, False), (":", 0, INF, False), ("~:", -INF, INF, False),
    ("-5:-1", -5, -1, False), ("0.5:1.5", 0.5, 1.5, False),
    (" 7 ", 0, 7, False), ("@~:20", -INF, 20, True), ("5:5", 5, 5, False),
])
def test_parse_range(text, start, end, inside):
    assert Range.parse(text) == Range(start, end, inside)


@pytest.mark.parametrize("text", ["", "@", "abc", "10:abc", "x:10", "20:10",
                                  "1:2:3", "~", "inf", "nan:", "10::",
                                  "@@10", "~:-inf"])
def test_parse_range_rejects(text):
    with pytest.raises(ValueError):
        Range.parse(text)


# The guidelines' table: "generate an alert if x ..."
@pytest.mark.parametrize("text,alerting,quiet", [
    ("10", [-1, 10.5, 11], [0, 5, 10]),
    ("10:", [9.99, 0, -3], [10, 11, 1e9]),
    ("~:10", [10.01, 11], [-1e9, 0, 10]),
    ("10:20", [9, 21], [10, 15, 20]),
    ("@10:20", [10, 15, 20], [9.9, 20.1]),
    ("@~:20", [-1e9, 20], [20.5]),
])
def test_alerts(text, alerting, quiet):
    rng = Range.parse(text)
    assert [rng.alerts(v) for v in alerting] == [True] * len(alerting)
    assert [rng.alerts(v) for v in quiet] == [False] * len(quiet)


@pytest.mark.parametrize("text,shown", [
    ("10", "10"), ("0:10", "10"), ("10:", "10:"), ("~:10", "~:10"),
    ("@10:20", "@10:20"), ("0.5", "0.5"), ("1.25:2.5", "1.25:2.5"),
    (":", "0:"), ("-3:", "-3:"), ("@~:5", "@~:5"),
])
def test_range_text_is_standard(text, shown):
    assert str(Range.parse(text)) == shown
    assert Range.parse(str(Range.parse(text))) == Range.parse(text)


@pytest.mark.parametrize("text,value,why", [
    ("512:", 100, "< 512"), ("10", 11, "> 10"), ("10", -1, "< 0"),
    ("10:20", 25, "> 20"), ("@10:20", 15, "in 10..20"),
    ("@10:", 15, ">= 10"), ("@~:20", 3, "<= 20"), ("10", 5, ""),
])
def test_why(text, value, why):
    assert Range.parse(text).why(value) == why


def test_thresholds_critical_first():
    limits = Thresholds(Range.parse("1024:"), Range.parse("512:"))
    assert [limits.state(v) for v in (2000, 1024, 1000, 512, 100)] == \
        [OK, OK, WARNING, WARNING, CRITICAL]
    assert limits.tripped(100) == Range.parse("512:")
    assert limits.tripped(1000) == Range.parse("1024:")
    assert limits.tripped(2000) is None
    assert Thresholds().state(-1e9) == OK


def test_floor():
    assert Range.floor(512) == Range.parse("512:")


@pytest.mark.parametrize("states,result", [
    ((), OK), ((OK,), OK), ((OK, UNKNOWN), UNKNOWN),
    ((UNKNOWN, WARNING), WARNING), ((WARNING, CRITICAL, UNKNOWN), CRITICAL),
    ((CRITICAL, OK), CRITICAL),
])
def test_worst(states, result):
    assert worst(*states) == result


@pytest.mark.parametrize("text,state", [
    ("ok", OK), ("WARNING", WARNING), ("Critical", CRITICAL),
    ("unknown", UNKNOWN), ("0", OK), ("3", UNKNOWN), (" 2 ", CRITICAL),
])
def test_parse_state(text, state):
    assert parse_state(text) == state


@pytest.mark.parametrize("text", ["", "4", "-1", "crit", "bad"])
def test_parse_state_rejects(text):
    with pytest.raises(ValueError):
        parse_state(text)


@pytest.mark.parametrize("args,item", [
    (("domains", 5), "'domains'=5"),
    (("domains", 5, "", Thresholds(), 0), "'domains'=5;;;0"),
    (("free_memory", 2752, "MB", Thresholds(Range.floor(1024),
                                            Range.floor(512)), 0, 4096),
     "'free_memory'=2752MB;1024:;512:;0;4096"),
    (("load1", 0.42, "", Thresholds(None, Range.parse("8")), 0),
     "'load1'=0.42;;8;0"),
    (("time", 0.0012345, "s", Thresholds(), 0), "'time'=0.001234s;;;0"),
    (("x", 1e-9), "'x'=0"), (("x", -2.5), "'x'=-2.5"),
    (("with space", 1.0), "'with space'=1"),
])
def test_perfdata(args, item):
    assert perfdata(*args) == item


@pytest.mark.parametrize("label", ["a=b", "it's"])
def test_perfdata_rejects_labels(label):
    with pytest.raises(ValueError):
        perfdata(label, 1)


def test_status_line():
    assert status_line("XEND", OK, "fine", ["'a'=1", "'b'=2"]) == \
        "XEND OK - fine | 'a'=1 'b'=2"
    assert status_line("XEND", UNKNOWN, "no perf") == "XEND UNKNOWN - no perf"
    # The text can neither start the perfdata nor a second line.
    assert status_line("XEND", CRITICAL, "a|b\nc") == "XEND CRITICAL - a/b c"
