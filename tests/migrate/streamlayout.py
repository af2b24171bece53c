"""Where each part of a recorded relocation stream lies, and cut offsets.

A migration's two streams (:mod:`xend.migrate.frames`), as the cut proxy
recorded them (``CutProxy(record=True)``):

* up, the sender's: the ``(receive ...)`` line, the ``H`` header frame, the
  image as ``D`` frames, the ``E`` frame, the ``M`` "cleared to unpause";
* down, the receiver's: the ``(ready receive)`` line, then ``M`` frames
  "send binary domain data", "domain received", "my copy unpause results".

:func:`parse` splits one into :class:`Part` s (a line, or a frame's 5-byte
head and its payload); :func:`choose_offsets` picks
distinct offsets covering every part, from a seeded random generator;
:meth:`Layout.cut_place` names where a cut stream (the bytes the peer got)
stops.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from xend.migrate import frames

# A control message's name in a layout, by its "msg".
_MESSAGES = {frames.ACCEPT: "accept", frames.RECEIVED: "received",
             frames.GO: "go", frames.RESULT: "result"}
_KINDS = {frames.KIND_HEADER: "header", frames.KIND_DATA: "image",
          frames.KIND_END: "end"}


@dataclass(frozen=True)
class Part:
    """Bytes ``[start, end)`` of a stream: ``what`` is ``line``, ``head`` or
    ``payload``; ``name`` the message (``image`` for every ``D`` frame).
    In a cut stream the last part may be short of its ``full`` size."""

    name: str
    what: str
    start: int
    end: int
    index: int = 0           # the D frame's number (0, 1, ...)
    full: int = -1           # its size whole (-1: as long as it is)

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def whole(self) -> bool:
        return self.full < 0 or self.size == self.full

    @property
    def label(self) -> str:
        name = self.name if self.name != "image" else \
            f"image frame {self.index}"
        return f"{name} {self.what}" if self.what != "line" else name


@dataclass(frozen=True)
class Layout:
    direction: str
    parts: tuple[Part, ...]

    @property
    def total(self) -> int:
        return self.parts[-1].end if self.parts else 0

    def named(self, name: str) -> list[Part]:
        return [p for p in self.parts if p.name == name]

    def span(self, name: str) -> tuple[int, int]:
        """[start, end) of everything called ``name`` (all image frames)."""
        mine = self.named(name)
        assert mine, f"no {name} in the {self.direction} stream"
        return mine[0].start, mine[-1].end

    def rest_after(self, cut: "Layout") -> int | None:
        """The bytes this (whole) stream has after where ``cut`` stops,
        if it stops past the image (its pieces vary); else None."""
        if not cut.parts or cut.parts[-1].name == "image":
            return None
        last = cut.parts[-1]
        for i in range(len(self.parts) - 1, -1, -1):
            part = self.parts[i]
            if (part.name, part.what) == (last.name, last.what):
                left = part.size - last.size
                return left + sum(p.size for p in self.parts[i + 1:])
        return None

    def cut_place(self) -> str:
        """Where this (cut) stream stops, e.g. ``inside header payload
        (+12 of 777)``, ``after image frame 3 payload``, ``at connect``,
        ``after the whole stream``."""
        if not self.parts:
            return "at connect"
        last = self.parts[-1]
        if last.what == "line" and last.full == 0:
            return f"inside {last.label} (+{last.size})"
        if not last.whole:
            return f"inside {last.label} (+{last.size} of {last.full})"
        if last.name in ("go", "result") and last.what == "payload":
            return "after the whole stream"
        return f"after {last.label}"


def parse(direction: str, data: bytes, partial: bool = False) -> Layout:
    """The parts of a recorded up or down stream.  Whole (the default),
    it must parse to the end; ``partial`` (a cut stream) its last part
    may stop short."""
    parts: list[Part] = []
    name = "request line" if direction == "up" else "ready line"
    if b"\n" not in data:
        assert partial, f"the {direction} stream has no first line"
        if data:
            parts.append(Part(name, "line", 0, len(data), full=0))
        return Layout(direction, tuple(parts))
    pos = data.index(b"\n") + 1
    parts.append(Part(name, "line", 0, pos))
    images = 0
    while pos < len(data):
        head = data[pos:pos + frames.HEAD.size]
        if len(head) < frames.HEAD.size:
            assert partial, f"the {direction} stream ends inside a frame"
            name = _KINDS.get(head[:1], "message")
            parts.append(Part(name, "head", pos, len(data),
                              images if name == "image" else 0,
                              full=frames.HEAD.size))
            break
        kind, length = frames.parse_head(head)
        body = pos + frames.HEAD.size
        payload = data[body:body + length]
        name = _KINDS.get(kind, "message")
        if kind == frames.KIND_MESSAGE:
            name = _message_name(payload, length)
        index = images if kind == frames.KIND_DATA else 0
        images += kind == frames.KIND_DATA
        parts.append(Part(name, "head", pos, body, index))
        if length:
            parts.append(Part(name, "payload", body, body + len(payload),
                              index, full=length))
        if len(payload) < length:
            assert partial, f"the {direction} stream ends inside a frame"
            break
        pos = body + length
    return Layout(direction, tuple(parts))


def _message_name(payload: bytes, length: int) -> str:
    """A control message's name; a cut one is told by its first bytes."""
    if len(payload) == length:
        return _MESSAGES.get(str(frames.parse_json(payload).get("msg")),
                             "message")
    for text, name in _MESSAGES.items():
        whole = b'{"msg":"' + text.encode()
        if whole.startswith(payload[:len(whole)]):
            return name
    return "message"


def choose_offsets(layout: Layout, rng: random.Random,
                   count: int) -> list[int]:
    """At least ``count`` distinct offsets, sorted: 0, the very end, the
    start, second byte and last byte of every part but the image frames
    (and of the first and last image frames), then random offsets inside
    the parts (the image weighted as the rest together)."""
    chosen: set[int] = {0, layout.total, layout.total - 1}
    images = layout.named("image")
    edges = [p for p in layout.parts if p.name != "image"]
    edges += [p for p in images if p.index in (0, images[-1].index)]
    for part in edges:
        chosen.update({part.start, part.start + min(1, part.size - 1),
                       part.end - 1})
    inside = [p for p in layout.parts if p.name != "image" and p.size > 2]
    while len(chosen) < count:
        if images and rng.random() < 0.5:
            start, end = layout.span("image")
        else:
            part = rng.choice(inside)
            start, end = part.start, part.end
        chosen.add(rng.randrange(start, end))
    return sorted(chosen)
