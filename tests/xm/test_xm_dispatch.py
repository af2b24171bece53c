"""Dispatcher behaviour (xm-compat §1.1): help, lookup, arity, errors."""

from __future__ import annotations

import pytest

from xend.errors import (ConfigError, ConnectionFailed, DomainNotFound,
                         InvalidState, ProtocolError)


def test_no_arguments_prints_short_help_and_exits_1(xm):
    r = xm()
    assert r.status == 1
    assert r.out.startswith("Usage: xm <subcommand> [args]\n\n"
                            "Control, list, and manipulate Xen guest "
                            "instances.\n\nCommon 'xm' commands:\n\n")
    assert " %-20s %-50s\n" % ("list", "List information about all/some "
                                "domains.") in r.out
    assert "vcpu-list" not in r.out           # not essential
    assert r.out.endswith("For a complete list of subcommands run "
                          "'xm help'.\n")


@pytest.mark.parametrize("args", [["help"], ["help", "create"], ["-h"],
                                  ["--help"], ["--help", "list"]])
def test_long_help_exits_0(xm, args):
    r = xm(*args)
    assert r.status == 0
    assert "xm full list of subcommands:\n\n" in r.out
    assert " vcpu-list            List the VCPUs for all/some domains." in r.out
    # help itself is not listed in the long help (as in 4.4)
    assert "\n help " not in r.out
    # groups in 4.4 order: domain, host, scheduler
    assert r.out.index(" vcpu-set") < r.out.index(" dmesg") \
        < r.out.index(" sched-credit2") < r.out.index(" sched-credit ")


def test_wrapped_description_continues_at_column_22(xm):
    r = xm()
    assert (" vcpu-set             Set the number of active VCPUs allowed "
            "for the    \n" + " " * 22 + "domain.\n") in r.out


@pytest.mark.parametrize("args", [["list", "-h"], ["list", "--help"],
                                  ["li", "-h"], ["shutdown", "guest1", "-h"]])
def test_command_help_exits_1(xm, args, fake):
    r = xm(*args)
    assert r.status == 1
    assert r.out.split("\n")[0].startswith(f"Usage: xm {r.out.split()[2]} ")
    assert fake.calls == []


def test_command_help_layout(xm):
    r = xm("sched-credit", "-h")
    assert r.out == (
        "Usage: xm sched-credit [-d <Domain> [-w[=WEIGHT]|-c[=CAP]]]\n"
        "\n"
        "Get/set credit scheduler parameters.\n"
        + "  %-30s %-43s\n" % ("-d DOMAIN, --domain=DOMAIN", "Domain to modify")
        + "  %-30s %-43s\n" % ("-w WEIGHT, --weight=WEIGHT", "Weight (int)")
        + "  %-30s %-43s\n" % ("-c CAP, --cap=CAP", "Cap (int)")
        + "\n")


def test_command_help_without_options(xm):
    r = xm("destroy", "--help")
    assert r.out == ("Usage: xm destroy <Domain>\n\n"
                     "Terminate a domain immediately.\n")


def test_unknown_subcommand(xm):
    r = xm("frobnicate")
    assert r.status == 1
    assert r.err.startswith("Error: Subcommand frobnicate not found!\n"
                            "Usage: xm <subcommand> [args]\n")


@pytest.mark.parametrize("name", ["l", "re", "-x"])
def test_ambiguous_or_one_letter_prefix_is_not_found(xm, name):
    r = xm(name)
    assert r.status == 1
    assert f"Error: Subcommand {name} not found!" in r.err


def test_prefix_runs_the_command(xm, fake):
    r = xm("li")
    assert r.status == 0
    assert r.out.startswith("Name ")
    assert fake.methods() == ["xend.domains_with_state"]


def test_alias_prints_deprecation_on_stderr_and_runs(xm, fake):
    r = xm("balloon", "guest1", "256")
    assert r.status == 0
    assert r.err == ("Command balloon is deprecated.  Please use xm mem-set "
                     "instead.\n")
    assert fake.calls == [("xend.domain.setMemoryTarget", ("guest1", 256),
                           None)]


@pytest.mark.parametrize("args,message", [
    (["mem-set", "guest1"], "Error: 'xm mem-set' requires 2 arguments.\n\n"),
    (["destroy"], "Error: 'xm destroy' requires 1 argument.\n\n"),
    (["destroy", "a", "b"], "Error: 'xm destroy' requires 1 argument.\n\n"),
    (["trigger", "a"],
     "Error: 'xm trigger' requires between 2 and 3 arguments.\n\n"),
    (["info", "x"], "Error: 'xm info' requires 0 arguments.\n\n"),
])
def test_arity_errors(xm, fake, args, message):
    r = xm(*args)
    assert r.status == 1
    assert r.err.startswith(message + f"Usage: xm {args[0]} ")
    assert fake.calls == []


@pytest.mark.parametrize("args,message", [
    (["list", "-x"], "Error: option -x not recognized\n"),
    (["list", "--bogus"], "Error: option --bogus not recognized\n"),
    (["list", "--long=1"], "Error: option --long must not have an argument\n"),
    (["list", "--state"], "Error: option --state requires argument\n"),
    (["sched-credit", "-d"], "Error: option -d requires argument\n"),
    (["create", "--p", "x"], "Error: option --p not a unique prefix\n"),
])
def test_getopt_errors(xm, fake, args, message):
    r = xm(*args)
    assert r.status == 1
    assert r.err.startswith(message + "Usage: xm ")
    assert fake.calls == []


def test_options_may_follow_positionals(xm, fake):
    assert xm("list", "guest1", "-l").status == 0
    assert fake.calls == [("xend.domain", ("guest1", True), None)]


def test_unique_long_prefix(xm, fake):
    xm("list", "--lo")
    xm("list", "--st=running")
    assert fake.calls == [
        ("xend.domains_with_state", (True, "all", True), None),
        ("xend.domains_with_state", (True, "running", False), None)]


def test_sched_credit_options_must_come_first(xm, fake):
    fake.answers["xend.node.scheduler"] = "credit"
    r = xm("sched-credit", "guest1", "-d", "guest1")
    assert r.status == 1
    assert "requires 0 arguments" in r.err


def test_double_dash_ends_options(xm, fake):
    fake.domains[1]["name"] = "-odd"
    assert xm("destroy", "--", "-odd").status == 0
    assert fake.calls[-1] == ("xend.domain.destroy", ("-odd",), None)


def test_domain_not_found_exits_3_without_usage(xm):
    r = xm("destroy", "nosuch")
    assert r.status == 3
    assert r.err == "Error: Domain 'nosuch' does not exist.\n"


def test_domain_not_found_from_wire_message(xm, fake):
    from xend.errors import from_wire
    fake.answers["xend.domain.pause"] = from_wire(
        DomainNotFound("web1").to_wire())
    r = xm("pause", "web1")
    assert (r.status, r.err) == (3, "Error: Domain 'web1' does not exist.\n")


def test_xend_error_prints_message_and_usage(xm, fake):
    fake.answers["xend.domain.destroy"] = InvalidState("Domain is not running")
    r = xm("destroy", "guest1")
    assert r.status == 1
    assert r.err == ("Error: Domain is not running\n"
                     "Usage: xm destroy <Domain>\n\n"
                     "Terminate a domain immediately.\n")


def test_connection_failed(xm, fake):
    fake.answers["xend.domain.destroy"] = ConnectionFailed(
        "Unable to connect to xend: No such file or directory. "
        "Is xend running?")
    r = xm("destroy", "guest1")
    assert r.status == 1
    assert r.err == ("Error: Unable to connect to xend: No such file or "
                     "directory. Is xend running?\n")


def test_protocol_error_has_no_error_prefix(xm, fake):
    fake.answers["xend.domain.destroy"] = ProtocolError(
        "Xend has probably crashed!  Invalid reply.")
    r = xm("destroy", "guest1")
    assert (r.status, r.err) == (1, "Xend has probably crashed!  "
                                    "Invalid reply.\n")


def test_config_error_has_no_usage(xm, fake):
    fake.answers["xend.domain.destroy"] = ConfigError("bad config")
    assert xm("destroy", "guest1").err == "Error: bad config\n"


def test_keyboard_interrupt(xm, fake):
    fake.answers["xend.domain.destroy"] = KeyboardInterrupt()
    r = xm("destroy", "guest1")
    assert r.status == 1
    assert "Interrupted." in r.err


def test_unexpected_exception_is_one_line(xm, fake):
    fake.answers["xend.domain.destroy"] = RuntimeError("boom")
    r = xm("destroy", "guest1")
    assert r.status == 1
    assert r.err == "Error: unexpected error: RuntimeError: boom\n"


def test_undeclared_rpc_method_is_refused(xm, fake):
    from xm import cmd_domain
    from xm.context import XmContext
    ctx = XmContext(client_factory=lambda: fake)
    ctx.allowed_methods = ("xend.domain.pause",)
    with pytest.raises(Exception, match="not in the command table"):
        cmd_domain.destroy(ctx, "guest1")
    assert fake.calls == []


def test_client_is_closed(xm, fake):
    xm("destroy", "guest1")
    assert fake.closed


def test_protocol_error_reported_by_xend_has_the_prefix(xm, fake):
    fake.answers["xend.domain.destroy"] = ProtocolError("message too large")
    assert xm("destroy", "guest1").err == "Error: message too large\n"
