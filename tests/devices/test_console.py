"""xm console's relay and the simulator's console guest, on real ptys."""

from __future__ import annotations

import os
import select
import termios
import threading
import time
from pathlib import Path

import pytest

from xend.hv.sim import SimHypervisor
from xend.hv.sim.console import _Console, guest_reply
from xm.cmd_console import attach, relay
from tests.bootfiles import KERNEL
from tests.e2e.ptyio import read_until


def test_guest_echoes_keys_and_answers_lines():
    con = _Console(-1, -1, "/dev/null", b"vm login: ")
    assert guest_reply(con, b"ab") == b"ab"
    assert guest_reply(con, b"\x7fc") == b"\b \bc"
    assert guest_reply(con, b"\r") == b"\r\nac\r\nvm login: "
    assert guest_reply(con, b"\n") == b"\r\nvm login: "


def test_sim_console_is_an_interactive_pty(tmp_path: Path):
    sim = SimHypervisor(state_dir=str(tmp_path))
    try:
        domid = sim.create({"c_info": {"type": "pv", "name": "vm1"},
                            "b_info": {"type.pv": {}, "max_memkb": 65536,
                                       "target_memkb": 65536,
                                       "max_vcpus": 1, "avail_vcpus": [0],
                                       "kernel": KERNEL}})
        sim.unpause(domid)
        fd = os.open(sim.console_path(domid), os.O_RDWR | os.O_NOCTTY)
        try:
            banner = read_until(fd, b"vm1 login: ")
            assert b"Linux version" in banner and b"\r\n" in banner
            os.write(fd, b"root\r")
            read_until(fd, b"root\r\nroot\r\nvm1 login: ")
            sim.destroy(domid)
            # the console goes away with the domain: the guest end reads
            # end-of-file or fails (EIO), depending on who closes first
            ended = False
            deadline = time.monotonic() + 5
            while not ended and time.monotonic() < deadline:
                if not select.select([fd], [], [], 0.1)[0]:
                    continue
                try:
                    ended = os.read(fd, 4096) == b""
                except OSError:
                    ended = True
            assert ended
        finally:
            os.close(fd)
    finally:
        sim.close()


@pytest.fixture
def console():
    """(guest_fd, client_fd): a pty whose master plays the guest."""
    guest, client = os.openpty()
    yield guest, client
    for fd in (guest, client):
        try:
            os.close(fd)
        except OSError:
            pass


def run_relay(client: int, **kw):
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    thread = threading.Thread(target=relay, args=(client, in_r, out_w),
                              kwargs=kw, daemon=True)
    thread.start()
    return thread, in_w, out_r, (in_r, in_w, out_r, out_w)


def close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def test_relay_both_ways_until_ctrl_bracket(console):
    guest, client = console
    import tty
    tty.setraw(client)
    thread, in_w, out_r, fds = run_relay(client)
    try:
        os.write(guest, b"login: ")
        assert read_until(out_r, b"login: ") == b"login: "
        os.write(in_w, b"root\r\x1dnot sent")
        thread.join(5)
        assert not thread.is_alive()
        assert read_until(guest, b"root\r") == b"root\r"
    finally:
        close_all(fds)


def test_relay_ends_after_input_eof_and_quiet_output(console):
    guest, client = console
    thread, in_w, out_r, fds = run_relay(client, linger=0.3)
    try:
        os.write(guest, b"banner\r\n")
        os.close(in_w)
        os.write(guest, b"answer\r\n")
        thread.join(5)
        assert not thread.is_alive()
        assert b"answer" in os.read(out_r, 4096)
    finally:
        close_all(fds)


def test_relay_ends_when_the_console_goes_away(console):
    guest, client = console
    thread, in_w, out_r, fds = run_relay(client)
    try:
        os.close(guest)
        thread.join(5)
        assert not thread.is_alive()
    finally:
        close_all(fds)


def test_attach_puts_the_terminal_in_raw_mode_and_restores_it(console):
    guest, client = console
    term_master, term_slave = os.openpty()
    before = termios.tcgetattr(term_slave)
    out_r, out_w = os.pipe()
    seen: list[list] = []

    def guest_side() -> None:
        read_until(guest, b"x")         # the client's first key...
        seen.append(termios.tcgetattr(term_slave))
        os.write(term_master, b"\x1d")  # ...then Ctrl-]

    helper = threading.Thread(target=guest_side, daemon=True)
    helper.start()
    try:
        os.write(term_master, b"x")
        attach(os.ttyname(client), in_fd=term_slave, out_fd=out_w)
        helper.join(5)
        assert seen and not seen[0][3] & termios.ECHO     # raw meanwhile
        assert termios.tcgetattr(term_slave) == before    # restored
    finally:
        close_all((term_master, term_slave, out_r, out_w))


def test_attach_to_a_missing_pty_is_an_error(tmp_path: Path):
    from xm.errors import XmFailure
    with pytest.raises(XmFailure, match="Cannot open the console"):
        attach(str(tmp_path / "no-pty"), in_fd=0, out_fd=1)
