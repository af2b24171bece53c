"""check_xend's command line and judgement, in process: options to
:class:`Options`, records and host figures to states, text and perfdata
(``gather`` gets a stand-in for the RPC; the real xend is in
tests/e2e/test_check_xend.py)."""

from __future__ import annotations

import io
import math
from typing import Any

import pytest

from xm.check_xend import (USAGE, main, parse_args, parse_mem_threshold,
                           parse_timeout)
from xm.monitoring import CRITICAL, OK, UNKNOWN, WARNING, Range, Thresholds
from xm.xend_health import (Options, domain_condition, find_domain,
                            gather)

ENV = {"XM_SERVER": "unix:///run/test/xend.sock"}


def opts(*argv: str) -> Options:
    parsed = parse_args(list(argv), ENV)
    assert isinstance(parsed, Options)
    return parsed


def run_main(*argv: str, env: dict[str, str] = ENV) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out, env), out.getvalue()


# -- options ---------------------------------------------------------------
def test_defaults():
    o = opts()
    assert o == Options("/run/test/xend.sock", (), Thresholds(),
                        Thresholds(), 10.0, CRITICAL, 0)


def test_socket_discovery_as_xm():
    assert parse_args([], {}).socket == "/run/xend/xend.sock"
    assert opts("-S", "/tmp/x.sock").socket == "/tmp/x.sock"
    assert opts("--socket=unix:///tmp/y.sock").socket == "/tmp/y.sock"


def test_options_all():
    o = opts("-d", "web1,web2", "--domain", "db1", "-d", "web1", "-w", "1024",
             "--mem-crit=@0:512", "--load-warn", "4", "--load-crit=8:",
             "-t", "5:UNKNOWN", "-vv", "--verbose")
    assert o.domains == ("web1", "web2", "db1")
    assert o.mem == Thresholds(Range(1024, math.inf), Range(0, 512, True))
    assert o.load == Thresholds(Range(0, 4), Range(8, math.inf))
    assert (o.timeout, o.timeout_state, o.verbosity) == (5.0, UNKNOWN, 3)


@pytest.mark.parametrize("text,rng", [
    ("512", Range(512, math.inf)), ("0", Range(0, math.inf)),
    ("1.5", Range(1.5, math.inf)), ("512:", Range(512, math.inf)),
    ("~:100", Range(-math.inf, 100)), ("@0:512", Range(0, 512, True)),
])
def test_mem_threshold_plain_number_is_a_floor(text, rng):
    assert parse_mem_threshold(text) == rng


@pytest.mark.parametrize("text", ["", "abc", "-5", "nan", "inf", "1g",
                                  "20:10"])
def test_mem_threshold_rejects(text):
    with pytest.raises(ValueError):
        parse_mem_threshold(text)


@pytest.mark.parametrize("text,result", [
    ("10", (10.0, CRITICAL)), ("1.5", (1.5, CRITICAL)),
    ("3:unknown", (3.0, UNKNOWN)), ("3:1", (3.0, WARNING)),
    ("3:OK", (3.0, OK)),
])
def test_timeout(text, result):
    assert parse_timeout(text) == result


@pytest.mark.parametrize("text", ["0", "-1", "x", "nan", "inf", "10:5",
                                  "10:", "100000"])
def test_timeout_rejects(text):
    with pytest.raises(ValueError):
        parse_timeout(text)


@pytest.mark.parametrize("argv,message", [
    (["--bogus"], "option --bogus not recognized"),
    (["-x"], "option -x not recognized"),
    (["-w"], "option -w requires argument"),
    (["web1"], "unexpected argument 'web1'"),
    (["-w", "lots"], "-w: 'lots' is not a number of MiB"),
    (["--load-crit", "9:1"], "--load-crit: '9:1': the range's start"),
    (["-t", "0"], "-t: timeout '0' is not above 0"),
    (["-t", "5:LOUD"], "-t: 'LOUD' is not a state"),
    (["-d", "a,,b"], "-d: empty domain name in 'a,,b'"),
    (["-S", "http://host:8000"], "unsupported XM_SERVER 'http://host:8000'"),
    (["--load"], "option --load not a unique prefix"),
])
def test_bad_arguments_are_unknown_on_one_line(argv, message):
    rc, out = run_main(*argv)
    assert rc == UNKNOWN
    assert out.count("\n") == 1 and out.startswith("XEND UNKNOWN - ")
    assert message in out and USAGE.split(" [")[0] in out
    assert "|" not in out               # no empty perfdata either


def test_bad_xm_server_is_unknown():
    rc, out = run_main(env={"XM_SERVER": "tcp://x"})
    assert rc == UNKNOWN and out.startswith("XEND UNKNOWN - unsupported")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_exits_unknown(flag):
    rc, out = run_main("-d", "x", flag)
    assert rc == UNKNOWN
    assert out.startswith("check_xend ") and "Usage: check_xend" in out
    for option in ("--socket", "--domain", "--mem-warn", "--mem-crit",
                   "--load-warn", "--load-crit", "--timeout", "--verbose",
                   "--version", "THRESHOLDFORMAT"):
        assert option in out


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag):
    rc, out = run_main(flag)
    assert (rc, out) == (UNKNOWN, "check_xend 0.1.0\n")


# -- domain states ---------------------------------------------------------
def rec(name: str, domid: int | None, state: str = "-b----",
        **extra: Any) -> dict[str, Any]:
    return {"name": name, "domid": domid, "state": state if domid is not None
            else "", "uuid": f"uuid-{name}",
            "power_state": extra.pop("power_state", "running"), **extra}


@pytest.mark.parametrize("record,result", [
    (rec("a", 1, "r-----"), (OK, "running")),
    (rec("a", 1, "-b----"), (OK, "blocked")),
    (rec("a", 1, "------"), (OK, "runnable")),
    (rec("a", 1, "--p---"), (WARNING, "paused")),
    (rec("a", 1, "-bp---", paused_by_admin=True),
     (WARNING, "paused by admin")),
    (rec("a", 1, "---s--"), (CRITICAL, "shut down")),
    (rec("a", 1, "----c-"), (CRITICAL, "crashed")),
    (rec("a", 1, "--p-c-"), (CRITICAL, "crashed")),
    (rec("a", 1, "-----d"), (CRITICAL, "dying")),
    (rec("a", None, power_state="halted"), (CRITICAL, "halted")),
    (rec("a", None, power_state="suspended"), (CRITICAL, "suspended")),
])
def test_domain_condition(record, result):
    assert domain_condition(record) == result


def test_find_domain_by_name_uuid_or_id():
    records = [rec("Domain-0", 0, "r-----"), rec("7", 3), rec("web", 7)]
    assert find_domain(records, "web")["domid"] == 7
    assert find_domain(records, "uuid-web")["domid"] == 7
    assert find_domain(records, "0")["name"] == "Domain-0"
    assert find_domain(records, "7")["name"] == "7"     # a name first
    assert find_domain(records, "nope") is None
    assert find_domain([rec("halted", None)], "None") is None


# -- one run ---------------------------------------------------------------
RECORDS = [rec("Domain-0", 0, "r-----"), rec("web1", 1), rec("web2", 2),
           rec("db1", 3, "--p---"), rec("old", None, power_state="halted")]
INFO = [["host", "h"], ["total_memory", 4096], ["free_memory", 2752]]


def fake_call(records=RECORDS, info=INFO):
    calls: list[tuple[Any, ...]] = []

    def call(method: str, *params: Any) -> Any:
        calls.append((method, *params))
        return records if method == "xend.domains_with_state" else info
    return call, calls


def judge(*argv: str, loads=(0.5, 0.4, 0.3), **kw: Any):
    call, calls = fake_call(**kw)
    ticks = iter([100.0, 100.0125])
    outcome = gather(opts(*argv), call, lambda: loads, lambda: next(ticks))
    return outcome, calls


def test_ok_summary_and_perfdata():
    outcome, calls = judge("-d", "web1,Domain-0", "-w", "1024", "-c", "512",
                           "--load-crit", "8")
    assert calls == [("xend.domains_with_state", True, "all"),
                     ("xend.node.info",)]
    assert outcome.state == OK
    assert outcome.text == ("4 domains (1 paused), all 2 expected running, "
                            "2752 MiB free, load 0.50")
    assert outcome.perf == [
        "'domains'=4;;;0", "'paused'=1;;;0",
        "'free_memory'=2752MB;1024:;512:;0;4096", "'load1'=0.5;;8;0",
        "'load5'=0.4;;;0", "'load15'=0.3;;;0", "'time'=0.0125s;;;0"]


def test_problems_worst_first():
    outcome, _ = judge("-d", "db1,nope,web1,old", "-w", "3000",
                       "--load-crit", "0.2")
    assert outcome.state == CRITICAL
    assert outcome.text == (
        "domains not running: nope (missing), old (halted); "
        "load 0.50 (critical: > 0.2); domain paused: db1; "
        "free memory 2752 MiB (warning: < 3000)")


def test_paused_is_warning():
    outcome, _ = judge("-d", "web1", "-d", "db1")
    assert (outcome.state, outcome.text) == (WARNING, "domain paused: db1")


def test_verbose_adds_summary_and_each_domain():
    outcome, _ = judge("-v", "-d", "web1,db1")
    assert outcome.text == ("domain paused: db1; 4 domains (1 paused), "
                            "2752 MiB free, load 0.50 - web1 blocked, "
                            "db1 paused")
    outcome, _ = judge("-vvv", "-d", "nope")
    assert "domain nope: not known to xend" in outcome.details
    assert "known: old id - state ''" in outcome.details
    assert "memory: 2752 MiB free of 4096 MiB" in outcome.details


def test_missing_figures_are_unknown():
    def no_load() -> tuple[float, float, float]:
        raise OSError("load average unobtainable")
    call, _ = fake_call(info=[["host", "h"]])
    outcome = gather(opts(), call, no_load)
    assert outcome.state == UNKNOWN
    assert outcome.text == ("xend's node info has no free_memory; "
                            "no load average: load average unobtainable")
    outcome, _ = judge("-d", "nope", info=[])
    assert outcome.state == CRITICAL         # CRITICAL outranks UNKNOWN
