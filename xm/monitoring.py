"""The Monitoring Plugins conventions check_xend follows (pure: no I/O).

* service states and exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN,
  and how states combine (the worst wins: CRITICAL > WARNING > UNKNOWN >
  OK, as the C plugins' ``max_state_alt``);
* threshold ranges, ``[@]start:end``: ``10`` is 0..10, ``10:`` is
  10..infinity, ``~:10`` is -infinity..10, ``10:20``; a value outside the
  range alerts, or inside it with a leading ``@`` (end points belong to the
  range);
* performance data, ``'label'=value[UOM];[warn];[crit];[min];[max]``.

See https://www.monitoring-plugins.org/doc/guidelines.html.  Parsers raise
:class:`ValueError` with a message fit for the plugin's one output line.
"""

from __future__ import annotations

import math
from typing import NamedTuple

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATE_NAMES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")

# How bad each state is when several checks are combined.
_SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, CRITICAL: 3}


def worst(*states: int) -> int:
    """The state to report for several results (OK for none)."""
    return max(states, key=_SEVERITY.__getitem__, default=OK)


def parse_state(text: str) -> int:
    """A state given by number (``0``-``3``) or name (``critical``...)."""
    word = text.strip().upper()
    if word in STATE_NAMES:
        return STATE_NAMES.index(word)
    if word in ("0", "1", "2", "3"):
        return int(word)
    raise ValueError(f"'{text}' is not a state (OK, WARNING, CRITICAL, "
                     "UNKNOWN or 0-3)")


def _number(text: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{whole}' is not a threshold range") from None
    if not math.isfinite(value):
        raise ValueError(f"'{whole}' is not a threshold range")
    return value


def _format_number(value: float) -> str:
    """A finite number in perfdata's class [-0-9.]: no exponent."""
    if value == int(value):
        return str(int(value))
    text = ("%.6f" % value).rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class Range(NamedTuple):
    """A threshold range; ``alerts(value)`` says whether *value* trips it."""

    start: float = 0.0             # -math.inf for "~"
    end: float = math.inf
    inside: bool = False           # "@": alert inside the range

    @classmethod
    def parse(cls, text: str) -> "Range":
        body = text.strip()
        inside = body.startswith("@")
        if inside:
            body = body[1:]
        if not body:
            raise ValueError(f"'{text}' is not a threshold range")
        lo, sep, hi = body.partition(":")
        if not sep:
            lo, hi = "0", lo            # "10" means 0..10
        start = -math.inf if lo == "~" else _number(lo, text) if lo else 0.0
        end = _number(hi, text) if hi else math.inf
        if start > end:
            raise ValueError(f"'{text}': the range's start is above its end")
        return cls(start, end, inside)

    @classmethod
    def floor(cls, value: float) -> "Range":
        """Alert below *value* (``value:``)."""
        return cls(value, math.inf)

    def alerts(self, value: float) -> bool:
        within = self.start <= value <= self.end
        return within if self.inside else not within

    def __str__(self) -> str:
        """The range in the standard syntax (for performance data)."""
        lo = "~" if self.start == -math.inf else _format_number(self.start)
        hi = "" if self.end == math.inf else _format_number(self.end)
        at = "@" if self.inside else ""
        if self.start == 0 and hi:
            return f"{at}{hi}"
        return f"{at}{lo}:{hi}"

    def why(self, value: float) -> str:
        """Why *value* trips this range, in words: ``< 512``, ``> 8``,
        ``in 10..20``; "" if it does not."""
        if not self.alerts(value):
            return ""
        if self.inside:
            if self.start == -math.inf:
                return "in ~.." if self.end == math.inf else \
                    f"<= {_format_number(self.end)}"
            if self.end == math.inf:
                return f">= {_format_number(self.start)}"
            return f"in {_format_number(self.start)}.." \
                f"{_format_number(self.end)}"
        if value < self.start:
            return f"< {_format_number(self.start)}"
        return f"> {_format_number(self.end)}"


class Thresholds(NamedTuple):
    """A warning and a critical range for one figure (either may be None)."""

    warn: Range | None = None
    crit: Range | None = None

    def state(self, value: float) -> int:
        if self.crit is not None and self.crit.alerts(value):
            return CRITICAL
        if self.warn is not None and self.warn.alerts(value):
            return WARNING
        return OK

    def tripped(self, value: float) -> Range | None:
        """The range that sets ``state(value)``, if any."""
        state = self.state(value)
        return self.crit if state == CRITICAL else \
            self.warn if state == WARNING else None


def perfdata(label: str, value: float, uom: str = "",
             thresholds: Thresholds = Thresholds(),
             minimum: float | None = None,
             maximum: float | None = None) -> str:
    """One ``'label'=value[UOM];[warn];[crit];[min];[max]`` item, its
    trailing empty fields dropped."""
    if "'" in label or "=" in label:
        raise ValueError(f"bad perfdata label {label!r}")
    fields = [_format_number(value) + uom,
              "" if thresholds.warn is None else str(thresholds.warn),
              "" if thresholds.crit is None else str(thresholds.crit),
              "" if minimum is None else _format_number(minimum),
              "" if maximum is None else _format_number(maximum)]
    while fields[-1] == "":
        fields.pop()
    return f"'{label}'=" + ";".join(fields)


def status_line(service: str, state: int, text: str,
                perf: list[str] | None = None) -> str:
    """``SERVICE STATE - text | perfdata``: the plugin's first line."""
    # A "|" in the text would start the performance data, a newline
    # another line.
    text = " ".join(text.replace("|", "/").split())
    line = f"{service} {STATE_NAMES[state]} - {text}"
    if perf:
        line += " | " + " ".join(perf)
    return line
