"""Find and read an xm domain config: Python-syntax file, SXP file, and
``VAR=VALUE`` command-line assignments -> DomainConfig.

This is what ``xm create``/``xm new`` do before talking to xend (reference
§3.1): command-line variables win over the file; list variables given on
the command line append; unknown ``VAR=VALUE`` become script variables
(strings) for the file to use; ``name`` defaults to the file's basename.
Variables that Xen 4.17 cannot apply are reported, not dropped silently
(:mod:`xm.config.unapplied`).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from xend.errors import ConfigError
from xend.model import sxp
from xend.model.domconfig import DomainConfig
from xend.model.from_sxp import config_from_sxp
from xm.config.build import make_domain_config
from xm.config.evaluator import evaluate
from xm.config.unapplied import warning_lines
from xm.config.variables import (VARIABLES, convert_cmdline,
                                 convert_file_value)
from xm.config.variables import help_config as _help_config

DEFAULT_SEARCH_PATH = ".:/etc/xen"
DEFAULT_CONFIG = "xmdefconfig"


def find_config_file(name: str, search_path: str = DEFAULT_SEARCH_PATH
                     ) -> str:
    """The path of config *name*: as given, then in each search directory.

    An absolute name is used as is.  Raises ConfigError
    ``Unable to open config file: NAME`` when nothing matches.
    """
    candidates = [name]
    if not os.path.isabs(name):
        candidates += [os.path.join(d, name)
                       for d in search_path.split(":") if d]
    for path in candidates:
        if not os.path.isabs(path):
            path = os.path.join(os.curdir, path)
        if os.path.isfile(path):
            return path
    raise ConfigError(f"Unable to open config file: {name}")


def parse_assignments(assignments: list[str]
                      ) -> tuple[dict[str, Any], dict[str, str]]:
    """Split ``VAR=VALUE`` strings into (known variables, script vars).

    Known variables are converted (``memory=abc`` is an error); list
    variables collect every occurrence.
    """
    specified: dict[str, Any] = {}
    script_vars: dict[str, str] = {}
    for text in assignments:
        if "=" not in text:
            raise ConfigError(f"Invalid variable assignment: {text} "
                              "(expected VAR=VALUE)")
        name, value = (s.strip() for s in text.strip().split("=", 1))
        var = VARIABLES.get(name)
        if var is None:
            script_vars[name] = value
        elif var.kind == "list":
            specified.setdefault(name, []).append(value)
        else:
            specified[name] = convert_cmdline(var, value)
    return specified, script_vars


def build_config(defconfig: str | None, sxp_config: str | None,
                 assignments: list[str],
                 search_path: str = DEFAULT_SEARCH_PATH,
                 allow_python: bool = False,
                 environ: Mapping[str, str] | None = None,
                 warn: Callable[[str], None] | None = None
                 ) -> tuple[DomainConfig, str | None]:
    """Build the domain model and say which config file it came from.

    *sxp_config* (``-F``) wins: a pure SXP file, read as is (assignments
    are ignored, as in xm).  Otherwise *defconfig* (``-f``, default
    ``xmdefconfig``) is found on *search_path* and evaluated safely, or as
    real Python with *allow_python*.  *environ* (default ``os.environ``)
    supplies DISPLAY/XAUTHORITY for SDL consoles.  *warn* gets one line
    (:mod:`xm.config.unapplied`) for each variable the file or the
    assignments set that Xen 4.17 cannot apply, before the model is built.
    """
    if environ is None:
        environ = os.environ
    if sxp_config is not None:
        return _from_sxp_file(sxp_config), sxp_config
    specified, script_vars = parse_assignments(assignments)
    path = find_config_file(defconfig or DEFAULT_CONFIG, search_path)
    namespace = read_config_file(path, script_vars, allow_python)
    values = merge_values(namespace, specified)
    if warn is not None:
        for line in warning_lines(values):
            warn(line)
    if not values.get("name"):
        values["name"] = os.path.basename(defconfig or DEFAULT_CONFIG)
    return make_domain_config(values, environ), path


def read_config_file(path: str, script_vars: Mapping[str, str],
                     allow_python: bool = False) -> dict[str, Any]:
    """Evaluate the config file at *path*; its namespace."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        raise ConfigError(f"Cannot read file {path}: {exc.strerror}") \
            from None
    if source.startswith(b"<"):
        raise ConfigError(f"{path}: Xen-API XML configs are not supported")
    namespace, _ = evaluate(source, path, dict(script_vars),
                            allow_python=allow_python)
    return namespace


def config_help(path: str, script_vars: Mapping[str, str],
                allow_python: bool = False) -> str:
    """The help a config declares with ``xm_vars.var(...)`` (help mode)."""
    with open(path, "rb") as f:
        source = f.read()
    try:
        _, lines = evaluate(source, path, dict(script_vars), help_mode=True,
                            allow_python=allow_python)
    except ConfigError:
        return ""  # xm ignored the script's errors in help mode
    return "\n".join(lines)


def merge_values(namespace: Mapping[str, Any],
                 specified: Mapping[str, Any]) -> dict[str, Any]:
    """Variables from the file, overridden by the command line.

    Only names in the variable table are used; the file's other names
    (helper variables, functions) are its own business.  ``None`` means
    "not set", as it did for xm.
    """
    values: dict[str, Any] = {}
    for name, value in namespace.items():
        var = VARIABLES.get(name)
        if var is None or name in specified or value is None:
            continue
        values[name] = convert_file_value(var, value)
    values.update(specified)
    return values


def _from_sxp_file(path: str) -> DomainConfig:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except OSError as exc:
        raise ConfigError(f"Cannot read file {path}: {exc.strerror}") \
            from None
    values = sxp.parse(text, path)
    if not values:
        raise ConfigError(f"{path}: no SXP configuration found")
    return config_from_sxp(values[0])


def help_config() -> str:
    """The ``xm create --help_config`` text."""
    return _help_config()
