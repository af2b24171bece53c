"""Differential tests with an unprivileged guest: domain 3 is connection 2.

On the C daemon the guest talks through its real shared ring page (the
shim maps it from a file the test also maps); on the embedded daemon it
is the introduced domain's in-process connection.  Permissions, quotas
and watch visibility for unprivileged domains must match step by step.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xenstore.server import EmbeddedXenstored
from xenstore.wire import Op, join

from xs_diff import (DIR, GP, MK, RM, SP, TE, TOKENS, TS, VALUES, WA, R,
                     RawStep, W, compare, compare_fresh, w)
from xs_harness import CXenstored
from xs_script import Step

EXAMPLES = int(os.environ.get("XS_DIFF_EXAMPLES", "60"))

G = 2
GUEST: list[Step] = [
    (G, R, join(b"/"), None),
    (G, R, join(b"/tool"), None),
    (G, R, join(b"/nothere/deeper"), None),
    (G, W, w(b"/guestroot", b"x"), None),
    (G, R, join(b"name"), None),
    (0, W, w(b"/local/domain/3/name", b"guest"), None),
    (0, SP, join(b"/local/domain/3", b"n0", b"r3"), None),
    (G, DIR, join(b"/local/domain/3"), None),
    (G, R, join(b"name"), None),
    (G, R, join(b"/local/domain/3/missing"), None),
    (G, W, w(b"name", b"evil"), None),
    (0, SP, join(b"/local/domain/3/name", b"n0", b"r3"), None),
    (G, R, join(b"name"), None),
    (G, GP, join(b"name"), None),
    (0, MK, join(b"/local/domain/3/data"), None),
    (0, SP, join(b"/local/domain/3/data", b"n3"), None),
    (G, W, w(b"data/a/b", b"1"), None),
    (G, GP, join(b"data/a/b"), None),
    (G, SP, join(b"data/a", b"n3", b"r7"), None),
    (G, SP, join(b"data/a", b"n0"), None),
    (G, SP, join(b"data/a", b"n3", b"r1", b"r2", b"r4", b"r5", b"r6",
                 b"r7"), None),
    (G, W, w(b"data/big", b"x" * 2030), None),     # node-size quota
    (G, W, w(b"data/ok", b"x" * 1900), None),
    (G, WA, join(b"data", b"gw"), None),
    (G, WA, join(b"/local/domain/3/name", b"abs"), None),
    (G, WA, join(b"@releaseDomain", b"rd"), None),
    (0, W, w(b"/local/domain/3/data/from0", b"z"), None),
    (0, W, w(b"/local/domain/3/name", b"renamed"), None),
    (0, W, w(b"/elsewhere", b"e"), None),
    (G, TS, b"\0", None),                          # 29
    (G, W, w(b"data/tx", b"t"), 29),
    (G, R, join(b"data/tx"), 29),
    (G, TE, join(b"T"), 29),
    (G, Op.INTRODUCE, join(b"8", b"0", b"1"), None),
    (G, Op.IS_DOMAIN_INTRODUCED, join(b"3"), None),
    (G, Op.CONTROL, join(b"quota"), None),
    (G, Op.GET_DOMAIN_PATH, join(b"3"), None),
    (G, RM, join(b"data/a"), None),
    (G, RM, join(b"name"), None),
    (G, Op.RESET_WATCHES, b"\0", None),
    (0, W, w(b"/local/domain/3/data/after", b"z"), None),
    (0, SP, join(b"@releaseDomain", b"n0", b"r3"), None),
    (G, WA, join(b"@releaseDomain", b"rd"), None),
    (0, Op.INTRODUCE, join(b"9", b"0", b"1"), None),
    (0, Op.RELEASE, join(b"9"), None),
]


GUEST_QUOTAS: list[Step] = [
    (0, MK, join(b"/local/domain/3/data"), None),
    (0, SP, join(b"/local/domain/3/data", b"n3"), None),
    (0, Op.CONTROL, join(b"quota", b"set", b"transaction-nodes", b"4"),
     None),
    (G, TS, b"\0", None),                           # 3
    (G, W, w(b"data/a", b"1"), 3),
    (G, W, w(b"data/b", b"1"), 3),
    (G, W, w(b"data/c", b"1"), 3),
    (G, W, w(b"data/d", b"1"), 3),
    (G, TE, join(b"T"), 3),
    (0, Op.CONTROL, join(b"quota", b"set", b"nodes", b"4"), None),
    (G, W, w(b"data/x", b"1"), None),
    (G, W, w(b"data/y", b"1"), None),
    (G, W, w(b"data/z/deep/er", b"1"), None),
    (G, W, w(b"data/x", b"changed"), None),
    (G, RM, join(b"data/x"), None),
    (G, MK, join(b"data/w"), None),
    (G, TS, b"\0", None),                           # 16
    (G, W, w(b"data/t1", b"1"), 16),
    (G, W, w(b"data/t2", b"1"), 16),
    (G, TE, join(b"T"), 16),
    (0, Op.CONTROL, join(b"quota", b"set", b"watches", b"2"), None),
    (G, WA, join(b"data", b"1"), None),
    (G, WA, join(b"data", b"2"), None),
    (G, WA, join(b"data", b"3"), None),
    (G, WA, join(b"data", b"4"), None),
    (0, Op.CONTROL, join(b"quota", b"set", b"transactions", b"1"), None),
    (G, TS, b"\0", None),
    (G, TS, b"\0", None),
    (G, TS, b"\0", None),
    (G, SP, join(b"data", b"n3", b"r1", b"r2", b"r4", b"r5", b"r6"), None),
    (0, Op.CONTROL, join(b"quota", b"set", b"permissions", b"2"), None),
    (G, SP, join(b"data", b"n3", b"r1", b"r2"), None),
    (G, SP, join(b"data", b"n3", b"r1"), None),
]


@pytest.mark.parametrize("name,script", [("guest", GUEST),
                                         ("quotas", GUEST_QUOTAS)])
def test_guest_sequence_matches_c_xenstored(
        name: str, script: list[Step], c_xenstored: CXenstored,
        embedded: EmbeddedXenstored) -> None:
    compare(c_xenstored, embedded, script, guest=True)


GUEST_PATHS = [b"/local/domain/3", b"data", b"data/x", b"data/x/y", b"name",
               b"/local/domain/3/name", b"/a", b"/a/b", b"/"]


def _guest_step() -> st.SearchStrategy[RawStep]:
    conn = st.sampled_from([0, G, G])
    path = st.sampled_from(GUEST_PATHS)
    tx = st.one_of(st.none(), st.just(-1))
    return st.one_of(
        st.tuples(conn, st.just(int(R)), path.map(join), tx),
        st.tuples(conn, st.just(int(W)), st.builds(
            w, path, st.sampled_from(VALUES)), tx),
        st.tuples(conn, st.just(int(MK)), path.map(join), tx),
        st.tuples(conn, st.just(int(RM)), path.map(join), tx),
        st.tuples(conn, st.just(int(DIR)), path.map(join), tx),
        st.tuples(conn, st.just(int(GP)), path.map(join), tx),
        st.tuples(conn, st.just(int(SP)), st.builds(
            lambda p, ps: join(p, *ps),
            st.sampled_from([p for p in GUEST_PATHS if p != b"/"]),
            st.sampled_from(
                [[b"n3"], [b"n0", b"r3"], [b"b3"], [b"n0", b"b3"],
                 [b"r0"], [b"n3", b"w0"]])), tx),
        st.tuples(conn, st.just(int(WA)), st.builds(
            lambda p, t: join(p, t), path, st.sampled_from(TOKENS)),
            st.none()),
        st.tuples(conn, st.just(int(TS)), st.just(b"\0"), st.none()),
        st.tuples(conn, st.just(int(TE)), st.sampled_from(
            [join(b"T"), join(b"F")]), st.just(-1)),
    )


@settings(max_examples=EXAMPLES * 2 // 3, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(st.lists(_guest_step(), min_size=1, max_size=25))
def test_generated_guest_sequences_match_c_xenstored(
        shim_lib: Path, raw: list[RawStep]) -> None:
    compare_fresh(shim_lib, raw, guest=True)
