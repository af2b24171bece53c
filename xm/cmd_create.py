"""``xm create`` and ``xm new``: build a domain config and hand it to xend.

The config is built on the client side by :mod:`xm.config.loader` (Python
config files are evaluated safely unless ``--python-config`` allows full
Python), so relative paths and script variables are resolved where the
user runs xm.  ``-n`` prints the ``(vm ...)`` SXP - or with ``--json`` the
libxl JSON, as ``xl create -n`` does - without asking xend anything (but
the host's CPU count, when ``cpus`` says ``all`` and ``--json`` lists them).
A variable the config set that Xen 4.17 cannot apply gets one ``Warning:``
line on stderr (:mod:`xm.config.unapplied`); the exit code is unchanged.
Those modules are imported here, lazily, so that other commands start fast.

``xm create -c`` then attaches the terminal to the new domain's console,
exactly as ``xm console DOMID`` would (:mod:`xm.cmd_console`); Ctrl-]
leaves it.  ``--vncviewer`` starts a VNC viewer on the domain's display
first (:mod:`xm.cmd_vncviewer`).  4.4 forked and exec'd xenconsole once the domain showed up;
here the create returns first, so a failed create never opens a console
and keeps its exit code.
"""

from __future__ import annotations

from typing import Any

from xm.context import XmContext

DEFAULT_CONFIG = "xmdefconfig"


def split_arguments(words: list[str]) -> tuple[str | None, list[str]]:
    """``[FILE] [VAR=VALUE ...]``: the last bare word names the config
    file (4.4 treated a bare word as ``--defconfig``); the ``VAR=VALUE``
    words are kept, in order, for the loader."""
    config: str | None = None
    assignments: list[str] = []
    for word in words:
        if "=" in word:
            assignments.append(word)
        else:
            config = word
    return config, assignments


def _build(xm: XmContext, words: list[str], defconfig: str | None,
           config: str | None, path: str, python_config: bool,
           quiet: bool, dryrun: bool) -> Any:
    from xm.config.loader import build_config
    bare, assignments = split_arguments(words)
    name = bare or defconfig or DEFAULT_CONFIG
    warnings: list[str] = []
    cfg, used = build_config(name, config, assignments, search_path=path,
                             allow_python=python_config,
                             warn=warnings.append)
    # 4.4 named the file only when it searched for one (not for -F).  A
    # dry run keeps stdout a pure SXP/JSON document, so the note goes to
    # stderr there (as xl's "Parsing config from ...").
    if used and config is None and not quiet:
        stream = xm.err if dryrun else xm.out
        stream.write(f'Using config file "{used}".\n')
    # Settings Xen 4.17 cannot apply: said even with --quiet (as 4.4's
    # warnings were), on stderr, and the command goes on.
    for line in warnings:
        xm.err.write(line + "\n")
    return cfg


def _host_cpus_for_all(xm: XmContext, cfg: Any) -> int | None:
    """The host's CPU count when ``cpus`` says ``all`` (libxl JSON lists
    the CPUs, as ``xl create -n`` lists the host's), else None: only then
    does a dry run ask xend something."""
    cpus = getattr(cfg, "cpus", None)
    specs = [cpus] if isinstance(cpus, str) else list(cpus or ())
    if not any("all" in spec for spec in specs):
        return None
    from xend.errors import ConfigError, ConnectionFailed
    try:
        info = dict(xm.call("xend.node.info"))
    except ConnectionFailed as exc:
        raise ConfigError(f"cpus 'all' needs the host CPU count, and xend "
                          f"cannot tell it: {exc}") from None
    return int(info["nr_cpus"])


def _dry_run(xm: XmContext, cfg: Any, as_json: bool) -> None:
    if as_json:
        import json
        from xend.model.libxl_json import to_libxl_json
        doc = to_libxl_json(cfg, _host_cpus_for_all(xm, cfg))
        xm.echo(doc if isinstance(doc, str) else json.dumps(doc, indent=4))
        return
    from xend.model.sxp import pretty
    from xend.model.to_sxp import config_sxp
    xm.out.write(pretty(config_sxp(cfg)))


def _help_config(xm: XmContext) -> None:
    from xm.config.loader import help_config
    text = help_config()
    xm.out.write(text if text.endswith("\n") else text + "\n")


def create(xm: XmContext, words: list[str], paused: bool,
           console_autoconnect: bool, vncviewer: bool,
           vncviewer_autopass: bool, quiet: bool, dryrun: bool, json: bool,
           path: str | None, defconfig: str | None, config: str | None,
           help_config: bool, python_config: bool) -> None:
    if help_config:
        _help_config(xm)
        return
    cfg = _build(xm, words, defconfig, config, path or ".:/etc/xen",
                 python_config, quiet, dryrun)
    if dryrun:
        _dry_run(xm, cfg, json)         # -c: nothing to attach to
        return
    viewer = None
    if vncviewer or vncviewer_autopass:     # no viewer: create nothing
        from xm.cmd_vncviewer import viewer_program
        viewer = viewer_program()
    rec = xm.call("xend.domain.create", cfg.to_dict(), paused)
    if not quiet:
        xm.echo(f"Started domain {rec.get('name')} (id={rec.get('domid')})")
    if viewer is not None:
        from xm.cmd_vncviewer import start_viewer_after
        start_viewer_after(xm, rec["name"], vncviewer_autopass, viewer)
    if console_autoconnect:
        # As `xm console DOMID` once create has returned: the domain runs
        # (or, with -p, stays paused: 4.4 attached to it all the same).
        from xm.cmd_console import attach_console
        attach_console(xm, rec["domid"])


def new(xm: XmContext, words: list[str], quiet: bool, dryrun: bool,
        json: bool, path: str | None, defconfig: str | None,
        config: str | None, help_config: bool, python_config: bool) -> None:
    if help_config:
        _help_config(xm)
        return
    cfg = _build(xm, words, defconfig, config, path or ".:/etc/xen",
                 python_config, quiet, dryrun)
    if dryrun:
        _dry_run(xm, cfg, json)
        return
    xm.call("xend.domain.new", cfg.to_dict())
