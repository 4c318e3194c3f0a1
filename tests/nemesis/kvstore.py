"""A tiny in-memory key-value server run as a real subprocess, and a Store for it, so process and
proxy faults can be tested end to end on loopback without any emulator.

Run as a script: ``python kvstore.py PORT`` serves HTTP/1.1 ``POST /`` with a JSON body
``{"f": "read"|"write"|"cas", "k": K, "v": V}`` and answers ``{"ok": bool, "v": V}``; a request
without a body (``GET /``, the readiness probe) gets an empty 200. isolde's own ManagedProcess
runs it, as it runs an emulator.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from isolde.harness.emulators import ManagedProcess
from isolde.histories import Op
from isolde.nemesis._http import read_message

ROOT = Path(__file__).resolve().parents[2]


# --- the server (runs in the subprocess) --------------------------------------------------------
async def _serve(port: int) -> None:
    data: dict[Any, Any] = {}

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while (msg := await read_message(r)) is not None:
                body = msg.split(b"\r\n\r\n", 1)[1]
                if not body:  # a readiness probe (GET /): alive
                    w.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    await w.drain()
                    continue
                req = json.loads(body)
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


# --- process control: the project's own (ManagedProcess) --------------------------------------
class KVProcess(ManagedProcess):
    """The server as isolde runs an emulator: a free port, its own session, readiness by an
    HTTP answer, signals to its process group, reaped; its log in the run directory."""

    def __init__(self, log_path: Path = Path(os.devnull)) -> None:
        # As a module from the repository root, so it imports this checkout's isolde.
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
        super().__init__("kv", lambda port: [sys.executable, "-m", "tests.nemesis.kvstore",
                                             str(port)],
                         log_path, ready_timeout=60.0, env={"PYTHONPATH": path})

    def state(self) -> str:
        """The process's state letter (``T`` while stopped)."""
        assert self.pid is not None
        return Path(f"/proc/{self.pid}/stat").read_text().split()[2]


# --- the store ---------------------------------------------------------------------------------
class KVStore:
    name = "kv-test"
    process_name = "kv"
    pausable = True
    capabilities = frozenset({"register", "cas"})

    def __init__(self) -> None:
        self.kv = KVProcess()
        self.client_endpoint: tuple[str, int] | None = None

    def attach_run_dir(self, run_dir: Path) -> None:
        self.kv.log_path = run_dir / "kv.log"

    @property
    def endpoint(self) -> tuple[str, int] | None:
        return self.kv.endpoint

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
        await self.kv.stop()

    async def open_client(self, worker: int) -> KVClient:
        endpoint = self.client_endpoint or self.endpoint
        assert endpoint is not None, "open_client before setup"
        return KVClient(endpoint)


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
