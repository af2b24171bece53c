"""The vocabulary of xm's command table: a command, its options, its arguments.

A :class:`Command` is declared once in :mod:`xm.commands`; the option
parsing, the help screens, alias and prefix lookup and the arity checks are
all derived from these declarations, so none of them can drift apart.
"""

from __future__ import annotations

from typing import Any, Callable

# A command's body: gets the context plus one keyword per Arg/Opt ``dest``
# and returns an exit status (None means 0).
Handler = Callable[..., "int | None"]


class _Frozen:
    """Plain immutable records (dataclasses would cost every xm start the
    import of :mod:`inspect`)."""

    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__
                           if not n.startswith("_"))
        return f"{type(self).__name__}({fields})"


class Opt(_Frozen):
    """One option.  ``metavar`` set means the option takes a value."""

    __slots__ = ("dest", "help", "short", "long", "metavar", "parser")
    dest: str
    help: str
    short: str | None                  # one letter, without the dash
    long: str | None                   # without the dashes
    metavar: str | None
    parser: Callable[[str], Any]

    def __init__(self, dest: str, help: str, short: str | None = None,
                 long: str | None = None, metavar: str | None = None,
                 parser: Callable[[str], Any] = str) -> None:
        self._set(dest=dest, help=help, short=short, long=long,
                  metavar=metavar, parser=parser)

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


class Arg(_Frozen):
    """One positional argument.  ``parser`` raises ValueError on bad input
    (reported as xm 4.4 did: ``Error: Invalid argument.`` + usage)."""

    __slots__ = ("dest", "parser", "optional", "variadic")
    dest: str
    parser: Callable[[str], Any]
    optional: bool
    variadic: bool                     # takes all remaining arguments

    def __init__(self, dest: str, parser: Callable[[str], Any] = str,
                 optional: bool = False, variadic: bool = False) -> None:
        self._set(dest=dest, parser=parser, optional=optional,
                  variadic=variadic)


class Command(_Frozen):
    """One ``xm`` subcommand, declared once.

    ``handler`` may be given as ``"module:function"``: the module is
    imported when the handler is first needed, so that ``xm list`` does
    not import the code of every other command."""

    __slots__ = ("name", "group", "summary", "usage", "_handler", "args",
                 "options", "methods", "aliases", "essential", "gnu",
                 "usage_on_error", "extra_help", "dry_run", "variant")
    name: str
    group: str                         # help group; "" = not in long help
    summary: str                       # one-line description (4.4 text)
    usage: str                         # argument string after ``xm NAME``
    _handler: "Handler | str"
    args: tuple[Arg, ...]
    options: tuple[Opt, ...]
    methods: tuple[str, ...]           # the RPC methods the handler may call
    aliases: tuple[str, ...]           # deprecated 4.4 names
    essential: bool                    # listed in the short help
    gnu: bool                          # options may follow positionals
    usage_on_error: bool               # print usage after an xend error
    extra_help: str                    # printed after the options table
    # ``xm -N``: print the modifying requests instead of sending them.  Off
    # for commands with local side effects (save opens its file) or that
    # need a modifying call's answer (create prints the new domid).
    dry_run: bool
    # ("--xl", "migrate-xl"): with that flag, the line is parsed and run as
    # the other (unlisted) command, whose options differ (its -s).
    variant: tuple[str, str] | tuple[()]

    def __init__(self, name: str, group: str, summary: str, usage: str,
                 handler: "Handler | str", args: tuple[Arg, ...] = (),
                 options: tuple[Opt, ...] = (), methods: tuple[str, ...] = (),
                 aliases: tuple[str, ...] = (), essential: bool = False,
                 gnu: bool = True, usage_on_error: bool = True,
                 extra_help: str = "", dry_run: bool = True,
                 variant: tuple[str, str] | tuple[()] = ()) -> None:
        self._set(name=name, group=group, summary=summary, usage=usage,
                  _handler=handler, args=args, options=options,
                  methods=methods, aliases=aliases, essential=essential,
                  gnu=gnu, usage_on_error=usage_on_error,
                  extra_help=extra_help, dry_run=dry_run, variant=variant)

    @property
    def handler(self) -> Handler:
        target = self._handler
        if isinstance(target, str):
            import importlib
            module, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module), attr)
            object.__setattr__(self, "_handler", target)
        return target

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

