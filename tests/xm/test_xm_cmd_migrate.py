"""xm migrate, migrate --xl and migrate-receive: 4.4's options become the
RPC's parameters; the progress line shows what xend reports."""

from __future__ import annotations

import io

from xend.errors import XendError
from xm.cmd_migrate import MigrationProgress, xl_rune


def test_options_map_to_4_4_parameters(xm, fake):
    fake.answers["xend.domain.migrate"] = None
    r = xm("migrate", "-l", "-p", "8102", "-n", "1", "-s", "-c", "web1",
           "host2")
    assert (r.status, r.out, r.err) == (0, "", "")
    assert fake.calls[-1][:2] == ("xend.domain.migrate",
                                  ("web1", "host2", True, 8102, 1, True, True))
    xm("migrate", "--live", "--port=0", "web1", "host2")
    assert fake.calls[-1][1] == ("web1", "host2", True, 0, -1, None, False)
    xm("migrate", "web1", "host2")
    assert fake.calls[-1][1] == ("web1", "host2", False, 0, -1, None, False)


def test_bad_arguments_are_one_line_errors(xm, fake):
    for args in (["-p", "70000", "web1", "h"], ["-p", "x", "web1", "h"],
                 ["-n", "-5", "web1", "h"], ["web1"]):
        r = xm("migrate", *args)
        assert r.status != 0 and r.err.startswith("Error"), (args, r.err)
        assert "Traceback" not in r.err
    assert not [c for c in fake.calls if c[0] == "xend.domain.migrate"]


def test_a_refusal_is_one_line_without_usage(xm, fake):
    fake.answers["xend.domain.migrate"] = XendError(
        "not enough memory for web1: it needs 512 MiB, 100 MiB are free "
        "(from host2)")
    r = xm("migrate", "web1", "host2")
    assert r.status == 1
    assert r.err == ("Error: not enough memory for web1: it needs 512 MiB, "
                     "100 MiB are free (from host2)\n")


def test_xl_variant_has_its_own_s(xm, fake):
    """--xl makes -s the transport command; xm runs it and hands xend its
    pipes (two descriptors)."""
    fake.answers["xend.domain.migrate_send_xl"] = None
    r = xm("migrate", "--xl", "-s", "", "web1", "true")
    assert r.status == 0, r.err
    method, params, fds = fake.calls[-1]
    assert (method, params) == ("xend.domain.migrate_send_xl",
                                ("web1", True))
    assert fds is not None and len(fds) == 2


def test_xl_rune_as_xl_builds_it():
    assert xl_rune("host3", None) == "exec ssh host3 xl migrate-receive"
    assert xl_rune("host3", "ssh -p 22") == \
        "exec ssh -p 22 host3 xl migrate-receive"
    assert xl_rune("sh -c 'xl migrate-receive'", "") == \
        "sh -c 'xl migrate-receive'"
    assert xl_rune("a b", "ssh") == "exec ssh 'a b' xl migrate-receive"


def test_progress_line_shows_bytes_rate_round_and_dirty_pages():
    clock = iter([0.0, 3.0, 3.0]).__next__
    out = io.StringIO()
    p = MigrationProgress("Migrating web1 to host2 ...", out, False, 0.2,
                          clock)
    p._start = 0.0
    assert p.render().startswith("Migrating web1 to host2 ... | ")
    p.update({"phase": "sending", "image_sent": 3 << 20,
              "rate": 1 << 20, "iteration": 2, "dirty": 64})
    assert p.render().endswith("(3.0 MiB sent, 1.0 MiB/s, iteration 2, "
                               "64 dirty pages)")
    p.update({"phase": "restoring", "image_sent": 4 << 20})
    assert "destination restoring" in p.render()
