"""A tiny in-memory key-value server run as a real subprocess, and a Store for it, so process and
proxy faults can be tested end to end on loopback without any emulator.

Run as a script: ``python kvstore.py PORT`` serves HTTP/1.1 ``POST /`` with a JSON body
``{"f": "read"|"write"|"cas", "k": K, "v": V}`` and answers ``{"ok": bool, "v": V}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from isolde.histories import Op
from isolde.nemesis._http import read_message

ROOT = Path(__file__).resolve().parents[2]


# --- the server (runs in the subprocess) --------------------------------------------------------
async def _serve(port: int) -> None:
    data: dict[Any, Any] = {}

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while (msg := await read_message(r)) is not None:
                req = json.loads(msg.split(b"\r\n\r\n", 1)[1])
                k, v = str(req["k"]), req.get("v")
                if req["f"] == "read":
                    out = {"ok": True, "v": data.get(k)}
                elif req["f"] == "write":
                    data[k] = v
                    out = {"ok": True, "v": v}
                else:
                    ok = data.get(k) == v[0]
                    if ok:
                        data[k] = v[1]
                    out = {"ok": ok, "v": v}
                body = json.dumps(out).encode()
                w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


# --- process control (the ProcessControl protocol) ----------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KVProcess:
    persistent = False

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    async def start(self) -> None:
        # As a module from the repository root, so it imports this checkout's isolde.
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.nemesis.kvstore",
                                      str(self.port)], cwd=ROOT, start_new_session=True,
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                _r, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            await asyncio.sleep(0.02)
        raise RuntimeError("kv server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    async def restart(self) -> None:
        self.kill()
        await self.start()

    def pause(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def state(self) -> str:
        assert self.proc is not None
        return Path(f"/proc/{self.proc.pid}/stat").read_text().split()[2]


# --- the store ---------------------------------------------------------------------------------
class KVStore:
    name = "kv-test"
    process_name = "kv"
    pausable = True
    capabilities = frozenset({"register", "cas"})

    def __init__(self) -> None:
        self.kv = KVProcess()
        self.client_endpoint: tuple[str, int] | None = None

    @property
    def endpoint(self) -> tuple[str, int]:
        return ("127.0.0.1", self.kv.port)

    @property
    def process_control(self) -> KVProcess:
        return self.kv

    def set_client_endpoint(self, host: str, port: int) -> None:
        self.client_endpoint = (host, port)

    async def after_restart(self) -> None:
        return None  # nothing to restore: the server keeps nothing

    async def setup(self) -> None:
        await self.kv.start()

    async def teardown(self) -> None:
        self.kv.resume()
        self.kv.kill()

    async def open_client(self, worker: int) -> KVClient:
        return KVClient(self.client_endpoint or self.endpoint)


class KVClient:
    def __init__(self, endpoint: tuple[str, int]) -> None:
        self.endpoint = endpoint
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def close(self) -> None:
        if self.conn is not None:
            self.conn[1].close()
            self.conn = None

    async def invoke(self, op: Op) -> Op:
        k, v = op.value
        try:
            if self.conn is None:
                self.conn = await asyncio.open_connection(*self.endpoint)
        except OSError as e:  # never connected: certainly not applied
            return op.complete("fail", op.value, error=f"connect: {type(e).__name__}")
        r, w = self.conn
        body = json.dumps({"f": op.f, "k": k, "v": v}).encode()
        try:
            w.write(b"POST / HTTP/1.1\r\nHost: kv\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(body), body))
            await w.drain()
            reply = await read_message(r, response=True)
            if reply is None:
                raise ConnectionError("closed")
        except BaseException:
            await self.close()  # a connection in an unknown state is never reused
            raise
        out = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        if op.f == "read":
            return op.complete("ok", [k, out["v"]])
        if out["ok"]:
            return op.complete("ok", op.value)
        # Only a CAS is refused, and only when its compare did not hold: say so, as the
        # linearizability checker reads a failed CAS as evidence only then.
        return op.complete("fail", op.value, error="precondition-failed")


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
