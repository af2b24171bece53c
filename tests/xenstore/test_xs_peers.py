"""Real clients against the embedded xenstored: Xen's test-xenstore, the
xenstore-utils tools, and pyxs itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from xenstore.server import EmbeddedXenstored

from xs_harness import TEST_XENSTORE


def tool(name: str) -> str:
    # The versioned directory first: /usr/bin/xenstore-control is Debian's
    # wrapper, which refuses to run without a hypervisor.
    for candidate in (f"/usr/lib/xen-4.17/bin/{name}",
                      shutil.which(name)):
        if candidate and os.path.exists(candidate):
            return candidate
    pytest.skip(f"{name} not installed (xenstore-utils)")


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool(argv[0]), *argv[1:]], env=env,
                          capture_output=True, text=True, timeout=20)


def test_xen_test_xenstore_suite_passes(tool_env: dict[str, str]) -> None:
    if not os.path.exists(TEST_XENSTORE):
        pytest.skip("test-xenstore not installed (xen-utils-4.17)")
    listing = subprocess.run([TEST_XENSTORE, "-l"], capture_output=True,
                             text=True, timeout=20)
    assert "ta err" in listing.stdout
    done = subprocess.run([TEST_XENSTORE, "-i", "5"], env=tool_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # Every listed test reported a timing line, none an error.
    assert done.stdout.count("avg:") == len(listing.stdout.splitlines())
    random_run = subprocess.run([TEST_XENSTORE, "-r", "1"], env=tool_env,
                                capture_output=True, text=True, timeout=60)
    assert random_run.returncode == 0, random_run.stdout + random_run.stderr


def test_write_read_ls_rm_chmod(tool_env: dict[str, str]) -> None:
    assert run(tool_env, "xenstore-write", "/vm/u1/name", "web1",
               "/vm/u1/empty", "").returncode == 0
    read = run(tool_env, "xenstore-read", "/vm/u1/name", "/vm/u1/empty")
    assert read.returncode == 0 and read.stdout == "web1\n\n"
    missing = run(tool_env, "xenstore-read", "/vm/u1/nothing")
    assert missing.returncode == 1
    assert "couldn't read path" in missing.stderr
    assert run(tool_env, "xenstore-chmod", "/vm/u1/name", "n0",
               "r5").returncode == 0
    ls = run(tool_env, "xenstore-ls", "-p", "/vm")
    assert ls.returncode == 0
    lines = ls.stdout.splitlines()
    assert lines[0].startswith("u1 = \"\"") and lines[0].endswith("(n0)")
    assert any(line.startswith(' name = "web1"') and
               line.endswith("(n0,r5)") for line in lines), lines
    full = run(tool_env, "xenstore-ls", "-f", "/vm")
    assert full.stdout.splitlines() == ['/vm/u1 = ""',
                                        '/vm/u1/name = "web1"',
                                        '/vm/u1/empty = ""']
    assert run(tool_env, "xenstore-exists", "/vm/u1").returncode == 0
    assert run(tool_env, "xenstore-list", "/vm/u1").stdout == "name\nempty\n"
    assert run(tool_env, "xenstore-rm", "/vm/u1").returncode == 0
    assert run(tool_env, "xenstore-exists", "/vm/u1").returncode == 1


def test_xenstore_watch_reports_changes(tool_env: dict[str, str],
                                        embedded: EmbeddedXenstored) -> None:
    proc = subprocess.Popen([tool("xenstore-watch"), "-n", "3", "/watched"],
                            env=tool_env, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)         # let it register before we write
        run(tool_env, "xenstore-write", "/watched/a", "1")
        run(tool_env, "xenstore-rm", "/watched")
        out, _ = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert out.splitlines() == ["/watched", "/watched/a", "/watched"]


def test_xenstore_control(tool_env: dict[str, str]) -> None:
    quota = run(tool_env, "xenstore-control", "quota")
    assert quota.returncode == 0, quota.stderr
    assert "nodes" in quota.stdout and "1000" in quota.stdout


def test_pyxs_client_against_embedded(embedded: EmbeddedXenstored) -> None:
    from pyxs import Client
    with Client(unix_socket_path=embedded.socket_path) as c:
        c.write(b"/px/a", b"1")
        assert c.read(b"/px/a") == b"1"
        assert c.list(b"/px") == [b"a"]
        assert c.get_perms(b"/px/a") == [b"n0"]
        c.set_perms(b"/px/a", [b"n0", b"r3"])
        assert c.get_perms(b"/px/a") == [b"n0", b"r3"]
        c.transaction()
        c.write(b"/px/b", b"2")
        assert c.commit() is True
        assert c.get_domain_path(4) == b"/local/domain/4"
        with c.monitor() as m:
            m.watch(b"/px", b"tok")
            events = m.wait()
            first = next(events)
            assert (first.path, first.token) == (b"/px", b"tok")
            c.write(b"/px/c", b"3")
            second = next(events)
            assert second.path == b"/px/c"
        c.delete(b"/px")
        assert not c.exists(b"/px")
