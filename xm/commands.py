"""THE xm command table: every subcommand declared once.

Each :class:`~xm.spec.Command` names its help group, 4.4 summary and usage,
positional arguments with their parsers, options, the xend RPC methods its
handler may call (checked at run time by :class:`xm.context.XmContext` and
against :mod:`xend.rpc.api` by the tests), deprecated aliases and whether it
appears in the short help.  Handlers are named ``"module:function"`` and
imported only when their command runs.  The option parsing (:mod:`xm.cli`),
the help screens (:mod:`xm.helptext`) and the name lookup below are derived
from it.
"""

from __future__ import annotations

from typing import Any

from xm.context import XmContext
from xm.spec import Arg, Command, Opt
from xm.units import parse_cpus_arg, parse_memory_mib, parse_vcpu_arg


def _console_num(value: str) -> Any:
    from xm.cmd_console import parse_console_num
    return parse_console_num(value)


def _port(value: str) -> int:
    from xm.cmd_migrate import parse_port
    return parse_port(value)


def _node(value: str) -> int:
    from xm.cmd_migrate import parse_node
    return parse_node(value)


DOM = Arg("dom")
DOMS = Arg("doms", variadic=True)
PAUSED = Opt("paused", "Do not unpause domain after starting it",
             short="p", long="paused")
FORCE = Opt("force", "Force device removal (no guest cooperation).",
            short="f", long="force")
LONG_DEVICES = Opt("long", "List devices in SXP, with all their keys.",
                   short="l", long="long")

# Options of create and new (4.4 create.py; -x/-s not yet).
CONFIG_OPTIONS = (
    Opt("help_config", "Print the available configuration variables "
        "(vars) for the configuration script.", long="help_config"),
    Opt("quiet", "Quiet.", short="q", long="quiet"),
    Opt("path", "Search path for configuration scripts. The value of PATH "
        "is a colon-separated directory list.", long="path",
        metavar="PATH"),
    Opt("defconfig", "Use the given Python configuration script.",
        short="f", long="defconfig", metavar="FILE"),
    Opt("config", "Domain configuration to use (SXP).", short="F",
        long="config", metavar="FILE"),
    Opt("dryrun", "Dry run - prints the resulting configuration in SXP "
        "but does not create the domain.", short="n", long="dryrun"),
    Opt("json", "With -n: print the libxl JSON configuration instead.",
        long="json"),
    Opt("python_config", "Evaluate the configuration file as full Python "
        "(trusted files only).", long="python-config"),
)


# --vncviewer of create and start (4.4 main.py's texts, with what differs).
VNC_OPTIONS = (
    Opt("vncviewer", "Connect to display via VNC after the domain is "
        "created", long="vncviewer"),
    Opt("vncviewer_autopass", "Pass VNC password to viewer via stdin and "
        "-autopass (implies --vncviewer)", long="vncviewer-autopass"),
)


CONFIG_HELP = """\
Domain creation parameters can be set by command-line switches, from
a python configuration script or an SXP config file. See documentation
for --defconfig, --config. Configuration variables can be set using
VAR=VAL on the command line. For example vmid=3 sets vmid to 3.
"""


def show_long_help(xm: XmContext, words: list[str]) -> None:
    from xm.helptext import long_help
    xm.out.write(long_help(COMMANDS))


COMMANDS: tuple[Command, ...] = (
    Command("console", "domain", "Attach to <Domain>'s console.",
        "[-q|--quiet] [-n N] <Domain>", "xm.cmd_console:console", args=(DOM,),
        options=(Opt("quiet", "Exit silently if the domain does not exist "
                     "or is not running.", short="q", long="quiet"),
                 Opt("num", "Console number (0, the primary console).",
                     short="n", long="num", metavar="N",
                     parser=_console_num)),
        methods=("xend.domain.getConsolePath",), essential=True,
        dry_run=False,
        extra_help="Press Ctrl-] to leave the console.\n"),
    Command("vncviewer", "domain", "Attach to <Domain>'s VNC server.",
        "[--[vncviewer-]autopass] <Domain>", "xm.cmd_vncviewer:vncviewer",
        args=(DOM,),
        options=(Opt("autopass", "Pass VNC password to viewer via stdin "
                     "and -autopass", long="autopass"),
                 Opt("vncviewer_autopass", "(consistency alias for "
                     "--autopass)", long="vncviewer-autopass")),
        methods=("xend.domain.getVncDisplay",), essential=True,
        dry_run=False, usage_on_error=False,
        extra_help="Runs $VNCVIEWER (default vncviewer) on the domain's "
        "VNC display\n(HOST:DISPLAY, as libxl recorded it).\n"),
    Command("create", "domain", "Create a domain based on <ConfigFile>.",
        "<ConfigFile> [options] [vars]", "xm.cmd_create:create",
        args=(Arg("words", variadic=True),),
        options=(Opt("paused", "Leave the domain paused after it is "
                     "created.", short="p", long="paused"),
                 Opt("console_autoconnect", "Connect to the console after "
                     "the domain is created.", short="c",
                     long="console_autoconnect")) + VNC_OPTIONS
        + CONFIG_OPTIONS,
        methods=("xend.domain.create", "xend.node.info",
                 "xend.domain.getConsolePath", "xend.domain.getVncDisplay"),
        essential=True,
        usage_on_error=False, dry_run=False, extra_help=CONFIG_HELP),
    Command("new", "domain", "Adds a domain to Xend domain management",
        "<ConfigFile> [options] [vars]", "xm.cmd_create:new",
        args=(Arg("words", variadic=True),), options=CONFIG_OPTIONS,
        methods=("xend.domain.new", "xend.node.info"), essential=True,
        usage_on_error=False, dry_run=False, extra_help=CONFIG_HELP),
    Command("delete", "domain", "Remove a domain from Xend domain management.",
        "<DomainName>", "xm.cmd_domain:delete", args=(DOM,),
        methods=("xend.domain.delete",), essential=True),
    Command("destroy", "domain", "Terminate a domain immediately.", "<Domain>",
        "xm.cmd_domain:destroy", args=(DOM,), methods=("xend.domain.destroy",),
        essential=True),
    Command("domid", "domain", "Convert a domain name to domain id.",
        "<DomainName>", "xm.cmd_domain:domid", args=(DOM,),
        methods=("xend.domain",)),
    Command("domname", "domain", "Convert a domain id to domain name.",
        "<DomId>", "xm.cmd_domain:domname", args=(DOM,),
        methods=("xend.domain",)),
    Command("domstate", "domain", "get the state of a domain", "<Domain>",
        "xm.cmd_domain:domstate", args=(DOM,),
        methods=("xend.domain",), essential=True,
        extra_help="Prints one of: shutoff, idle, shutdown, running, "
        "crashed, paused,\n'paused by admin' (paused with xm pause).  "
        "Unlike 4.4, a running domain\n(r-----, or ------ when between "
        "time slices) prints running.\n"),
    Command("dump-core", "domain", "Dump core for a specific domain.",
        "[-L|--live] [-C|--crash] [-R|--reset] <Domain> [Filename]",
        "xm.cmd_domain:dump_core",
        args=(DOM, Arg("filename", optional=True)),
        options=(Opt("live", "Dump core without pausing the domain",
                     short="L", long="live"),
                 Opt("crash", "Crash domain after dumping core", short="C",
                     long="crash"),
                 Opt("reset", "Reset domain after dumping core", short="R",
                     long="reset")),
        methods=("xend.domain.dump",), essential=True,
        extra_help="Without Filename the core goes to "
        "<xend-dump-path>/<name>/\n<YYYY-MMDD-HHMM.SS>-<name>.<domid>.core "
        "(xend-dump-path: /var/xen/dump).\n"),
    Command("help", "", "Display this message.", "", show_long_help,
        args=(Arg("words", variadic=True),), essential=True),
    Command("list", "domain", "List information about all/some domains.",
        "[options] [Domain, ...]", "xm.cmd_list:list_domains", args=(DOMS,),
        options=(Opt("long", "Output all VM details in SXP", short="l",
                     long="long"),
                 Opt("state", "Select only VMs with the specified state",
                     long="state", metavar="<state>"),
                 Opt("vcpus", "Deprecated: use xm vcpu-list", short="v",
                     long="vcpus")),
        methods=("xend.domain", "xend.domains_with_state",
                 "xend.domain.getVCPUInfo"), essential=True),
    Command("mem-max", "domain", "Set the maximum amount reservation for a "
        "domain.", "<Domain> <Mem>", "xm.cmd_memory:set_memory_max",
        args=(DOM, Arg("mem", parse_memory_mib)),
        methods=("xend.domain.maxmem_set",)),
    Command("mem-set", "domain", "Set the current memory usage for a domain.",
        "<Domain> <Mem>", "xm.cmd_memory:set_memory_target",
        args=(DOM, Arg("mem", parse_memory_mib)),
        methods=("xend.domain.setMemoryTarget",), aliases=("balloon",),
        essential=True),
    Command("pause", "domain", "Pause execution of a domain.", "<Domain>",
        "xm.cmd_domain:pause", args=(DOM,), methods=("xend.domain.pause",),
        essential=True),
    Command("reboot", "domain", "Reboot a domain.", "<Domain> [-wa]",
        "xm.cmd_shutdown:reboot", args=(Arg("dom", optional=True),),
        options=(Opt("all", "Reboot all domains (except Domain-0).",
                     short="a", long="all"),
                 Opt("wait", "Wait for the reboot to complete.", short="w",
                     long="wait")),
        methods=("xend.domain", "xend.domains_with_state",
                 "xend.domain.getRestartCount", "xend.domain.shutdown"),
        essential=True),
    Command("rename", "domain", "Rename a domain.", "<Domain> <NewDomainName>",
        "xm.cmd_domain:rename", args=(DOM, Arg("new_name")),
        methods=("xend.domain.setName",)),
    Command("reset", "domain", "Reset a domain.", "<Domain>",
        "xm.cmd_domain:reset", args=(DOM,), methods=("xend.domain.reset",),
        essential=True),
    Command("restore", "domain", "Restore a domain from a saved state.",
        "<CheckpointFile> [-p]", "xm.cmd_saverestore:restore",
        args=(Arg("path"),),
        options=(Opt("paused", "Do not unpause domain after restoring it",
                     short="p", long="paused"),),
        methods=("xend.domain.restore",), essential=True,
        dry_run=False),
    Command("resume", "domain", "Resume a Xend managed domain", "<DomainName>",
        "xm.cmd_domain:resume", args=(DOM,),
        options=(Opt("paused", "Do not unpause domain after resuming it",
                     short="p", long="paused"),),
        methods=("xend.domain.resume",), essential=True),
    Command("migrate", "domain", "Migrate a domain to another machine.",
        "<Domain> <Host>", "xm.cmd_migrate:migrate",
        args=(DOM, Arg("host")),
        options=(Opt("live", "Use live migration.", short="l", long="live"),
                 Opt("port", "Use specified port for migration.",
                     short="p", long="port", metavar="portnum",
                     parser=_port),
                 Opt("node", "Use specified NUMA node on target.",
                     short="n", long="node", metavar="nodenum",
                     parser=_node),
                 Opt("ssl", "Use ssl connection for migration.", short="s",
                     long="ssl"),
                 Opt("change_home_server", "Change home server for managed "
                     "domains.", short="c", long="change_home_server")),
        methods=("xend.domain.migrate",), essential=True, dry_run=False,
        variant=("--xl", "migrate-xl"), usage_on_error=False,
        extra_help="With --xl [-s SSHCMD], migrate to a host that runs plain "
        "xl:\nxend speaks xl's protocol to 'SSHCMD HOST xl migrate-receive' "
        "(SSHCMD\ndefaults to ssh; -s '' runs HOST itself as the "
        "command).\n\nExamples: xm migrate --live web1 host2.example.com\n"
        "          xm migrate --xl web1 host3.example.com\n"),
    Command("migrate-xl", "", "Migrate a domain to a host running xl.",
        "--xl [-s SSHCMD] <Domain> <Host>", "xm.cmd_migrate:migrate_xl",
        args=(DOM, Arg("host")),
        options=(Opt("ssh", "Command to reach the host (default ssh; '' "
                     "runs <Host> as the command).", short="s", long="ssh",
                     metavar="SSHCMD"),
                 Opt("live", "Accepted (xl migration is always live).",
                     short="l", long="live")),
        methods=("xend.domain.migrate_send_xl",), dry_run=False,
        usage_on_error=False),
    Command("migrate-receive", "domain", "Receive a domain that xl "
        "migrate sends (on stdin/stdout).", "[-F] [-e] [-d] [-r] [-p]",
        "xm.cmd_migrate:migrate_receive",
        options=(Opt("paused", "Leave the domain paused.", short="p",
                     long="paused"),
                 Opt("foreground", "Accepted (xl's -F).", short="F"),
                 Opt("no_console", "Accepted (xl's -e).", short="e"),
                 Opt("debug", "Accepted (xl's -d).", short="d"),
                 Opt("remus", "Accepted (xl's -r).", short="r")),
        methods=("xend.domain.migrate_receive_xl",), dry_run=False,
        usage_on_error=False,
        extra_help="Run by xl on this host, e.g.:\n  xl migrate -s '' web1 "
        "'ssh host2 xm migrate-receive'\n"),
    Command("save", "domain", "Save a domain state to restore later.",
        "[-c] [--xl] <Domain> <CheckpointFile>", "xm.cmd_saverestore:save",
        args=(DOM, Arg("path")),
        options=(Opt("checkpoint", "Leave domain running after creating "
                     "snapshot", short="c", long="checkpoint"),
                 Opt("xl", "Write the file in xl's format, for xl restore "
                     "(xm restore reads both).", long="xl")),
        methods=("xend.domain.save",), essential=True,
        dry_run=False),
    Command("shutdown", "domain", "Shutdown a domain.", "<Domain> [-waRH]",
        "xm.cmd_shutdown:shutdown", args=(Arg("dom", optional=True),),
        options=(Opt("all", "Shutdown all domains (except Domain-0).",
                     short="a", long="all"),
                 Opt("wait", "Wait for shutdown to complete.", short="w",
                     long="wait"),
                 Opt("halt", "Shutdown without reboot.", short="H",
                     long="halt"),
                 Opt("reboot", "Shutdown and reboot.", short="R",
                     long="reboot")),
        methods=("xend.domain", "xend.domains_with_state",
                 "xend.domain.getRestartCount", "xend.domain.shutdown"),
        essential=True),
    Command("start", "domain", "Start a Xend managed domain", "<DomainName>",
        "xm.cmd_domain:start", args=(DOM,),
        options=(PAUSED,
                 Opt("console_autoconnect", "Connect to the console after "
                     "the domain is created", short="c",
                     long="console_autoconnect")) + VNC_OPTIONS,
        methods=("xend.domain.start", "xend.domain.getConsolePath",
                 "xend.domain.getVncDisplay"),
        essential=True),
    Command("suspend", "domain", "Suspend a Xend managed domain",
        "<DomainName>",
        "xm.cmd_domain:suspend", args=(DOM,), methods=("xend.domain.suspend",),
        essential=True),
    Command("sysrq", "domain", "Send a sysrq to a domain.",
        "<Domain> <letter>",
        "xm.cmd_domain:sysrq", args=(DOM, Arg("letter")),
        methods=("xend.domain.send_sysrq",)),
    Command("trigger", "domain", "Send a trigger to a domain.",
        "<Domain> <nmi|reset|init|s3resume|power> [<VCPU>]",
        "xm.cmd_domain:trigger",
        args=(DOM, Arg("trigger"), Arg("vcpu", int, optional=True)),
        methods=("xend.domain.send_trigger",)),
    Command("unpause", "domain", "Unpause a paused domain.", "<Domain>",
        "xm.cmd_domain:unpause", args=(DOM,), methods=("xend.domain.unpause",),
        essential=True),
    Command("uptime", "domain", "Print uptime for all/some domains.",
        "[-s] [Domain, ...]", "xm.cmd_list:uptime", args=(DOMS,),
        options=(Opt("short", "Short output (like uptime(1))", short="s",
                     long="short"),),
        methods=("xend.domain", "xend.domains_with_state"), essential=True),
    Command("vcpu-list", "domain", "List the VCPUs for all/some domains.",
        "[Domain, ...]", "xm.cmd_vcpu:list_vcpus", args=(DOMS,),
        methods=("xend.domain", "xend.domains_with_state",
                 "xend.domain.getVCPUInfo")),
    Command("vcpu-pin", "domain", "Set which CPUs a VCPU can use.",
        "<Domain> <VCPU|all> <CPUs|all>", "xm.cmd_vcpu:pin_vcpu",
        args=(DOM, Arg("vcpu", parse_vcpu_arg), Arg("cpus", parse_cpus_arg)),
        methods=("xend.domain.pincpu",)),
    Command("vcpu-set", "domain", "Set the number of active VCPUs allowed for "
        "the domain.", "<Domain> <vCPUs>", "xm.cmd_vcpu:set_vcpus",
        args=(DOM, Arg("vcpus", int)), methods=("xend.domain.setVCpuCount",),
        aliases=("set-vcpus",), essential=True),
    # -- host ----------------------------------------------------------
    Command("debug-keys", "host", "Send debug keys to Xen.", "<Keys>",
        "xm.cmd_host:debug_keys", args=(Arg("keys"),),
        methods=("xend.node.send_debug_keys",),
        extra_help="Xen prints what the keys do to its console: see xm "
        "dmesg ('h' lists them).\n"),
    Command("dmesg", "host", "Read and/or clear Xend's message buffer.",
        "[-c|--clear]", "xm.cmd_host:dmesg",
        options=(Opt("clear", "Clear dmesg buffer as well as printing it",
                     short="c", long="clear"),),
        methods=("xend.node.dmesg.info", "xend.node.dmesg.clear")),
    Command("info", "host", "Get information about Xen host.",
        "[-c|--config] [-n|--numa]", "xm.cmd_host:info",
        options=(Opt("config", "List Xend configuration parameters",
                     short="c", long="config"),
                 Opt("numa", "List host NUMA topology information",
                     short="n", long="numa")),
        methods=("xend.node.info",)),
    Command("log", "host", "Print Xend log", "", "xm.cmd_host:log",
        methods=("xend.node.log",)),
    # -- devices ---------------------------------------------------------
    Command("block-attach", "device", "Create a new virtual block device.",
        "<Domain> <BackDev> <FrontDev> <Mode> [BackDomain]",
        "xm.cmd_devices:block_attach",
        args=(DOM, Arg("backdev"), Arg("frontdev"), Arg("mode"),
              Arg("backdom", optional=True)),
        methods=("xend.domain.device_create",), aliases=("vbd-create",)),
    Command("block-detach", "device", "Destroy a domain's virtual block "
        "device.", "<Domain> <DevId>", "xm.cmd_devices:block_detach",
        args=(DOM, Arg("dev")), options=(FORCE,),
        methods=("xend.domain.destroyDevice",), aliases=("vbd-destroy",)),
    Command("block-list", "device", "List virtual block devices for a "
        "domain.", "<Domain> [--long]", "xm.cmd_devices:block_list",
        args=(DOM,), options=(LONG_DEVICES,),
        methods=("xend.domain.getDeviceSxprs",), aliases=("vbd-list",)),
    Command("network-attach", "device", "Create a new virtual network "
        "device.", "<Domain> [type=<type>] [mac=<mac>] [bridge=<bridge>] "
        "[ip=<ip>] [script=<script>] [backend=<BackDomain>] "
        "[vifname=<name>] [rate=<rate>] [model=<model>][accel=<accel>]",
        "xm.cmd_devices:network_attach",
        args=(DOM, Arg("params", variadic=True)),
        methods=("xend.domain.device_create",)),
    Command("network-detach", "device", "Destroy a domain's virtual network "
        "device.", "<Domain> <DevId|mac>", "xm.cmd_devices:network_detach",
        args=(DOM, Arg("dev")), options=(FORCE,),
        methods=("xend.domain.destroyDevice",)),
    Command("network-list", "device", "List virtual network interfaces for "
        "a domain.", "<Domain> [--long]", "xm.cmd_devices:network_list",
        args=(DOM,), options=(LONG_DEVICES,),
        methods=("xend.domain.getDeviceSxprs",), aliases=("vif-list",)),
    # -- scheduler (plain getopt: options must come first) ----------------
    Command("sched-credit2", "scheduler", "Get/set credit2 scheduler "
        "parameters.", "[-d <Domain> [-w[=WEIGHT]]",
        "xm.cmd_sched:sched_credit2",
        options=(Opt("domain", "Domain to modify", short="d", long="domain",
                     metavar="DOMAIN"),
                 Opt("weight", "Weight (int)", short="w", long="weight",
                     metavar="WEIGHT", parser=int)),
        methods=("xend.node.scheduler", "xend.domain",
                 "xend.domains_with_state", "xend.domain.sched_credit2_get",
                 "xend.domain.sched_credit2_set"), gnu=False),
    Command("sched-credit", "scheduler",
        "Get/set credit scheduler parameters.",
        "[-d <Domain> [-w[=WEIGHT]|-c[=CAP]]]", "xm.cmd_sched:sched_credit",
        options=(Opt("domain", "Domain to modify", short="d", long="domain",
                     metavar="DOMAIN"),
                 Opt("weight", "Weight (int)", short="w", long="weight",
                     metavar="WEIGHT", parser=int),
                 Opt("cap", "Cap (int)", short="c", long="cap",
                     metavar="CAP", parser=int)),
        methods=("xend.node.scheduler", "xend.domain",
                 "xend.domains_with_state", "xend.domain.sched_credit_get",
                 "xend.domain.sched_credit_set"), gnu=False),
    Command("sched-sedf", "scheduler", "Get/set EDF parameters.",
        "<Domain> [options]", "xm.cmd_sched:sched_sedf",
        args=(Arg("dom", optional=True),),
        options=(Opt("period", "Relative deadline(ms)", short="p",
                     long="period", metavar="MS"),
                 Opt("slice", "Worst-case execution time(ms). "
                     "(slice < period)", short="s", long="slice",
                     metavar="MS"),
                 Opt("latency", "Scaled period (ms) when domain performs "
                     "heavy I/O", short="l", long="latency", metavar="MS"),
                 Opt("extratime", "Flag (0 or 1) controls if domain can run "
                     "in extra time.", short="e", long="extratime",
                     metavar="FLAG"),
                 Opt("weight", "CPU Period/slice (do not set with "
                     "--period/--slice)", short="w", long="weight",
                     metavar="FLOAT")),
        methods=("xend.node.scheduler",)),
)

BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}
ALIASES: dict[str, str] = {a: c.name for c in COMMANDS for a in c.aliases}


def lookup(name: str) -> tuple[Command | None, str | None]:
    """4.4's order: exact name, deprecated alias (returned as the second
    item, so the caller can warn), then a unique prefix of >= 2 chars.
    ``help`` is never reached by prefix, as in 4.4."""
    if name in BY_NAME:
        return BY_NAME[name], None
    if name in ALIASES:
        return BY_NAME[ALIASES[name]], name
    if len(name) > 1:
        found = [c for c in COMMANDS
                 if c.name != "help" and c.name.startswith(name)]
        if len(found) == 1:
            return found[0], None
    return None, None


def deprecation_message(alias: str) -> str:
    return (f"Command {alias} is deprecated.  "
            f"Please use xm {ALIASES[alias]} instead.")
