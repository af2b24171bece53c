"""Debug keys on the simulated host: what Xen 4.17 prints for them.

Xen has a table of 128 keys; ``xl debug-keys``/``xm debug-keys`` presses
keys one by one and each handler prints to the console ring, starting with
a line in the form ``'<key>' pressed -> <what it does>``.  A key with no
handler prints nothing at all.  :data:`KEY_TABLE` is the table of a Xen
4.17 x86 build on an Intel host (VT-x, no performance counters or lock
profiling compiled in), with Xen's descriptions, which ``h`` lists.

The simulator prints what it can honestly know: ``h`` in full, ``q`` the
domains it has, ``*`` the diagnostic keys it fires, ``A`` toggles and says
so; every other key prints only its first line (what its handler does),
since the simulator has no registers, timers or page tables to dump.  ``R``
does not reboot anything and ``C`` crashes nothing: the host is simulated.
"""

from __future__ import annotations

from typing import NamedTuple


class Key(NamedTuple):
    desc: str
    diagnostic: bool        # fired by '*' ("print all diagnostics")
    first_line: str = ""    # Xen's own first line; "" = "-> <desc>"


KEY_TABLE: dict[str, Key] = {
    "%": Key("trap to xendbg", False, "trapping into debugger"),
    "*": Key("print all diagnostics", False,
             "firing all diagnostic keyhandlers"),
    "+": Key("increase log level threshold", False),
    "-": Key("decrease log level threshold", False),
    "0": Key("dump Dom0 registers", True, "dumping Dom0's registers"),
    "A": Key("toggle alternative key handling", False),
    "C": Key("trigger a crashdump", False),
    "D": Key("dump VT-x EPT tables", False),
    "G": Key("toggle host/guest log level adjustment", False),
    "H": Key("dump heap info", True),
    "I": Key("dump HVM irq info", True),
    "M": Key("dump MSI state", True),
    "N": Key("trigger an NMI", False),
    "Q": Key("dump PCI devices", True),
    "R": Key("reboot machine", False, "rebooting machine"),
    "S": Key("reset shadow pagetables", True),
    "V": Key("dump iommu info", True),
    "a": Key("dump timer queues", True),
    "c": Key("dump ACPI Cx structures", True),
    "d": Key("dump registers", True, "dumping registers"),
    "e": Key("dump evtchn info", True),
    "g": Key("print grant table usage", True),
    "h": Key("show this message", False, "showing installed handlers"),
    "i": Key("dump interrupt bindings", True),
    "m": Key("memory info", True),
    "n": Key("NMI statistics", True),
    "o": Key("dump iommu page tables", False),
    "q": Key("dump domain (and guest debug) info", True),
    "r": Key("dump run queues", True),
    "s": Key("dump softtsc stats", True),
    "t": Key("display multi-cpu clock info", True),
    "u": Key("dump NUMA info", True),
    "v": Key("dump VT-x VMCSs", True),
    "w": Key("synchronously dump console ring buffer (dmesg)", False),
    "z": Key("dump IOAPIC info", True),
}


class DomainLine(NamedTuple):
    """What ``q`` prints of one domain."""

    domid: int
    pause_count: int
    pages: int


def _pressed(key: str, what: str) -> str:
    return f"'{key}' pressed -> {what}"


def key_lines(key: str, *, now_ns: int, domains: list[DomainLine],
              alt_handling: bool) -> list[str]:
    """The lines (without ``(XEN) ``) one press of ``key`` prints;
    ``alt_handling`` is the state after the press (``A`` toggles it)."""
    entry = KEY_TABLE.get(key)
    if entry is None:
        return []
    if key == "h":
        return [_pressed(key, entry.first_line)] + [
            f" key '{k}' (ascii '{ord(k):02x}') => {KEY_TABLE[k].desc}"
            for k in sorted(KEY_TABLE, key=ord)]
    if key == "q":
        lines = [_pressed(key, f"dumping domain info (now = {now_ns})")]
        for dom in domains:
            lines += [f"General information for domain {dom.domid}:",
                      f"    dying=0 pause_count={dom.pause_count} "
                      f"nr_pages={dom.pages}"]
        return lines
    if key == "A":
        mode = "alternative" if alt_handling else "normal"
        return [_pressed(key, f"using {mode} key handling")]
    if key == "*":
        lines = [_pressed(key, entry.first_line)]
        for k in sorted(KEY_TABLE, key=ord):
            if KEY_TABLE[k].diagnostic:
                lines.append(f"[{k}: {KEY_TABLE[k].desc}]")
                lines += key_lines(k, now_ns=now_ns, domains=domains,
                                   alt_handling=alt_handling)
        return lines
    return [_pressed(key, entry.first_line or entry.desc)]
