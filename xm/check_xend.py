"""``check_xend``: a Nagios/Icinga plugin (Monitoring Plugins guidelines).

Run on dom0, it checks that xend answers on its socket (found as xm finds
it: ``-S``, else ``$XM_SERVER``, else the default), that the expected
domains (``-d``) run, that the host has enough free memory (``xm info``'s
free_memory, thresholds ``-w``/``-c``) and that dom0's 1-minute load
average stays below ``--load-warn``/``--load-crit``.  It prints one line,
``XEND <STATE> - text | perfdata``, and exits 0 OK, 1 WARNING, 2 CRITICAL
or 3 UNKNOWN.  Two RPCs on one connection: ``xend.domains_with_state``
(as ``xm list``) and ``xend.node.info`` (as ``xm info``).

A named domain that is missing, halted, suspended, crashed, shut down or
dying is CRITICAL; a paused one is WARNING (it exists and keeps its memory,
but does not run: paused by an admin, or for a moment by a save or a
migration); running or blocked is OK.  No reply within ``-t`` seconds is
CRITICAL (``-t 10:UNKNOWN`` chooses another state), like the C plugins'
socket timeout; a socket this user may not open is UNKNOWN (the check could
not be made); bad arguments and any unexpected error are UNKNOWN, on one
line.  Only the standard library and xm's RPC client are imported.
"""

from __future__ import annotations

import getopt
import math
import os
import signal
import sys
from typing import Sequence, TextIO

from xend import __version__
from xm.monitoring import (CRITICAL, STATE_NAMES, UNKNOWN, Range,
                           Thresholds, parse_state, status_line)
from xm.xend_health import Options, Outcome, gather

SERVICE = "XEND"
VERSION = __version__
DEFAULT_TIMEOUT = 10.0
USAGE = ("Usage: check_xend [-S SOCKET] [-d NAME[,NAME...]]... "
         "[-w MEM] [-c MEM] [--load-warn RANGE] "
         "[--load-crit RANGE] [-t SECONDS[:STATE]] [-v]... [-h] [-V]")

HELP = f"""check_xend {VERSION}
Checks xend (the Xen management daemon) on this host, which is dom0.

{USAGE}

Options:
 -h, --help
    Print this help (exit 3, UNKNOWN, as the plugin guidelines ask)
 -V, --version
    Print the version (exit 3)
 -S, --socket=PATH|unix://PATH
    xend's socket (default: $XM_SERVER, else /run/xend/xend.sock)
 -d, --domain=NAME[,NAME...]
    Domains (name, id or uuid) that must run; may be repeated.  Missing,
    halted, suspended, crashed, shut down or dying: CRITICAL; paused:
    WARNING; running or blocked: OK
 -w, --mem-warn=MEM
 -c, --mem-crit=MEM
    Free host memory (xm info's free_memory), MEM in MiB: a plain number N
    alerts when less than N MiB is free (it means the range N:); anything
    else is a threshold range as below
 --load-warn=RANGE
 --load-crit=RANGE
    dom0's 1-minute load average (a plain number N alerts above N)
 -t, --timeout=SECONDS[:STATE]
    Give up after SECONDS (default: {DEFAULT_TIMEOUT:g}); xend not answering
    in time is CRITICAL, or STATE (OK, WARNING, CRITICAL, UNKNOWN or 0-3)
 -v, --verbose
    -v: one line with every named domain's state; -vv: more lines (socket,
    each figure); -vvv: also every domain xend knows

Threshold ranges: [@]START:END, alerting outside START..END (inside with
@); 10 is 0:10, 10: has no end, ~:10 no start.  See
https://www.monitoring-plugins.org/doc/guidelines.html#THRESHOLDFORMAT

Performance data: domains, paused, free_memory (MB), load1, load5, load15,
time (s, xend's response time).  xend answers root only: run the plugin as
root (through sudo or NRPE).
"""


class UsageError(Exception):
    """A bad command line: UNKNOWN with the usage."""


class PluginTimeout(Exception):
    """The -t deadline passed (raised by the SIGALRM handler)."""


def parse_mem_threshold(text: str) -> Range:
    """``512`` alerts below 512 MiB free (``512:``); a range as given."""
    body = text.strip()
    if body and ":" not in body and "@" not in body:
        try:
            value = float(body)
        except ValueError:
            raise ValueError(f"'{text}' is not a number of MiB or a "
                             "threshold range") from None
        if not 0 <= value < math.inf:
            raise ValueError(f"'{text}' is not a number of MiB")
        return Range.floor(value)
    return Range.parse(text)


def parse_timeout(text: str) -> tuple[float, int]:
    """``SECONDS[:STATE]`` -> (seconds, state on expiry)."""
    secs, sep, state = text.partition(":")
    try:
        value = float(secs)
    except ValueError:
        raise ValueError(f"timeout '{text}' is not a number of "
                         "seconds") from None
    if not 0 < value <= 86400:
        raise ValueError(f"timeout '{text}' is not above 0 and at most "
                         "86400 seconds")
    return value, parse_state(state) if sep else CRITICAL


def parse_args(argv: Sequence[str],
               environ: dict[str, str] | None = None) -> Options | str:
    """The options, or ``"help"`` / ``"version"``; UsageError if bad."""
    try:
        opts, rest = getopt.getopt(
            list(argv), "hVvS:d:w:c:t:",
            ["help", "version", "verbose", "socket=", "domain=",
             "mem-warn=", "mem-crit=", "load-warn=", "load-crit=",
             "timeout="])
    except getopt.GetoptError as exc:
        raise UsageError(str(exc)) from None
    if rest:
        raise UsageError(f"unexpected argument '{rest[0]}'")
    names = [opt for opt, _ in opts]
    if "-h" in names or "--help" in names:
        return "help"
    if "-V" in names or "--version" in names:
        return "version"
    socket_uri, domains, verbosity = "", [], 0
    ranges: dict[str, Range] = {}
    timeout, timeout_state = DEFAULT_TIMEOUT, CRITICAL
    for opt, value in opts:
        try:
            if opt in ("-v", "--verbose"):
                verbosity += 1
            elif opt in ("-S", "--socket"):
                socket_uri = value
            elif opt in ("-d", "--domain"):
                found = [d.strip() for d in value.split(",")]
                if not all(found):
                    raise ValueError(f"empty domain name in '{value}'")
                domains += [d for d in found if d not in domains]
            elif opt in ("-w", "--mem-warn", "-c", "--mem-crit"):
                ranges["mem-warn" if opt in ("-w", "--mem-warn")
                       else "mem-crit"] = parse_mem_threshold(value)
            elif opt in ("--load-warn", "--load-crit"):
                ranges[opt[2:]] = Range.parse(value)
            elif opt in ("-t", "--timeout"):
                timeout, timeout_state = parse_timeout(value)
        except ValueError as exc:
            raise UsageError(f"{opt}: {exc}") from None
    from xend.errors import ConnectionFailed
    from xm.client import server_path
    env = dict(os.environ if environ is None else environ)
    if socket_uri:
        env["XM_SERVER"] = socket_uri
    try:
        path = server_path(env)
    except ConnectionFailed as exc:
        raise UsageError(str(exc).replace("Unable to connect to xend: ",
                                          "")) from None
    return Options(path, tuple(domains),
                   Thresholds(ranges.get("mem-warn"), ranges.get("mem-crit")),
                   Thresholds(ranges.get("load-warn"),
                              ranges.get("load-crit")),
                   timeout, timeout_state, verbosity)


def _reason(exc: BaseException) -> str:
    """The cause in xm's connection messages, without xm's wording."""
    text = str(exc)
    for prefix in ("Unable to connect to xend: ",
                   "Xend has probably crashed!  "):
        text = text.removeprefix(prefix)
    return text.removesuffix(". Is xend running?")


def run(opts: Options) -> Outcome:
    """One check, with the -t deadline; never raises."""
    def expired(signum: int, frame: object) -> None:
        raise PluginTimeout()
    from xend.errors import (ConnectionFailed, PermissionDenied,
                             ProtocolError, XendError)
    from xm.client import XendClient
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, opts.timeout)
    try:
        try:
            client = XendClient(opts.socket)
            try:
                return gather(opts, client.call)
            finally:
                client.close()
        finally:
            # Disarmed inside the handlers' reach: an alarm that fires
            # on the way out is still a timeout, never a traceback.
            signal.setitimer(signal.ITIMER_REAL, 0)
    except PluginTimeout:
        return Outcome(opts.timeout_state, "xend not answering: no reply "
                       f"within {opts.timeout:g} s", [], [])
    except (ConnectionFailed, PermissionDenied) as exc:
        if "permission denied" in str(exc).lower():
            return Outcome(UNKNOWN, "cannot ask xend: permission denied "
                           "(xend answers root only)", [], [])
        return Outcome(CRITICAL, f"xend not answering: {_reason(exc)}",
                       [], [])
    except ProtocolError as exc:
        return Outcome(CRITICAL, f"xend not answering: {_reason(exc)}",
                       [], [])
    except XendError as exc:
        return Outcome(CRITICAL, f"xend failed: {exc}", [], [])
    except Exception as exc:     # the plugin's own failure: one line
        return Outcome(UNKNOWN, f"unexpected error: {type(exc).__name__}: "
                       f"{exc}", [], [])
    except KeyboardInterrupt:
        return Outcome(UNKNOWN, "interrupted", [], [])
    finally:
        signal.signal(signal.SIGALRM, previous)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         environ: dict[str, str] | None = None) -> int:
    """Console-script entry point: ``sys.exit(main())``."""
    stream = sys.stdout if out is None else out
    args = sys.argv[1:] if argv is None else argv
    try:
        opts = parse_args(args, environ)
    except UsageError as exc:
        stream.write(status_line(SERVICE, UNKNOWN, f"{exc}; {USAGE}") + "\n")
        return UNKNOWN
    except Exception as exc:
        stream.write(status_line(SERVICE, UNKNOWN, "unexpected error: "
                                 f"{type(exc).__name__}: {exc}") + "\n")
        return UNKNOWN
    if opts == "help":
        stream.write(HELP)
        return UNKNOWN
    if opts == "version":
        stream.write(f"check_xend {VERSION}\n")
        return UNKNOWN
    assert isinstance(opts, Options)
    result = run(opts)
    lines = [status_line(SERVICE, result.state, result.text, result.perf)]
    if opts.verbosity >= 2:
        lines += [f"socket: {opts.socket}",
                  f"timeout: {opts.timeout:g} s, then "
                  f"{STATE_NAMES[opts.timeout_state]}"] + result.details
    stream.write("\n".join(lines) + "\n")
    return result.state


if __name__ == "__main__":
    sys.exit(main())
