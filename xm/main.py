"""The ``xm`` entry point: help handling, dispatch, and error reporting.

``main`` never lets an exception escape: whatever a command raises is
turned into xm's message and exit status by the one table in
:mod:`xm.errors`.  Only xm's own small modules are imported at start-up
(no option library, no dataclasses); each command's code, and the config
and model code, is imported by the command that needs it --
tests/xm/test_xm_imports.py keeps it so.
"""

from __future__ import annotations

import os
import sys

from xend.errors import XendError
from xm.cli import dispatch
from xm.commands import BY_NAME, COMMANDS, lookup
from xm.context import XmContext
from xm.errors import outcome_for

HELP_FLAGS = ("--help", "-h")


def _help_requested(xm: XmContext, args: list[str]) -> int | None:
    """4.4: ``xm -h`` is the long help (exit 0); ``-h`` anywhere after a
    command shows that command's help and exits 1."""
    if not any(flag in args for flag in HELP_FLAGS):
        return None
    from xm import helptext
    if args[0] in HELP_FLAGS:
        xm.out.write(helptext.long_help(COMMANDS))
        return 0
    spec, _ = lookup(args[0])
    if spec is None:
        xm.out.write(helptext.short_help(COMMANDS))
    else:
        xm.out.write(helptext.command_help(spec))
    return 1


def _report(xm: XmContext, exc: BaseException) -> int:
    from xm import helptext
    outcome = outcome_for(exc)
    xm.err.write(outcome.message + "\n")
    spec = BY_NAME.get(xm.command_name)
    if outcome.show_usage:
        if spec is None:
            xm.err.write(helptext.short_help(COMMANDS))
        elif spec.usage_on_error or not isinstance(exc, XendError):
            xm.err.write(helptext.command_help(spec))
    return outcome.exit_code


def run(args: list[str], xm: XmContext) -> int:
    """Run one xm command line (without the program name)."""
    if args and args[0] == "-N":
        # Dry run (as xl -N): show the modifying requests, send none.
        xm.dry_run = True
        args = args[1:]
    if not args:
        from xm import helptext
        xm.out.write(helptext.short_help(COMMANDS))
        return 1
    status = _help_requested(xm, args)
    if status is not None:
        return status
    try:
        return int(dispatch(args, xm) or 0)
    except (KeyboardInterrupt, EOFError):
        # Ctrl-C (or Ctrl-D at a prompt): end the "^C" line first.
        xm.err.write("\n")
        return _report(xm, KeyboardInterrupt())
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as exc:    # the error table covers everything
        return _report(xm, exc)
    finally:
        xm.close()


def _silence_broken_pipe() -> None:
    # `xm list | head -1`: stop quietly instead of a "Broken pipe" trace
    # when Python flushes stdout at exit.
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None,
         context: XmContext | None = None) -> int:
    """Console-script entry point: ``sys.exit(main())``."""
    args = sys.argv[1:] if argv is None else list(argv)
    xm = context if context is not None else XmContext()
    try:
        status = run(args, xm)
    except BrokenPipeError:
        status = 1
    _silence_broken_pipe()
    return status


if __name__ == "__main__":
    sys.exit(main())
