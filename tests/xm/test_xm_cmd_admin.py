"""xm domstate, dump-core and debug-keys against a fake xend: arguments,
RPCs, 4.4's output and exit codes."""

from __future__ import annotations

import os

import pytest

from xend.errors import InvalidArgument
from xm.cmd_domain import domain_state_word

# (six-letter state, paused_by_admin, word); "" = not running.  The flags
# are looked at in 4.4's order: s, b, d, r, c, p.
STATES = [
    ("", False, "shutoff"),
    ("---s--", False, "shutoff"),
    ("-b----", False, "idle"),
    ("-bp---", True, "idle"),
    ("-----d", False, "shutdown"),
    ("r-----", False, "running"),       # 4.4 printed nothing (its bug)
    ("------", False, "running"),       # runnable, between time slices
    ("----c-", False, "crashed"),
    ("--p---", False, "paused"),
    ("--p---", True, "paused by admin"),
]


@pytest.mark.parametrize("state,admin,word", STATES)
def test_domstate_words(state, admin, word):
    rec = {"state": state, "paused_by_admin": admin}
    assert domain_state_word(rec) == word


def test_domstate_prints_the_word(xm, fake):
    fake.domains[1].update(state="--p---", paused_by_admin=True)
    r = xm("domstate", "guest1")
    assert (r.status, r.out, r.err) == (0, "paused by admin\n", "")
    assert fake.calls == [("xend.domain", ("guest1",), None)]


def test_domstate_of_halted_managed_domain_is_shutoff(xm):
    assert xm("domstate", "managed-off").out == "shutoff\n"


def test_domstate_of_dom0_is_running(xm):
    assert xm("domstate", "0").out == "running\n"


def test_domstate_errors(xm):
    r = xm("domstate", "nope")
    assert (r.status, r.out) == (3, "")
    assert r.err == "Error: Domain 'nope' does not exist.\n"
    r = xm("domstate")
    assert r.status == 1
    assert r.err.startswith("Error: 'xm domstate' requires 1 argument.")


# -- dump-core ---------------------------------------------------------------
@pytest.mark.parametrize("args,params", [
    (["guest1"], ("guest1", None, False, False, False)),
    (["-L", "guest1", "/tmp/g.core"],
     ("guest1", "/tmp/g.core", True, False, False)),
    (["guest1", "--crash"], ("guest1", None, False, True, False)),
    (["--reset", "--live", "7"], ("7", None, True, False, True)),
    (["--li", "guest1"], ("guest1", None, True, False, False)),
])
def test_dump_core_calls_xend(xm, fake, args, params):
    r = xm("dump-core", *args)
    assert (r.status, r.err) == (0, "")
    assert r.out == f"Dumping core of domain: {params[0]} ...\n"
    assert fake.calls == [("xend.domain.dump", params, None)]


def test_dump_core_makes_the_file_name_absolute(xm, fake, tmp_path,
                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    xm("dump-core", "guest1", "cores/g.core")
    assert fake.calls[0][1][1] == os.path.join(str(tmp_path), "cores/g.core")


def test_dump_core_crash_and_reset_exclude_each_other(xm, fake):
    r = xm("dump-core", "-C", "-R", "guest1")
    assert r.status == 1
    assert r.err.startswith("Error: You may not specify more than one '-CR' "
                            "option\nUsage: xm dump-core [-L|--live] "
                            "[-C|--crash] [-R|--reset] <Domain> [Filename]")
    assert r.out == "" and fake.calls == []


@pytest.mark.parametrize("args,message", [
    ([], "Error: 'xm dump-core' requires between 1 and 2 arguments."),
    (["a", "b", "c"], "Error: 'xm dump-core' requires between 1 and 2 "
     "arguments."),
    (["-x", "guest1"], "Error: option -x not recognized"),
])
def test_dump_core_usage_errors(xm, fake, args, message):
    r = xm("dump-core", *args)
    assert r.status == 1
    assert r.err.startswith(message)
    assert fake.calls == []


def test_dump_core_unknown_domain_exits_3(xm, fake):
    fake.answers["xend.domain.dump"] = lambda *a: fake.find(a[0])
    r = xm("dump-core", "nope")
    assert r.status == 3
    assert r.err == "Error: Domain 'nope' does not exist.\n"


def test_dump_core_failure_is_one_error(xm, fake):
    fake.answers["xend.domain.dump"] = InvalidArgument(
        "Cannot dump core in a directory: /tmp")
    r = xm("dump-core", "guest1", "/tmp")
    assert r.status == 1
    assert r.out == "Dumping core of domain: guest1 ...\n"
    assert r.err.splitlines()[0] == \
        "Error: Cannot dump core in a directory: /tmp"
    assert "Traceback" not in r.err


def test_dump_core_help_shows_4_4_options(xm):
    r = xm("dump-core", "--help")
    assert "-L, --live" in r.out and "Dump core without pausing the domain" \
        in r.out
    assert "-R, --reset" in r.out and "-C, --crash" in r.out


# -- debug-keys --------------------------------------------------------------
def test_debug_keys_sends_the_keys(xm, fake):
    r = xm("debug-keys", "hq")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert fake.calls == [("xend.node.send_debug_keys", ("hq",), None)]


def test_debug_keys_refused_by_xend_is_one_error(xm, fake):
    fake.answers["xend.node.send_debug_keys"] = InvalidArgument(
        "no debug keys given (e.g. 'h' lists them)")
    r = xm("debug-keys", "")
    assert r.status == 1
    assert r.err.splitlines()[0] == \
        "Error: no debug keys given (e.g. 'h' lists them)"


def test_debug_keys_needs_exactly_one_argument(xm, fake):
    for args in ([], ["h", "q"]):
        r = xm("debug-keys", *args)
        assert r.status == 1
        assert r.err.startswith("Error: 'xm debug-keys' requires 1 argument.")
    assert fake.calls == []


def test_the_new_commands_are_in_the_help(xm):
    out = xm("help").out
    for name in ("domstate", "dump-core", "debug-keys"):
        assert f" {name} " in out
