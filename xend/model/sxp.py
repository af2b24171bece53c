"""SXP, the s-expression text format of xend: parse, show and pretty-print.

A value is an atom (``str``, ``int``, ``float``) or a list of values.  Parsed
text gives only strings and lists; numbers appear when a program builds the
value.  The output rules reproduce what xend 4.4 printed, because scripts
(xendomains, site tools) grep ``xm list -l`` and ``xm create -n``:

* :func:`show` writes a value on one line.  A string made only of ASCII
  letters, digits and ``.-_:/~`` (or exactly ``@``) is written bare; any other
  string - including the empty one - is written the way Python 2 ``repr``
  wrote a byte string (``''``, ``'root=/dev/xvda1 ro'``, ``"it's"``).
* :func:`pretty` is the width-80 layout: a list stays on one line when it
  fits in the room left on the current line; otherwise it is broken: ``(`` and
  the first element, each further element on its own line indented 4 from the
  list's opening column, and ``)`` alone on a line at that column.  Nested
  lists decide independently; the closing parentheses of enclosing lists are
  not counted when deciding, as in the original printer.
"""

from __future__ import annotations

import string
from typing import Any, Iterable, Iterator, Union

from xend.errors import ConfigError

Atom = Union[str, int, float]
#: An atom or a (nested) list of values.  Spelled ``Any`` because a
#: recursive union over invariant ``list`` types rejects most real values.
Sxp = Any

_BARE_EXTRA = ".-_:/~"
_BARE_CHARS = frozenset(string.ascii_letters + string.digits + _BARE_EXTRA)
_SPACE = " \t\n\v\f\r"
_SEPARATORS = "{}()<>[];"
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


class SxpParseError(ConfigError):
    """Malformed SXP text; the message says what and on which line."""


# ---------------------------------------------------------------- parsing

def parse(text: str, source: str = "<sxp>") -> list[Sxp]:
    """Parse every top-level value in *text* (comments start with ``#``)."""
    return list(_Parser(text, source).values())


def parse_one(text: str, source: str = "<sxp>") -> Sxp:
    """Parse *text* that must hold exactly one value (typically a list)."""
    values = parse(text, source)
    if len(values) != 1:
        raise SxpParseError(
            f"{source}: expected one SXP value, found {len(values)}")
    return values[0]


class _Parser:
    """A small recursive reader; positions are kept for error messages."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.pos = 0

    def error(self, what: str) -> SxpParseError:
        line = self.text.count("\n", 0, self.pos) + 1
        return SxpParseError(f"{self.source}: line {line}: {what}")

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in _SPACE:
                self.pos += 1
            elif c == "#":
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            else:
                break

    def values(self) -> Iterator[Sxp]:
        while True:
            self.skip()
            if self.pos >= len(self.text):
                return
            if self.text[self.pos] == ")":
                raise self.error("syntax error: unexpected ')'")
            yield self.value()

    def value(self) -> Sxp:
        c = self.text[self.pos]
        if c == "(":
            return self.list_()
        if c in "\"'":
            return self.string()
        if c == "\x04":  # EOT ends the input, as in the original reader
            self.pos = len(self.text)
            return []
        if c not in string.printable:
            raise self.error(f"invalid character: code {ord(c)}")
        return self.atom()

    def list_(self) -> list[Sxp]:
        self.pos += 1
        items: list[Sxp] = []
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error("unexpected EOF")
            if self.text[self.pos] == ")":
                self.pos += 1
                return items
            items.append(self.value())

    def atom(self) -> str:
        # The first character is always taken (so '[x' is one atom, as in
        # the original reader); a separator, space or '#' ends the atom.
        start = self.pos
        self.pos += 1
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c in _SEPARATORS or c in _SPACE or c == "#":
                break
            self.pos += 1
        return text[start:self.pos]

    def string(self) -> str:
        delim = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        text, n = self.text, len(self.text)
        while True:
            if self.pos >= n:
                raise self.error("unexpected EOF")
            c = text[self.pos]
            self.pos += 1
            if c == delim:
                return "".join(out)
            if c != "\\":
                out.append(c)
                continue
            if self.pos >= n:
                raise self.error("unexpected EOF")
            e = text[self.pos]
            self.pos += 1
            if e in _ESCAPES:
                out.append(_ESCAPES[e])
            elif e == "x":
                digits = _take(text, self.pos, string.hexdigits, 2)
                self.pos += len(digits)
                out.append(chr(int(digits, 16)) if digits else "")
            elif e in string.octdigits:
                digits = e + _take(text, self.pos, string.octdigits, 2)
                self.pos += len(digits) - 1
                if int(digits, 8) > 0xFF:
                    raise self.error(f"invalid octal escape: {digits}")
                out.append(chr(int(digits, 8)))
            else:  # unknown escapes are kept, backslash included
                out.append("\\" + e)


def _take(text: str, pos: int, chars: str, limit: int) -> str:
    end = pos
    while end < len(text) and end - pos < limit and text[end] in chars:
        end += 1
    return text[pos:end]


# ---------------------------------------------------------------- output

def is_bare(s: str) -> bool:
    """True if *s* is written without quotes by :func:`show`."""
    return s == "@" or (s != "" and all(c in _BARE_CHARS for c in s))


def py2_repr(s: str) -> str:
    """Python 2's ``repr`` of the byte string *s* (UTF-8), quotes included.

    Python 3's ``repr`` of bytes follows the same quoting and escaping rules
    as Python 2's ``repr`` of ``str``, so we borrow it and drop the ``b``.
    """
    return repr(s.encode("utf-8"))[1:]


def format_float(x: float) -> str:
    """``str(x)`` as Python 2 wrote it: 12 significant digits."""
    text = "%.12g" % x
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def show_atom(x: Atom) -> str:
    """One atom in SXP syntax."""
    if isinstance(x, bool):  # bools are ints in SXP, as in Python 2
        return str(int(x))
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return format_float(x)
    s = str(x)
    return s if is_bare(s) else py2_repr(s)


def show(x: Sxp) -> str:
    """*x* on one line: ``(a b (c d))``."""
    if isinstance(x, (list, tuple)):
        return "(" + " ".join(show(e) for e in x) + ")"
    return show_atom(x)


def pretty(x: Sxp, width: int = 80) -> str:
    """*x* laid out for a terminal of *width* columns, newline-terminated."""
    out: list[str] = []
    _layout(x, 0, width, out)
    out.append("\n")
    return "".join(out)


def _layout(x: Sxp, col: int, width: int, out: list[str]) -> None:
    flat = show(x)
    if not isinstance(x, (list, tuple)) or col + len(flat) <= width:
        out.append(flat)
        return
    out.append("(")
    items = list(x)
    if items:
        _layout(items[0], col + 1, width, out)
    for item in items[1:]:
        out.append("\n" + " " * (col + 4))
        _layout(item, col + 4, width, out)
    out.append("\n" + " " * col + ")")


# ---------------------------------------------------------------- access

def child(sxpr: Sxp, name: str) -> list[Sxp] | None:
    """The first sub-list of *sxpr* whose head is *name*."""
    for item in children(sxpr, name):
        return item
    return None


def children(sxpr: Sxp, name: str | None = None) -> Iterator[list[Sxp]]:
    """Sub-lists of *sxpr* (after its head), optionally only those named."""
    if not isinstance(sxpr, list):
        return
    for item in sxpr[1:]:
        if isinstance(item, list) and item and (
                name is None or item[0] == name):
            yield item


def child_value(sxpr: Sxp, name: str, default: Sxp | None = None
                ) -> Sxp | None:
    """The value of ``(name value)`` inside *sxpr*, or *default*."""
    item = child(sxpr, name)
    if item is None or len(item) < 2:
        return default
    return item[1]


def from_pairs(head: str, pairs: Iterable[tuple[str, Sxp]]) -> list[Sxp]:
    """``[head, [k, v], ...]`` from (key, value) pairs."""
    out: list[Sxp] = [head]
    out.extend([k, v] for k, v in pairs)
    return out
