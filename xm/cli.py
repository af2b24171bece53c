"""Command-line parsing from the command table, with xm's getopt rules.

xm 4.4 parsed options with Python's getopt, and scripts rely on its
behaviour: GNU ordering (options may follow positionals, except for the
``sched-credit*`` commands), any unique prefix of a long option (``--lo``
for ``--long``), and getopt's own error texts (``option -x not
recognized``).  :func:`normalize` enforces those rules and expands
prefixes, :func:`split` binds the values; :func:`invoke` then checks the
arity, runs the argument parsers and calls the command's handler.  (No
option library: parsing is this small, and importing click cost every
``xm`` run more than the rest of xm's start-up.)
"""

from __future__ import annotations

from typing import Any

from xm.context import XmContext
from xm.errors import XmFailure, XmUsageError
from xm.spec import Command, Opt


def _match_long(name: str, options: tuple[Opt, ...]) -> Opt:
    longs = [o for o in options if o.long]
    for opt in longs:
        if opt.long == name:            # an exact name beats any prefix
            return opt
    found = [o for o in longs if o.long and o.long.startswith(name)]
    if not found:
        raise XmUsageError(f"option --{name} not recognized")
    if len(found) > 1:
        raise XmUsageError(f"option --{name} not a unique prefix")
    return found[0]


def _short(letter: str, options: tuple[Opt, ...]) -> Opt:
    for opt in options:
        if opt.short == letter:
            return opt
    raise XmUsageError(f"option -{letter} not recognized")


def normalize(tokens: list[str], cmd: Command) -> list[str]:
    """Check *tokens* as getopt would and spell long options in full.

    Returns the options first, then ``--`` and the positionals (those after
    a ``--`` or, for a non-GNU command, after the first positional too), so
    that no positional is ever read as an option.
    """
    out: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "--":
            rest.extend(tokens[i:])
            break
        if tok.startswith("--"):
            name, eq, value = tok[2:].partition("=")
            opt = _match_long(name, cmd.options)
            if opt.takes_value:
                if not eq:
                    if i >= len(tokens):
                        raise XmUsageError(
                            f"option --{opt.long} requires argument")
                    value = tokens[i]
                    i += 1
                out.append(f"--{opt.long}={value}")
            elif eq:
                raise XmUsageError(
                    f"option --{opt.long} must not have an argument")
            else:
                out.append(f"--{opt.long}")
        elif tok.startswith("-") and tok != "-" and cmd.options:
            # (4.4 ran no getopt for option-less commands: "-1" is a value)
            letters = tok[1:]
            for j, letter in enumerate(letters):
                opt = _short(letter, cmd.options)
                if not opt.takes_value:
                    out.append(f"-{letter}")
                    continue
                value = letters[j + 1:]
                if not value:
                    if i >= len(tokens):
                        raise XmUsageError(
                            f"option -{letter} requires argument")
                    value = tokens[i]
                    i += 1
                out.extend([f"-{letter}", value])
                break
        elif cmd.gnu:
            rest.append(tok)
        else:                           # plain getopt stops here
            rest.extend(tokens[i - 1:])
            break
    return out + (["--"] + rest if rest else [])


def arity_message(cmd: Command) -> str:
    lo, hi = cmd.arity
    if hi == lo:
        plural = "" if lo == 1 else "s"
        return f"'xm {cmd.name}' requires {lo} argument{plural}.\n"
    if hi is None:
        plural = "" if lo == 1 else "s"
        return f"'xm {cmd.name}' requires at least {lo} argument{plural}.\n"
    return f"'xm {cmd.name}' requires between {lo} and {hi} arguments.\n"


def bind(cmd: Command, positional: list[str],
         options: dict[str, Any]) -> dict[str, Any]:
    """The handler's keyword arguments; parsers may raise ValueError."""
    lo, hi = cmd.arity
    if len(positional) < lo or (hi is not None and len(positional) > hi):
        raise XmUsageError(arity_message(cmd))
    values: dict[str, Any] = {}
    for index, arg in enumerate(cmd.args):
        if arg.variadic:
            values[arg.dest] = [arg.parser(a) for a in positional[index:]]
        elif index < len(positional):
            values[arg.dest] = arg.parser(positional[index])
        else:
            values[arg.dest] = None
    for opt in cmd.options:
        value = options.get(opt.dest)
        if opt.takes_value:
            values[opt.dest] = None if value is None else opt.parser(value)
        else:
            values[opt.dest] = bool(value)
    return values


def invoke(cmd: Command, xm: XmContext, positional: list[str],
           options: dict[str, Any]) -> int:
    values = bind(cmd, positional, options)
    if xm.dry_run and not cmd.dry_run:
        raise XmFailure(f"xm {cmd.name} does not implement -N (dry run)")
    xm.command_name = cmd.name
    xm.allowed_methods = cmd.methods
    status = cmd.handler(xm, **values)
    return 0 if status is None else int(status)


def split(tokens: list[str], cmd: Command) -> tuple[list[str], dict[str, Any]]:
    """The positionals and the option values (by ``dest``; flags True) of
    a command line, checked and spelled out by :func:`normalize` first.
    An option given twice keeps its last value."""
    normal = normalize(tokens, cmd)
    options: dict[str, Any] = {}
    i = 0
    while i < len(normal):
        tok = normal[i]
        i += 1
        if tok == "--":
            return normal[i:], options
        if tok.startswith("--"):
            name, _, value = tok[2:].partition("=")
            opt = _match_long(name, cmd.options)
            options[opt.dest] = value if opt.takes_value else True
        else:
            opt = _short(tok[1], cmd.options)
            if opt.takes_value:
                options[opt.dest] = normal[i]
                i += 1
            else:
                options[opt.dest] = True
    return [], options


def dispatch(args: list[str], xm: XmContext) -> int:
    """Run ``xm NAME ARGS...``: resolve the name through the command table
    (exact, deprecated alias with xm's warning, unique prefix), parse the
    arguments and call the handler."""
    from xm.commands import deprecation_message, lookup
    name = args[0]
    spec, alias = lookup(name)
    if spec is None:
        raise XmUsageError(f"Subcommand {name} not found!")
    if alias is not None:
        xm.err.write(deprecation_message(alias) + "\n")
    rest = list(args[1:])
    if spec.variant:
        flag, other = spec.variant
        head = rest[:rest.index("--")] if "--" in rest else rest
        if flag in head:
            rest.remove(flag)
            spec, _ = lookup(other)
            assert spec is not None
    xm.command_name = spec.name
    positional, options = split(rest, spec)
    return invoke(spec, xm, positional, options)
