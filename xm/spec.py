"""The vocabulary of xm's command table: a command, its options, its arguments.

A :class:`Command` is declared once in :mod:`xm.commands`; the click
commands, the help screens, alias and prefix lookup and the arity checks are
all derived from these declarations, so none of them can drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

# A command's body: gets the context plus one keyword per Arg/Opt ``dest``
# and returns an exit status (None means 0).
Handler = Callable[..., "int | None"]


@dataclass(frozen=True)
class Opt:
    """One option.  ``metavar`` set means the option takes a value."""

    dest: str
    help: str
    short: str | None = None           # one letter, without the dash
    long: str | None = None            # without the dashes
    metavar: str | None = None
    parser: Callable[[str], Any] = str

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None

    def help_label(self) -> str:
        """Left column of the command help: ``-d DOMAIN, --domain=DOMAIN``."""
        parts = []
        if self.short:
            parts.append(f"-{self.short}" + (f" {self.metavar}"
                                              if self.metavar else ""))
        if self.long:
            parts.append(f"--{self.long}" + (f"={self.metavar}"
                                             if self.metavar else ""))
        return ", ".join(parts)


@dataclass(frozen=True)
class Arg:
    """One positional argument.  ``parser`` raises ValueError on bad input
    (reported as xm 4.4 did: ``Error: Invalid argument.`` + usage)."""

    dest: str
    parser: Callable[[str], Any] = str
    optional: bool = False
    variadic: bool = False             # takes all remaining arguments


@dataclass(frozen=True)
class Command:
    """One ``xm`` subcommand, declared once."""

    name: str
    group: str                         # help group; "" = not in long help
    summary: str                       # one-line description (4.4 text)
    usage: str                         # argument string after ``xm NAME``
    handler: Handler
    args: tuple[Arg, ...] = ()
    options: tuple[Opt, ...] = ()
    methods: tuple[str, ...] = ()      # the RPC methods the handler may call
    aliases: tuple[str, ...] = ()      # deprecated 4.4 names
    essential: bool = False            # listed in the short help
    gnu: bool = True                   # options may follow positionals
    usage_on_error: bool = True        # print usage after an xend error
    extra_help: str = ""               # printed after the options table
    # ``xm -N``: print the modifying requests instead of sending them.  Off
    # for commands with local side effects (save opens its file) or that
    # need a modifying call's answer (create prints the new domid).
    dry_run: bool = True

    @property
    def arity(self) -> tuple[int, int | None]:
        """(minimum, maximum or None for unbounded) positional arguments."""
        lo = sum(1 for a in self.args if not a.optional and not a.variadic)
        hi = None if any(a.variadic for a in self.args) else len(self.args)
        return lo, hi

    def option(self, dest: str) -> Opt:
        for opt in self.options:
            if opt.dest == dest:
                return opt
        raise KeyError(dest)

