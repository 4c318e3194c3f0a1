"""A tiny keep-alive HTTP/1.1 server and client on asyncio streams, for testing the fault proxy.

The server answers every request ``200`` with the count of requests it has seen as the body, and
keeps each request's bytes, so a test can tell what reached it and how often.
"""

from __future__ import annotations

import asyncio
import contextlib

from isolde.nemesis._http import read_message


class TinyServer:
    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def __aenter__(self) -> TinyServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self._writers):
            w.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 1)

    def bodies(self) -> list[bytes]:
        return [r.split(b"\r\n\r\n", 1)[1] for r in self.requests]

    async def _serve(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        self._writers.add(w)
        try:
            while True:
                msg = await read_message(r)
                if msg is None:
                    return
                self.requests.append(msg)
                body = str(len(self.requests)).encode()
                w.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await w.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._writers.discard(w)
            w.close()


def post(body: bytes, chunked: bool = False) -> bytes:
    if chunked:
        half = len(body) // 2
        parts = [body[:half], body[half:]]
        enc = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"
        return (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + enc)
    return b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


class TinyClient:
    """One keep-alive connection; ``call`` sends a request and reads one reply."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.r: asyncio.StreamReader | None = None
        self.w: asyncio.StreamWriter | None = None

    async def call(self, request: bytes, timeout: float = 2.0) -> bytes:
        if self.w is None:
            self.r, self.w = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.r is not None
        self.w.write(request)
        await self.w.drain()
        reply = await asyncio.wait_for(read_message(self.r, response=True), timeout)
        if reply is None:
            raise ConnectionError("closed")
        return reply.split(b"\r\n\r\n", 1)[1]

    def close(self) -> None:
        if self.w is not None:
            self.w.close()
            self.w = None
