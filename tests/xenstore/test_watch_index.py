"""The per-connection watch index finds exactly the watches a plain scan
of every watch would, in registration order, whatever was added or
removed before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from xenstore.connection import Watch, WatchList

SEGMENTS = st.sampled_from(["local", "domain", "1", "12", "control",
                            "shutdown", "vm", "a", "ab"])
PATHS = st.one_of(
    st.just("/"), st.sampled_from(["@releaseDomain", "@introduceDomain"]),
    st.lists(SEGMENTS, min_size=1, max_size=5).map(
        lambda parts: "/" + "/".join(parts)))


def scan(watches: list[Watch], name: str, exact: bool) -> list[Watch]:
    """What the engine did before the index: test every watch."""
    def is_child(child: str, parent: str) -> bool:
        if parent == "/":
            return True
        return child.startswith(parent) and (
            len(child) == len(parent) or child[len(parent)] == "/")
    return [w for w in watches
            if (name == w.node if exact else is_child(name, w.node))]


OPS = st.lists(st.tuples(st.sampled_from(["add", "remove", "clear",
                                          "query"]),
                         PATHS, st.booleans(), st.integers(0, 50)),
               max_size=60)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_index_matches_a_full_scan(ops: list[tuple[str, str, bool, int]]
                                   ) -> None:
    watches = WatchList()
    plain: list[Watch] = []
    for n, (op, path, exact, pick) in enumerate(ops):
        if op == "add":
            watch = Watch(path, f"t{n}".encode(), None)
            watches.append(watch)
            plain.append(watch)
        elif op == "remove" and plain:
            victim = plain[pick % len(plain)]
            watches.remove(victim)
            plain.remove(victim)
        elif op == "clear":
            watches.clear()
            plain.clear()
        found = watches.matching(path, exact)
        assert found == scan(plain, path, exact), (op, path, exact)
        first = next((w for w in plain if w.node == path), None)
        assert watches.find(path, first.token if first else b"-") is first
    assert list(watches) == plain


def test_many_watches_one_match() -> None:
    watches = WatchList()
    for domid in range(1, 1001):
        watches.append(Watch(f"/local/domain/{domid}/control/shutdown",
                             str(domid).encode(), None))
    watches.append(Watch("/local/domain", b"all", None))
    hit = watches.matching("/local/domain/500/control/shutdown", False)
    print("watches fired by one write among 1,001:",
          [w.token for w in hit])
    assert [w.token for w in hit] == [b"500", b"all"]
    assert watches.matching("/local/domain/500/name", False)[0].token \
        == b"all"
    assert watches.matching("/local/domain/500/control", True) == []
