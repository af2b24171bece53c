"""The command table is consistent with itself, its handlers and xend's API."""

from __future__ import annotations

import inspect

import pytest

from xend.rpc.api import BY_NAME as API
from xm.commands import ALIASES, BY_NAME, COMMANDS, lookup
from xm.helptext import GROUPS


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_every_rpc_method_exists_in_api(cmd):
    for method in cmd.methods:
        assert method in API, f"xm {cmd.name} uses unknown {method}"


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_handler_accepts_exactly_the_declared_names(cmd):
    sig = inspect.signature(cmd.handler)
    params = list(sig.parameters.values())
    assert params[0].name == "xm"
    declared = [a.dest for a in cmd.args] + [o.dest for o in cmd.options]
    assert len(declared) == len(set(declared))
    if any(p.kind is p.VAR_KEYWORD for p in params):
        named = {p.name for p in params[1:] if p.kind is not p.VAR_KEYWORD}
        assert named <= set(declared)
    else:
        assert {p.name for p in params[1:]} == set(declared)


def test_names_aliases_and_groups_are_unique_and_known():
    assert len(BY_NAME) == len(COMMANDS)
    assert not set(ALIASES) & set(BY_NAME)
    variants = {c.variant[1]: c.name for c in COMMANDS if c.variant}
    for cmd in COMMANDS:
        # A variant (``migrate --xl``) is listed under the command it
        # varies, not on its own.
        assert cmd.group in GROUPS or cmd.name == "help" or \
            (cmd.group == "" and cmd.name in variants)
        assert cmd.summary and cmd.handler
        for opt in cmd.options:
            assert opt.short or opt.long
            assert opt.short is None or len(opt.short) == 1


def test_variants_are_reached_through_their_flag():
    for cmd in COMMANDS:
        if cmd.variant:
            flag, other = cmd.variant
            assert other in BY_NAME and BY_NAME[other].group == ""
            assert flag.startswith("--") and not any(
                o.long == flag[2:] for o in cmd.options)


def test_short_options_unique_per_command():
    for cmd in COMMANDS:
        shorts = [o.short for o in cmd.options if o.short]
        longs = [o.long for o in cmd.options if o.long]
        assert len(shorts) == len(set(shorts)), cmd.name
        assert len(longs) == len(set(longs)), cmd.name


@pytest.mark.parametrize("name,expected,alias", [
    ("list", "list", None),
    ("li", "list", None),             # unique prefix
    ("balloon", "mem-set", "balloon"),
    ("set-vcpus", "vcpu-set", "set-vcpus"),
    ("mem-s", "mem-set", None),
    ("vcpu-l", "vcpu-list", None),
    ("sched-credit", "sched-credit", None),   # exact beats prefix
    ("help", "help", None),
])
def test_lookup(name, expected, alias):
    cmd, used_alias = lookup(name)
    assert cmd is not None and cmd.name == expected
    assert used_alias == alias


@pytest.mark.parametrize("name", ["l", "s", "mem", "re", "he", "x", "",
                                  "vcpu", "sched-c"])
def test_lookup_refuses_short_or_ambiguous_prefixes(name):
    assert lookup(name) == (None, None)
