"""The stream layout helper of the fault campaign, on literal streams."""

from __future__ import annotations

import random

from tests.migrate.streamlayout import choose_offsets, parse
from xend.migrate import frames

LINE = frames.request_line("receive", protocol=2, id="a" * 32)
HEADER = frames.json_frame(frames.KIND_HEADER, {"config": {"name": "x"}})
IMAGE = [frames.frame(frames.KIND_DATA, b"i" * n) for n in (100, 40)]
END = frames.frame(frames.KIND_END)
GO = frames.json_frame(frames.KIND_MESSAGE, {"msg": frames.GO})
UP = LINE + HEADER + b"".join(IMAGE) + END + GO


def test_parts_of_a_whole_up_stream() -> None:
    layout = parse("up", UP)
    assert [(p.label, p.size) for p in layout.parts] == [
        ("request line", len(LINE)), ("header head", 5),
        ("header payload", len(HEADER) - 5),
        ("image frame 0 head", 5), ("image frame 0 payload", 100),
        ("image frame 1 head", 5), ("image frame 1 payload", 40),
        ("end head", 5), ("go head", 5), ("go payload", len(GO) - 5)]
    assert layout.total == len(UP)
    assert layout.span("image") == (len(LINE + HEADER),
                                    len(LINE + HEADER) + 150)
    assert layout.cut_place() == "after the whole stream"


def test_where_a_cut_stream_stops() -> None:
    image = len(LINE + HEADER)
    places = {n: parse("up", UP[:n], partial=True).cut_place()
              for n in (0, 3, len(LINE), len(LINE) + 2, image + 5 + 7,
                        len(UP) - 10)}
    assert places == {
        0: "at connect", 3: "inside request line (+3)",
        len(LINE): "after request line",
        len(LINE) + 2: "inside header head (+2 of 5)",
        image + 12: "inside image frame 0 payload (+7 of 100)",
        len(UP) - 10: f"inside go payload (+{len(GO) - 15} of "
                      f"{len(GO) - 5})"}


def test_rest_after_a_cut_in_the_tail() -> None:
    whole = parse("up", UP)
    assert whole.rest_after(parse("up", UP[:-3], partial=True)) == 3
    assert whole.rest_after(parse("up", UP[:-len(GO)], partial=True)) \
        == len(GO)
    assert whole.rest_after(parse("up", UP[:len(LINE) + 20],
                                  partial=True)) is not None
    assert whole.rest_after(parse("up", UP[:len(LINE + HEADER) + 9],
                                  partial=True)) is None


def test_offsets_are_distinct_and_cover_the_edges() -> None:
    layout = parse("up", UP)
    offsets = choose_offsets(layout, random.Random(1), 40)
    assert len(offsets) == len(set(offsets)) >= 40
    assert {0, layout.total, len(LINE), len(LINE) - 1} <= set(offsets)
    assert all(0 <= o <= layout.total for o in offsets)
