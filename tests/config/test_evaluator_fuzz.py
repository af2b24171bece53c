"""Robustness: whatever the text, evaluating it either works or raises
ConfigError - never another exception (that would be a traceback in xm)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest

from xend.errors import ConfigError
from xm.config import evaluator
from xm.config.evaluator import evaluate

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
