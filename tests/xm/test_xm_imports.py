"""``xm list`` as a process imports only what listing needs.

A start-up that imports the option library, dataclasses (and with it
inspect, ast, dis, tokenize), the model or the backends costs every xm run
far more than the listing itself.  This runs the real ``python -m xm list``
against a stand-in xend on a Unix socket and checks, at exit, which modules
were imported: deterministic, no timing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from xend.rpc import protocol

ROOT = Path(__file__).resolve().parents[2]

# Never on the path of `xm list`.
HEAVY = ("click", "dataclasses", "inspect", "ast", "lxml", "psutil", "cffi",
         "pyxs", "asyncio", "concurrent", "xend.hv", "xend.model",
         "xend.domains", "xend.daemon", "xend.xs", "xend.rpc.api",
         "xend.rpc.server", "xenstore", "bindings", "xm.config",
         "xm.cmd_create", "xm.cmd_console", "xm.cmd_devices",
         "xm.cmd_saverestore", "xm.cmd_host", "xm.cmd_vcpu", "xm.helptext")

RECORD = {"name": "guest1", "domid": 3, "uuid": "0" * 8 + "-0000-0000-0000-"
          + "0" * 12, "memory": 512, "maxmem": 512, "vcpus": 1,
          "online_vcpus": 1, "state": "-b----", "status": 2,
          "power_state": "running", "cpu_time": 1.5, "start_time": 1000.0,
          "uptime": 10.0, "managed": False, "cpu_weight": 256, "cpu_cap": 0}


def _serve(listener: socket.socket, methods: list[str]) -> None:
    """Answer one connection's requests: every domain query gets RECORD."""
    conn, _ = listener.accept()
    with conn:
        buf = b""
        while True:
            while len(buf) < protocol.HEADER.size:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            length = protocol.frame_length(buf[:protocol.HEADER.size])
            while len(buf) < protocol.HEADER.size + length:
                buf += conn.recv(65536)
            body = buf[protocol.HEADER.size:protocol.HEADER.size + length]
            buf = buf[protocol.HEADER.size + length:]
            req = protocol.parse_request(protocol.decode_json(body))
            methods.append(req.method)
            result: Any = [RECORD] if req.method == \
                "xend.domains_with_state" else RECORD
            conn.sendall(protocol.encode_result(req.id, result))


def test_xm_list_imports_nothing_heavy(tmp_path: Path) -> None:
    path = str(tmp_path / "xend.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    methods: list[str] = []
    server = threading.Thread(target=_serve, args=(listener, methods),
                              daemon=True)
    server.start()
    # Exactly `python -m xm list`; the modules are reported at exit.
    code = ("import atexit, json, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write("
            "'MODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
            "sys.argv = ['xm', 'list']\n"
            "runpy.run_module('xm', run_name='__main__', alter_sys=True)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), XM_SERVER=f"unix://{path}")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    listener.close()
    assert proc.returncode == 0, proc.stderr
    assert "guest1" in proc.stdout and methods == ["xend.domains_with_state"]
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES ")]
    modules = json.loads(line[0][len("MODULES "):])
    # runpy and json are the probe's own; the rest is what xm imported.
    ours = [m for m in modules if m.startswith(("xm", "xend"))]
    print(f"xm list imported {len(modules)} modules; xm/xend ones: {ours}")
    heavy = [m for m in modules
             if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
