"""The RPC server in-process: dispatch, bad requests, fd passing, peers."""

import asyncio
import logging
import os
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from xend.errors import ConnectionFailed, DomainNotFound, PermissionDenied
from xend.rpc import protocol
from xend.rpc.registry import Registry
from xend.rpc.server import RpcServer
from xm.client import XendClient


class ServerThread:
    def __init__(self, path, registry, allowed_uids=None):
        self.loop = asyncio.new_event_loop()
        self.server = RpcServer(path, registry, ThreadPoolExecutor(4),
                                allowed_uids)
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            self.loop.run_forever()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        started.wait(5)

    def stop(self):
        fut = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        fut.result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def make_registry():
    reg = Registry()
    reg.register("xend.version", lambda: {"version": "t"})

    def record(dom, full):
        raise DomainNotFound(dom)
    reg.register("xend.domain", record)

    def save(dom, checkpoint, path=None, temp=None, image_format="xm", *,
             fds):
        with os.fdopen(fds[0], "wb") as f:
            f.write(f"saved {dom}".encode())
    reg.register("xend.domain.save", save)
    reg.register("xend.node.info", lambda numa_flag: 1 / 0)
    return reg


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "xend.sock")
    srv = ServerThread(path, make_registry())
    yield path
    srv.stop()


def raw_call(path, payload: bytes) -> dict:
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    sock.sendall(len(payload).to_bytes(4, "big") + payload)
    header = sock.recv(4)
    length = int.from_bytes(header, "big")
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    sock.close()
    return protocol.decode_json(body)


def test_socket_mode(server):
    assert os.stat(server).st_mode & 0o777 == 0o600


def test_call_and_errors(server):
    with XendClient(server) as client:
        assert client.call("xend.version") == {"version": "t"}
        with pytest.raises(DomainNotFound, match="Domain 'web1' does not"):
            client.call("xend.domain", "web1")
        # the connection keeps serving after errors
        assert client.call("xend.version") == {"version": "t"}


def test_internal_error_is_one_line(server):
    with XendClient(server) as client:
        with pytest.raises(Exception) as err:
            client.call("xend.node.info")
    assert "ZeroDivisionError" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("payload, code", [
    (b"not json", protocol.PARSE_ERROR),
    (b'{"jsonrpc":"2.0","method":"nope","id":1}', protocol.METHOD_NOT_FOUND),
    (b'{"jsonrpc":"2.0","method":"xend.domain","params":[],"id":1}',
     protocol.INVALID_PARAMS),
    (b'{"jsonrpc":"2.0","method":"xend.domain.save","params":["a"],"id":1}',
     protocol.INVALID_PARAMS),
])
def test_bad_requests(server, payload, code):
    reply = raw_call(server, payload)
    assert reply["error"]["code"] == code


@pytest.mark.parametrize("payload", [
    b"[" * 100_000,
    b'{"jsonrpc":"2.0","method":"xend.domain","params":[' + b"[" * 2000
    + b"]" * 2000 + b'],"id":1}',
])
def test_deep_nesting_is_a_parse_error(server, payload):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    for _ in range(2):          # the connection keeps serving
        sock.sendall(len(payload).to_bytes(4, "big") + payload)
        length = int.from_bytes(sock.recv(4), "big")
        body = b""
        while len(body) < length:
            body += sock.recv(length - len(body))
        reply = protocol.decode_json(body)
        print(reply["error"])
        assert reply["error"]["code"] == protocol.PARSE_ERROR
        assert "nested" in reply["error"]["message"]
    sock.close()


def test_oversized_request_closes_connection(server):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    sock.sendall((protocol.MAX_FRAME + 10).to_bytes(4, "big"))
    length = int.from_bytes(sock.recv(4), "big")
    reply = protocol.decode_json(sock.recv(length))
    assert "too large" in reply["error"]["message"]
    assert sock.recv(10) == b""
    sock.close()
    with XendClient(server) as client:       # the daemon keeps serving
        assert client.call("xend.version") == {"version": "t"}


def test_fd_passing(server, tmp_path):
    target = tmp_path / "out.img"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    with XendClient(server) as client:
        client.call("xend.domain.save", "web1", False, fds=[fd])
    os.close(fd)
    assert target.read_bytes() == b"saved web1"


def _send_with_fd(sock, payload: bytes, fd: int) -> dict:
    data = len(payload).to_bytes(4, "big") + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", fd))]
    sent = sock.sendmsg([data[:1]], anc)
    sock.sendall(data[sent:])
    length = int.from_bytes(sock.recv(4), "big")
    body = b""
    while len(body) < length:
        body += sock.recv(length - len(body))
    return protocol.decode_json(body)


@pytest.mark.parametrize("refused", [
    b"not json",
    b'{"jsonrpc":"1.0","method":"xend.domain.save","params":["a"],"id":1}',
    b'{"jsonrpc":"2.0","method":"xend.domain.save","params":["a"],'
    b'"id":1,"fds":"one"}',
])
def test_fds_of_a_refused_request_are_closed(server, tmp_path, refused):
    """A descriptor sent with a request refused before it took it is
    closed, never handed to the next request on the connection."""
    stale = tmp_path / "stale.img"
    fd = os.open(stale, os.O_WRONLY | os.O_CREAT, 0o600)
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    try:
        first = _send_with_fd(sock, refused, fd)
        assert "error" in first
        # names a descriptor but sends none: it must not get the stale one
        save = b'{"jsonrpc":"2.0","method":"xend.domain.save",' \
            b'"params":["web1"],"id":2,"fds":1}'
        sock.sendall(len(save).to_bytes(4, "big") + save)
        length = int.from_bytes(sock.recv(4), "big")
        second = protocol.decode_json(sock.recv(length))
        # server and test share this process: only our own copy is open
        holders = [n for n in os.listdir("/proc/self/fd")
                   if _fd_path(n) == str(stale)]
    finally:
        sock.close()
        os.close(fd)
    print(first["error"]["message"], "/", second["error"]["message"])
    assert second["error"]["code"] == protocol.INVALID_PARAMS
    assert "got 0" in second["error"]["message"]
    assert stale.read_bytes() == b""
    assert holders == [str(fd)]


def _fd_path(name: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{name}")
    except OSError:
        return ""


def test_peer_uid_refused(tmp_path):
    path = str(tmp_path / "x.sock")
    srv = ServerThread(path, make_registry(), allowed_uids=set())
    try:
        with XendClient(path) as client:
            with pytest.raises(PermissionDenied):
                client.call("xend.version")
    finally:
        srv.stop()


def test_not_running(tmp_path):
    with pytest.raises(ConnectionFailed, match="Is xend running"):
        XendClient(str(tmp_path / "none.sock")).call("xend.version")


def test_passwords_stay_out_of_the_log(tmp_path, caplog):
    """Both the per-request debug line and an internal error's record."""
    reg = make_registry()

    def create(config, paused):
        raise RuntimeError("boom")
    reg.register("xend.domain.create", create)
    path = str(tmp_path / "x.sock")
    srv = ServerThread(path, reg)
    caplog.set_level(logging.DEBUG, logger="xend.rpc")
    try:
        with XendClient(path) as client:
            with pytest.raises(Exception, match="boom"):
                client.call("xend.domain.create",
                            {"name": "v", "platform": {"vncpasswd": "hunter2"},
                             "vfbs": [{"vncpasswd": "s3cret"}]}, False)
    finally:
        srv.stop()
    text = caplog.text
    assert "xend.domain.create" in text and "internal error" in text
    assert "hunter2" not in text and "s3cret" not in text


def test_handlers_run_off_the_loop_and_late_results_are_dropped(tmp_path):
    """A handler runs in the executor, never on the loop's thread; its
    result, or its exception, reaches the waiting request; one that
    finishes after its request was cancelled (xend stopping) is dropped
    without an error."""
    server = RpcServer(str(tmp_path / "s"), Registry(), ThreadPoolExecutor(2))
    release, started = threading.Event(), threading.Event()
    threads = []

    def slow():
        threads.append(threading.get_ident())
        started.set()
        release.wait(5)
        return "late"

    def fail():
        raise DomainNotFound("gone")

    async def scenario():
        loop_thread = threading.get_ident()
        assert await server._in_executor(lambda x: x * 2, [21], {}) == 42
        with pytest.raises(DomainNotFound):
            await server._in_executor(fail, [], {})
        errors = []
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, ctx: errors.append(ctx))
        task = asyncio.ensure_future(server._in_executor(slow, [], {}))
        await asyncio.get_running_loop().run_in_executor(None, started.wait,
                                                         5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()                  # the handler finishes after all
        server.executor.shutdown(wait=True)   # its completion is queued
        await asyncio.sleep(0)         # ... and has run before this resumes
        print("handler thread", threads, "loop thread", loop_thread,
              "errors", errors)
        assert threads[0] != loop_thread and errors == []

    asyncio.run(scenario())
