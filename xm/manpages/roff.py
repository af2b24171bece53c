"""Writing man(7) roff: escaping text and the few macros the pages use.

Text from the command table and the config schemas is plain text; here it
becomes roff: backslashes and hyphens are escaped (so that options print
and copy as ASCII ``-``), a line that would start with ``.`` or ``'`` is
guarded, the usual non-ASCII characters are spelled in ASCII (others are
named, ``\\[u00E9]``), and paragraphs are filled by the formatter.
"""

from __future__ import annotations

_ASCII = {"\u2026": "...", "\u2013": "\\-", "\u2014": "\\-\\-",
          "\u2018": "`", "\u2019": "'", "\u201c": '"', "\u201d": '"'}


def escape(text: str) -> str:
    """Plain text as roff text (one or more lines)."""
    out = text.replace("\\", "\\e").replace("-", "\\-")
    # groff reads ASCII unless told otherwise: spell the usual characters
    # in ASCII (they must print on an ASCII terminal too), name the others.
    out = "".join(c if ord(c) < 128 else _ASCII.get(c, f"\\[u{ord(c):04X}]")
                  for c in out)
    lines = []
    for line in out.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def bold(text: str) -> str:
    return f"\\fB{escape(text)}\\fR"


def italic(text: str) -> str:
    return f"\\fI{escape(text)}\\fR"


class Page:
    """A man page being written: ``.TH``, then sections in order."""

    def __init__(self, name: str, section: int, title: str,
                 source: str = "xend-modern", manual: str = "Xen") -> None:
        self.name = name
        self.section = section
        self._lines = [
            f'.TH "{name.upper()}" "{section}" "" "{source}" "{manual}"',
            ".SH NAME", f"{escape(name)} \\- {escape(title)}"]

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.section}"

    def raw(self, *lines: str) -> None:
        """Lines that are roff already."""
        self._lines.extend(lines)

    def section_head(self, title: str) -> None:
        self._lines.append(f".SH {title.upper()}")

    def sub_head(self, title: str) -> None:
        self._lines.append(f'.SS "{escape(title)}"')

    def para(self, text: str) -> None:
        self._lines += [".PP", escape(text)]

    def item(self, label: str, text: str) -> None:
        """A tagged paragraph; ``label`` is roff already (use bold...)."""
        self._lines += [".TP", label]
        if text:
            self._lines.append(escape(text))

    def item_para(self, text: str) -> None:
        """Another paragraph in the current tagged paragraph."""
        self._lines += [".IP", escape(text)]

    def indent(self) -> None:
        self._lines.append(".RS")

    def dedent(self) -> None:
        self._lines.append(".RE")

    def literal(self, text: str) -> None:
        """Lines shown as they are (an example)."""
        self._lines += [".PP", ".nf", ".RS 4", escape(text.rstrip("\n")),
                        ".RE", ".fi"]

    def see_also(self, *refs: str) -> None:
        """``refs`` as ``name(section)``."""
        self.section_head("see also")
        parts = []
        for ref in refs:
            name, _, sect = ref.partition("(")
            parts.append(f"\\fB{escape(name)}\\fR({sect}")
        self._lines.append(",\n".join(parts))

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"
