"""Robustness: whatever the text, evaluating it (and building the domain
config from the variables it sets) either works or raises ConfigError -
never another exception (that would be a traceback in xm)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from xend.errors import ConfigError
from xm.config import evaluator
from xm.config.build import make_domain_config
from xm.config.evaluator import evaluate
from xm.config.loader import merge_values
from xm.config.variables import VARIABLES

TOKENS = ["x", "y", "=", "+", "-", "*", "/", "%", "**", "(", ")", "[", "]",
          "{", "}", ":", ",", ".", "'a'", "'%d'", "1", "0", "-1", "2.5",
          "None", "True", "if", "else", "for", "in", "range", "len", "int",
          "str", "def", "f", "return", "raise", "ValueError", "not", "and",
          "or", "lambda", "import", "__class__", "join", "split", "format",
          "xm_vars", "check", "var", "\n", "    ", " ", "while", "break",
          "try", "except", "global", "del", "assert", "is", "==", "<"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_random_token_soup(tokens: list[str]) -> None:
    source = " ".join(tokens)
    try:
        evaluate(source, "fuzz.cfg", {"x": "3"})
    except ConfigError as exc:
        assert "\n" not in str(exc)


PROGRAMS = st.sampled_from([
    "x = {a} {op} {b}", "x = [{a}, {b}][{b}]", "x = '%s' % {a}",
    "x = str({a}).join([str({b})])", "x = {a} if {b} else {a}",
    "def f(v):\n    return v {op} {a}\nx = f({b})",
    "x = int({a})", "x = len({a})", "x = {{{a}: {b}}}[{a}]",
])
VALUES = st.sampled_from(["0", "1", "-7", "2.5", "'s'", "''", "None",
                          "[]", "[1, 2]", "(1,)", "{}", "True", "x"])
OPS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "<<", ">>",
                       "&", "|", "^", "<", "==", "in", "and", "or"])


@settings(max_examples=300, deadline=None)
@given(PROGRAMS, VALUES, VALUES, OPS)
def test_random_well_formed_programs(template: str, a: str, b: str,
                                     op: str) -> None:
    source = template.format(a=a, b=b, op=op)
    try:
        evaluate(source, "fuzz.cfg", {"x": "3"})
    except ConfigError as exc:
        assert "\n" not in str(exc)


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evaluator, "MAX_STEPS", 5_000)


# -- whole config files: evaluated, then turned into a DomainConfig ---------

# Sizes get the sane values as well as the hostile ones (absurd sizes like
# nics = 10**30 or cpus = "0-99999999" are refused before anything is built).
SIZE_VARIABLES = ("nics", "cpus", "vcpus", "maxvcpus", "memory", "maxmem",
                  "shadow_memory", "vcpu_avail", "videoram")
HOSTILE_VALUES = [
    "0", "-1", "10**30", "-10**30", "2**64", "1.5", "-0.0", "float('inf')",
    "float('-inf')", "float('nan')", "1e308", "'abc'", "''", "' '", "None",
    "True", "False", "[]", "[None]", "[5]", "[1.5]", "[[]]", "[{}]", "{}",
    "{'a': 1}", "(1,)", "'²'", "'١'", "'x' * 70000", "'-1'", "'1e5'",
    "'0x10'", "'all'", "'1-0'", "['0-3', 5]", "['phy:/dev/x,xvda,w']",
    "['phy:/dev/x,xvda,w', 'phy:/dev/y,xvda,w']", "['bogus']", "['mac=zz']",
    "['rate=99999999999999Gb/s']", "['bridge=xenbr0,rate=5MB/s@0us']",
    "['0000:00:1f.9']", "['00:02.0@99']", "['vnc=1,vncdisplay=abc']",
    "['type=vga']", "'root=/dev/xvda1'", "'/no/such/kernel'", "'hvm'",
    "'restart'", "'bogus'",
]
SANE_SIZES = ["0", "-1", "1", "4", "64", "'1'", "'x'", "1.5", "None",
              "True", "[]", "'0-3'", "'^1'", "['0', '1']", "'all'"]
NAMES = sorted(VARIABLES)


@st.composite
def config_files(draw: st.DrawFn) -> str:
    lines = ["kernel = '/boot/vmlinuz'", "memory = 64"] if draw(
        st.booleans()) else []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(NAMES))
        pool = HOSTILE_VALUES + (SANE_SIZES if name in SIZE_VARIABLES else [])
        lines.append(f"{name} = {draw(st.sampled_from(pool))}")
    return "\n".join(lines) + "\n"


def build(source: str) -> None:
    namespace, _ = evaluate(source, "fuzz.cfg", {})
    values = merge_values(namespace, {})
    values.setdefault("name", "fuzz")
    make_domain_config(values, {})


@settings(max_examples=500, deadline=None)
@given(config_files())
def test_hostile_variable_values(source: str) -> None:
    """Any value for any xm variable is a config or a ConfigError: a
    float('inf') for an int variable was an OverflowError, root = True an
    AttributeError (bools became ints for string variables)."""
    try:
        build(source)
    except ConfigError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("source", [
    "x = " + "(" * 300 + "1" + ")" * 300,
    "x = " + "[" * 300 + "]" * 300,
    "x = " + "-" * 5000 + "1",
    "x = 1" + " + 1" * 50_000,
    "x = " + "not " * 3000 + "1",
    "x = 10 ** 10 ** 10", "x = 'a' * 10 ** 9", "x = 2 ** 100000000",
    "x = 1 << 10 ** 9", "x = '%*d' % (10 ** 9, 1)", "x = '%.999999999f' % 1.5",
    "x = str(10 ** 5000)", "x = int('9' * 5000)", "x = [1] * 10 ** 8",
    "x = list(range(10 ** 9))", "x = 'a'.join(['b'] * 10 ** 7)",
    "x = ' '.center(10 ** 9)", "x = 'ab'.replace('', 'x' * 10 ** 6)",
    "def f(n):\n    return f(n)\nx = f(1)", "x = 1 // 0", "x = 1.0 % 0",
    "x = '%d' % 10 ** 5000", "x = '%c' % 10 ** 10", "x = hex(10 ** 5000)",
])
def test_deep_or_huge_expressions(source: str) -> None:
    """Deep nesting and huge results are refused with a ConfigError (or
    evaluate), never a RecursionError or MemoryError."""
    try:
        build(source)
    except ConfigError as exc:
        print(f"{source[:40]!r}: {exc}"[:160])
        assert "\n" not in str(exc)


@pytest.mark.parametrize("source, expected", [
    ("kernel = '/k'\nvcpus = float('inf')\n", "Invalid value for vcpus"),
    ("kernel = '/k'\nmemory = float('nan')\n", "Invalid value for memory"),
    ("kernel = '/k'\nroot = True\n", None),
    ("kernel = '/k'\nramdisk = True\n", None),
    ("kernel = '/k'\ncpus = True\n", None),
])
def test_bool_and_float_values(source: str, expected: str | None) -> None:
    if expected is None:
        build(source)           # True counts as 1, for strings too ("1")
    else:
        with pytest.raises(ConfigError, match=expected):
            build(source)
