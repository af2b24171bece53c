"""xend's JSON-RPC server on a Unix socket (asyncio, one event loop).

The socket is created mode 0600; each connection's peer credentials
(SO_PEERCRED) are checked against the allowed uids (root and xend's own
user).  Requests on one connection are answered in order; handlers run in a
bounded executor so a long save never blocks ``xm list`` on another
connection.  A malformed request gets a JSON-RPC error and the connection
keeps serving; an oversized one gets an error and the connection is closed.
Descriptors passed with SCM_RIGHTS are handed to the handlers that declare
them and closed otherwise.
"""

from __future__ import annotations

import array
import asyncio
import logging
import os
import socket
import stat
import struct
import time
from concurrent.futures import Executor
from typing import Any, Callable

from xend.errors import PermissionDenied, XendError
from xend.rpc import protocol
from xend.rpc.redact import redact
from xend.rpc.registry import Registry

log = logging.getLogger("xend.rpc")

_CRED = struct.Struct("3i")
_RECV_SIZE = 65536
PROGRESS_INTERVAL = 0.25


class ConnectionClosed(Exception):
    pass


class RpcServer:
    def __init__(self, path: str, registry: Registry, executor: Executor,
                 allowed_uids: set[int] | None = None) -> None:
        self.path = path
        self.registry = registry
        self.executor = executor
        self.allowed_uids = allowed_uids if allowed_uids is not None \
            else {0, os.getuid()}
        self._sock: socket.socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- listening -------------------------------------------------------------
    def _prepare_path(self) -> None:
        os.makedirs(os.path.dirname(self.path) or ".", mode=0o755,
                    exist_ok=True)
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise XendError(f"{self.path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except OSError:
            os.unlink(self.path)      # stale socket of a dead xend
        else:
            raise XendError(f"another xend is serving on {self.path}")
        finally:
            probe.close()

    async def start(self) -> None:
        self._prepare_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(self.path)
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(64)
        sock.setblocking(False)
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._accept)
        log.info("serving JSON-RPC on %s", self.path)

    def _accept(self) -> None:
        assert self._sock is not None
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.error("accept failed: %s", exc)
            return
        conn.setblocking(False)
        task = asyncio.get_running_loop().create_task(self._serve(conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
            try:
                os.unlink(self.path)
            except OSError:
                pass
        for task in list(self._tasks):
            task.cancel()

    # -- one connection ----------------------------------------------------------
    def _peer_uid(self, conn: socket.socket) -> int:
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                              _CRED.size)
        _pid, uid, _gid = _CRED.unpack(raw)
        return int(uid)

    async def _serve(self, conn: socket.socket) -> None:
        reader = _FrameReader(conn)
        try:
            uid = self._peer_uid(conn)
            if uid not in self.allowed_uids:
                log.warning("refused RPC connection from uid %d", uid)
                err = PermissionDenied("permission denied: xend accepts "
                                       "requests from root only")
                await reader.send(protocol.encode_error(
                    None, err.code, err.message, err.to_wire()["data"]))
                return
            while True:
                try:
                    body = await reader.read_frame()
                except protocol.FrameError as exc:
                    await reader.send(protocol.encode_error(
                        None, exc.code, str(exc)))
                    return
                reply = await self._handle(body, reader)
                await reader.send(reply)
        except (ConnectionClosed, ConnectionError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:    # never let one connection take the daemon down
            log.exception("RPC connection failed")
        finally:
            reader.close()

    async def _handle(self, body: bytes, reader: "_FrameReader") -> bytes:
        req_id: Any = None
        fds: list[int] = []
        what = "a request"
        try:
            req = protocol.parse_request(protocol.decode_json(
                body, protocol.MAX_NESTING))
            req_id = req.id
            what = f"{req.method} {redact(req.params)!r}"
            fds = reader.take_fds(req.fds)
            method, handler = self.registry.lookup(req.method)
            params = self.registry.check_params(method, req.params)
            if len(fds) != method.fds:
                raise protocol.FrameError(
                    protocol.INVALID_PARAMS,
                    f"invalid params: {method.name} needs {method.fds} "
                    f"file descriptor(s), got {len(fds)}")
            kwargs: dict[str, Any] = {"fds": fds} if method.fds else {}
            if method.progress:
                kwargs["progress"] = _progress_sender(reader)
            passed, fds = fds, []      # the handler owns them now
            log.debug("%s %r", method.name, redact(params))
            result = await self._in_executor(handler, params, kwargs)
            del passed
            return protocol.encode_result(req_id, result)
        except protocol.FrameError as exc:
            return protocol.encode_error(req_id, exc.code, str(exc))
        except XendError as exc:
            wire = exc.to_wire()
            return protocol.encode_error(req_id, wire["code"],
                                         wire["message"], wire["data"])
        except Exception as exc:
            # Never the raw body: it may hold a password.
            log.exception("internal error in %s", what[:2000])
            return protocol.encode_error(
                req_id, 1, f"internal error: {type(exc).__name__}: {exc}",
                {"type": "InternalError"})
        finally:
            for fd in fds:
                os.close(fd)
            # Descriptors that came with a request refused before it took
            # them (bad JSON, bad "fds"...) die with it: they must not be
            # handed to the next request on the connection.
            reader.drop_fds()


    async def _in_executor(self, handler: Any, params: list[Any],
                           kwargs: dict[str, Any]) -> Any:
        """Run ``handler`` in the executor and wait for it without blocking
        the loop.  (One loop future set from the worker thread: lighter
        than run_in_executor's chained futures, which cost the loop thread
        -- the server's bottleneck under many clients -- as much as a
        simple handler does.)"""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()

        def run() -> None:
            try:
                result = handler(*params, **kwargs)
            except BaseException as exc:    # handed to the awaiting task
                _complete(loop, done, None, exc)
            else:
                _complete(loop, done, result, None)
        self.executor.submit(run)
        return await done


def _progress_sender(reader: "_FrameReader") -> Callable[[Any], None]:
    """A callable for a handler's thread: sends a JSON-RPC notification
    ``progress`` with its argument, at most a few times a second; a client
    that went away does not stop the operation."""
    loop = asyncio.get_running_loop()
    last = [0.0]
    stage: list[Any] = [None]

    def send(info: Any) -> None:
        now = time.monotonic()
        # A new phase or round is always reported; the rest a few times
        # a second.
        key = (info.get("phase"), info.get("iteration")) \
            if isinstance(info, dict) else None
        if now - last[0] < PROGRESS_INTERVAL and key == stage[0]:
            return
        last[0] = now
        stage[0] = key
        try:
            data = protocol.encode_notification("progress", [info])
        except (protocol.FrameError, TypeError, ValueError):
            return

        def go() -> None:
            loop.create_task(reader.send_quietly(data))
        try:
            loop.call_soon_threadsafe(go)
        except RuntimeError:        # the loop is closed: xend is stopping
            pass
    return send


def _complete(loop: asyncio.AbstractEventLoop, done: "asyncio.Future[Any]",
              result: Any, error: BaseException | None) -> None:
    def settle() -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)
    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:        # the loop is closed: xend is stopping
        pass


class _FrameReader:
    """Reads frames (and SCM_RIGHTS descriptors) from a non-blocking socket."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buf = bytearray()
        self.fds: list[int] = []
        self.send_lock = asyncio.Lock()

    async def _readable(self) -> None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        fd = self.conn.fileno()

        def wake() -> None:
            if not fut.done():
                fut.set_result(None)
        loop.add_reader(fd, wake)
        try:
            await fut
        finally:
            loop.remove_reader(fd)

    async def _fill(self, n: int) -> None:
        anc_size = socket.CMSG_SPACE(protocol.MAX_FDS * 4)
        while len(self.buf) < n:
            try:
                data, anc, _flags, _ = self.conn.recvmsg(_RECV_SIZE, anc_size)
            except (BlockingIOError, InterruptedError):
                await self._readable()
                continue
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    arr = array.array("i")
                    arr.frombytes(payload[:len(payload) - len(payload) % 4])
                    self.fds.extend(arr)
            if not data:
                raise ConnectionClosed()
            self.buf += data

    async def read_frame(self) -> bytes:
        await self._fill(protocol.HEADER.size)
        length = protocol.frame_length(bytes(self.buf[:protocol.HEADER.size]))
        await self._fill(protocol.HEADER.size + length)
        body = bytes(self.buf[protocol.HEADER.size:
                              protocol.HEADER.size + length])
        del self.buf[:protocol.HEADER.size + length]
        return body

    def take_fds(self, n: int) -> list[int]:
        taken, self.fds = self.fds[:n], self.fds[n:]
        self.drop_fds()              # surplus descriptors are never kept
        return taken

    def drop_fds(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []

    async def send(self, data: bytes) -> None:
        # One frame at a time: progress notifications share the socket
        # with the reply.
        async with self.send_lock:
            loop = asyncio.get_running_loop()
            await loop.sock_sendall(self.conn, data)

    async def send_quietly(self, data: bytes) -> None:
        try:
            await self.send(data)
        except OSError:
            pass

    def close(self) -> None:
        self.drop_fds()
        self.conn.close()
