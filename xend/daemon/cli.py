"""The ``xend`` command: start | stop | restart | status | reload | foreground.

``start`` daemonises (setsid, double fork) and waits until the daemon reports
that it serves (exit 0) or why it could not start (one ``Error:`` line, exit
1).  ``status`` exits 0 when the pid in the pid file is a live xend, else 3.
``stop`` sends SIGTERM and waits for the process to go; ``reload`` sends
SIGHUP.  ``$XEND_CONFIG`` names the config file.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import TYPE_CHECKING, NoReturn

from xend.errors import XendError

if TYPE_CHECKING:
    from xend.daemon.config import XendConfig

# The commands, for the usage line and xend(8).
ACTIONS: tuple[tuple[str, str], ...] = (
    ("start", "Start xend in the background.  Returns once it serves "
     "(exit 0), or with one Error: line saying why it could not (exit 1).  "
     "An xend already running is left alone."),
    ("stop", "Stop xend (SIGTERM) and wait until it has gone.  Domains "
     "keep running."),
    ("restart", "stop, then start; domains keep running."),
    ("status", "Exit 0 if xend runs (and say where its relocation server "
     "listens), 3 if it does not, 4 if its config cannot be read."),
    ("reload", "Make xend re-read its config file (SIGHUP): the settings "
     "that can change live, such as the log level."),
    ("foreground", "Run xend in the foreground, without detaching (for "
     "debugging, or a service manager)."),
)
USAGE = "Usage: xend {" + "|".join(name for name, _ in ACTIONS) + "}"
STOP_TIMEOUT = 60.0


def _die(message: str, code: int = 1) -> NoReturn:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(code)


def read_pid(pid_file: str, rpc_socket: str | None = None) -> int | None:
    """The pid of a live xend named by the pid file, else None.

    Without a pid file (xend could not write it: a full disk) and given
    ``rpc_socket``, the pid of the process serving that socket."""
    pid: int | None
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        pid = _socket_pid(rpc_socket) if rpc_socket else None
        if pid is None:
            return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return None
    return pid if b"xend" in cmdline else None


def _socket_pid(path: str) -> int | None:
    """The pid of the process listening on a Unix socket (SO_PEERCRED)."""
    import socket
    import struct
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(2.0)
        sock.connect(path)
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                              struct.calcsize("3i"))
    except OSError:
        return None
    finally:
        sock.close()
    pid = int(struct.unpack("3i", raw)[0])
    return pid if pid > 0 else None


def _write_pid(pid_file: str) -> str | None:
    """Write the pid file; a warning (not a failure) if the disk is full."""
    from xend.domains.atomicfile import write_atomic
    try:
        os.makedirs(os.path.dirname(pid_file) or ".", exist_ok=True)
        write_atomic(pid_file, f"{os.getpid()}\n".encode(), 0o644)
    except (OSError, XendError) as exc:
        # Freeing space must stay possible: xend starts anyway, and
        # stop/status/reload find it through its socket.
        return (f"cannot write the pid file ({exc}); xend stop finds "
                "xend through its socket")
    return None


def _remove_pid(pid_file: str) -> None:
    try:
        if read_pid(pid_file) in (None, os.getpid()):
            os.unlink(pid_file)
    except OSError:
        pass


def _check_user(hypervisor: str) -> None:
    if os.geteuid() != 0 and hypervisor != "sim":
        _die("xend must be run as root")


def _run(config_path: str | None, foreground: bool,
         notify_fd: int | None) -> int:
    """Run the daemon in this process; report readiness on ``notify_fd``."""
    from xend.daemon.config import load_config
    from xend.daemon.logs import setup_logging
    from xend.daemon.main import serve

    warnings: list[str] = []

    def report(text: str) -> None:
        if text == "ok" and warnings:
            text = "ok " + "; ".join(warnings)
        if notify_fd is not None:
            try:
                os.write(notify_fd, text.encode() + b"\n")
                os.close(notify_fd)
            except OSError:
                pass

    try:
        config = load_config(config_path)
        _check_user(config.hypervisor)
        if read_pid(config.pid_file) not in (None, os.getpid()):
            raise XendError(f"xend is already running (pid file "
                            f"{config.pid_file})")
        setup_logging(config.logfile, config.loglevel, foreground)
        warning = _write_pid(config.pid_file)
        if warning is not None:
            import logging
            logging.getLogger("xend").warning("%s", warning)
            warnings.append(warning)
            if notify_fd is None:
                print(f"Warning: {warning}", file=sys.stderr)
    except XendError as exc:
        report(f"error {exc}")
        if notify_fd is None:
            _die(str(exc))
        return 1
    try:
        serve(config, foreground, ready=lambda: report("ok"))
    except XendError as exc:
        import logging
        logging.getLogger("xend").error("xend failed: %s", exc)
        report(f"error {exc}")
        if notify_fd is None:
            _die(str(exc))
        return 1
    finally:
        _remove_pid(config.pid_file)
    return 0


def _config(error_code: int = 1) -> "XendConfig":
    """xend's config, or one Error line and ``error_code``."""
    from xend.daemon.config import load_config
    try:
        return load_config()
    except XendError as exc:
        _die(str(exc), error_code)


def start() -> int:
    config = _config()
    _check_user(config.hypervisor)
    pid = read_pid(config.pid_file, config.rpc_socket)
    if pid is not None:
        print(f"xend is already running (pid {pid})")
        return 0
    rfd, wfd = os.pipe()
    if os.fork() > 0:                      # the starting command
        os.close(wfd)
        with os.fdopen(rfd, "rb") as pipe:
            answer = pipe.readline().decode().strip()
        if answer == "ok" or answer.startswith("ok "):
            if answer[3:]:
                print(f"Warning: {answer[3:]}", file=sys.stderr)
            return 0
        _die(answer[len("error "):] if answer.startswith("error ")
             else "xend exited during start-up; see its log")
    os.close(rfd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    os.chdir("/")
    code = 1
    try:
        code = _run(None, False, wfd)
    finally:
        os._exit(code)


def stop() -> int:
    config = _config()
    pid = read_pid(config.pid_file, config.rpc_socket)
    if pid is None:
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return 0
    except PermissionError:
        _die("xend must be stopped by root")
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if read_pid(config.pid_file, config.rpc_socket) != pid and \
                not _alive(pid):
            return 0
        time.sleep(0.05)
    _die(f"xend (pid {pid}) did not stop within {STOP_TIMEOUT:.0f} s")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return False


def status() -> int:
    """0 running, 3 not running, 4 unknown (the config is unreadable), as
    LSB init scripts expect."""
    config = _config(4)
    pid = read_pid(config.pid_file, config.rpc_socket)
    if pid is None:
        return 3
    print(f"xend is running (pid {pid})")
    for line in _relocation_lines(config.rpc_socket):
        print(line)
    return 0


def _relocation_lines(socket_path: str) -> list[str]:
    """Where the running xend's relocation server listens (it says)."""
    import socket as socketlib

    from xend.rpc import protocol

    def recv_exact(sock: socketlib.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("xend closed the connection")
            data += chunk
        return data
    try:
        with socketlib.socket(socketlib.AF_UNIX) as sock:
            sock.settimeout(5.0)
            sock.connect(socket_path)
            sock.sendall(protocol.encode_request("xend.version", [], 1))
            length = protocol.frame_length(
                recv_exact(sock, protocol.HEADER.size), protocol.MAX_REPLY)
            reply = protocol.decode_json(recv_exact(sock, length))
    except (OSError, protocol.FrameError):
        return []
    version = reply.get("result") if isinstance(reply, dict) else None
    lines = version.get("relocation") if isinstance(version, dict) else None
    return [str(x) for x in lines] if isinstance(lines, list) else []


def reload() -> int:
    config = _config()
    pid = read_pid(config.pid_file, config.rpc_socket)
    if pid is None:
        _die("xend is not running", 3)
    os.kill(pid, signal.SIGHUP)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stderr if len(args) != 1 else sys.stdout)
        return 0 if args and args[0] in ("-h", "--help", "help") else 1
    command = args[0]
    try:
        if command == "start":
            return start()
        if command == "stop":
            return stop()
        if command == "restart":
            stop()
            return start()
        if command == "status":
            return status()
        if command == "reload":
            return reload()
        if command in ("foreground", "-f", "--foreground"):
            return _run(None, True, None)
    except KeyboardInterrupt:
        return 1
    print(f"Error: unknown command '{command}'\n{USAGE}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
