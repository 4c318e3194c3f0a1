"""The fault proxy: a TCP proxy between client and store that injects network faults.

It cuts the client's byte stream into whole HTTP/1.1 requests (:mod:`._http`) and, per request,
under the faults switched on through its control methods:

- **latency** with jitter: the request waits before it is forwarded;
- **partition** (blackhole): nothing moves in either direction and no new connection reaches the
  store; what was sent is held and delivered when the partition heals (as TCP retransmission
  would), so a request the client gave up on may still take effect later;
- **reset**: the client's connection is reset (RST), before or after the request was forwarded;
- **lost response**: the request is forwarded, the reply swallowed: the client times out although
  the write happened (an ``info`` op);
- **duplicate**: the request is also sent again, a little later, on a fresh connection to the
  store (its reply discarded), as a retry storm would deliver it.

A stream that is not HTTP/1.1 -- HTTP/2, which gRPC clients (Firestore's) speak -- is forwarded
as raw bytes, chunk by chunk as they arrive: latency (per chunk, without holding back the chunks
behind it), partition and reset apply; lost response and duplicate need whole requests, so they
do not. Decisions come from a seeded random source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import struct
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from ._http import FramingError, is_head_request, read_message

log = logging.getLogger("isolde.nemesis.proxy")
# Chunks of a raw stream waiting out their latency, at most (then the client's reads wait too).
RAW_QUEUE_CHUNKS = 64


@dataclass
class ProxyStats:
    connections: int = 0
    requests: int = 0
    delayed: int = 0
    lost_responses: int = 0
    duplicates: int = 0
    resets: int = 0


@dataclass(eq=False)
class _Conn:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    mute: bool = False  # the reply to a request was lost: swallow everything from upstream
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class FaultProxy:
    """Listens on ``listen`` (port 0: any free port) and forwards to ``upstream``."""

    def __init__(self, upstream: tuple[str, int], seed: int = 0,
                 listen: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.upstream = upstream
        self.listen = listen
        self.rng = random.Random(f"{seed}/proxy")
        self.stats = ProxyStats()
        self.latency_ms = 0.0
        self.jitter_ms = 0.0
        self.lost_response_p = 0.0
        self.duplicate_p = 0.0
        self.duplicate_delay_ms = 100.0
        self.reset_p = 0.0
        self._open = asyncio.Event()  # set: not partitioned
        self._open.set()
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self._side: set[asyncio.Task[None]] = set()
        self.address: tuple[str, int] | None = None

    # --- control API (what the nemesis drives) ---------------------------------------------------
    def set_latency(self, ms: float, jitter_ms: float = 0.0) -> None:
        self.latency_ms, self.jitter_ms = ms, jitter_ms

    def partition(self) -> None:
        self._open.clear()

    def heal_partition(self) -> None:
        self._open.set()

    @property
    def partitioned(self) -> bool:
        return not self._open.is_set()

    def set_lost_response(self, p: float) -> None:
        self.lost_response_p = p

    def set_duplicate(self, p: float, max_delay_ms: float = 100.0) -> None:
        self.duplicate_p, self.duplicate_delay_ms = p, max_delay_ms

    def set_reset(self, p: float) -> None:
        self.reset_p = p

    def clear(self) -> None:
        """Heal every fault (held traffic flows again)."""
        self.latency_ms = self.jitter_ms = 0.0
        self.lost_response_p = self.duplicate_p = self.reset_p = 0.0
        self.heal_partition()

    # --- lifetime --------------------------------------------------------------------------------
    async def start(self) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._handle, *self.listen)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.address = (host, port)
        return self.address

    async def stop(self) -> None:
        self.clear()
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            _abort(c.client)
            if c.upstream is not None:
                _abort(c.upstream)
            for t in c.tasks:
                t.cancel()
        for t in list(self._side):
            t.cancel()
        pending = [t for c in self._conns for t in c.tasks] + list(self._side)
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            self._server = None

    # --- forwarding ------------------------------------------------------------------------------
    async def _handle(self, c_r: asyncio.StreamReader, c_w: asyncio.StreamWriter) -> None:
        conn = _Conn(c_w)
        self._conns.add(conn)
        self.stats.connections += 1
        task = asyncio.current_task()
        if task is not None:
            conn.tasks.append(task)
        try:
            await self._open.wait()  # a partition holds new connections (SYN retransmits)
            u_r, u_w = await asyncio.open_connection(*self.upstream)
            conn.upstream = u_w
            down = asyncio.create_task(self._pump_down(conn, u_r))
            conn.tasks.append(down)
            await self._pump_up(conn, c_r, u_w)
            with contextlib.suppress(OSError):
                u_w.write_eof()  # the client is done sending; let the reply finish
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(down), 5.0)
        except (OSError, asyncio.IncompleteReadError) as e:
            log.debug("proxy connection ended: %r", e)
        except asyncio.CancelledError:
            # The proxy is stopping. This task is asyncio's connection callback, which would
            # log a cancelled task as an error: end it normally instead.
            pass
        finally:
            self._conns.discard(conn)
            for t in conn.tasks:
                if t is not task:
                    t.cancel()
            for w in (c_w, conn.upstream):
                if w is not None:
                    w.close()

    async def _pump_up(self, conn: _Conn, c_r: asyncio.StreamReader,
                       u_w: asyncio.StreamWriter) -> None:
        while True:
            try:
                msg = await read_message(c_r)
            except FramingError as e:  # not HTTP/1.1 (HTTP/2: gRPC): the rest goes as bytes
                await self._pump_raw(conn, c_r, u_w, e.consumed)
                return
            if msg is None:
                return
            ms = self._draw_latency()
            if ms > 0:
                await asyncio.sleep(ms / 1000.0)
            if not await self._forward(conn, u_w, msg, framed=True):
                return

    async def _pump_raw(self, conn: _Conn, c_r: asyncio.StreamReader,
                        u_w: asyncio.StreamWriter, first: bytes) -> None:
        """Forward a stream the proxy does not frame, chunk by chunk as it arrives. Latency
        delays each chunk from its arrival without holding back the ones behind it: an HTTP/2
        connection multiplexes every request of a client, and delaying its chunks one after
        another would throttle it rather than add latency. Chunks keep their order."""
        line: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(RAW_QUEUE_CHUNKS)
        reader = asyncio.create_task(self._read_raw(c_r, line, first))
        conn.tasks.append(reader)
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, data = await line.get()
                if not data:
                    return
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not await self._forward(conn, u_w, data, framed=False):
                    return
        finally:
            reader.cancel()

    async def _read_raw(self, c_r: asyncio.StreamReader,
                        line: asyncio.Queue[tuple[float, bytes]], first: bytes) -> None:
        """Feed the delay line: each chunk with the time it is due upstream; b"" at the end."""
        loop = asyncio.get_running_loop()
        due = 0.0
        data = first
        while True:
            if data:
                due = max(due, loop.time() + self._draw_latency() / 1000.0)
                await line.put((due, data))
            try:
                data = await c_r.read(65536)
            except OSError:
                data = b""
            if not data:
                await line.put((due, b""))
                return

    async def _forward(self, conn: _Conn, u_w: asyncio.StreamWriter, data: bytes,
                       framed: bool) -> bool:
        """Deliver one request (``framed``: a whole HTTP/1.1 request) or chunk of a raw stream
        under the faults switched on; False when the connection was reset."""
        self.stats.requests += 1
        await self._open.wait()
        # Every decision is drawn before anything moves, so replies cannot race them.
        rng = self.rng
        reset = bool(self.reset_p) and rng.random() < self.reset_p
        reset_first = reset and rng.random() < 0.5
        # Only a whole request can be sent twice or have its reply told apart.
        dup = framed and bool(self.duplicate_p) and rng.random() < self.duplicate_p
        dup_delay = rng.uniform(0, self.duplicate_delay_ms) if dup else 0.0
        lose = framed and bool(self.lost_response_p) and rng.random() < self.lost_response_p
        if reset_first:  # reset before delivery: the request never reached the store
            self._reset(conn)
            return False
        if lose:
            conn.mute = True
            self.stats.lost_responses += 1
        u_w.write(data)
        await u_w.drain()
        if dup:
            self._spawn(self._duplicate(data, dup_delay))
        if reset:  # reset after delivery: it happened, the client cannot know
            self._reset(conn)
            return False
        return True

    async def _pump_down(self, conn: _Conn, u_r: asyncio.StreamReader) -> None:
        c_w = conn.client
        while True:
            data = await u_r.read(65536)
            if not data:
                with contextlib.suppress(OSError):
                    c_w.write_eof()
                return
            await self._open.wait()
            if conn.mute:
                continue
            c_w.write(data)
            await c_w.drain()

    def _draw_latency(self) -> float:
        """The latency of the next request or chunk, in ms (0: none)."""
        if self.latency_ms <= 0:
            return 0.0
        ms = self.latency_ms + self.rng.uniform(-self.jitter_ms, self.jitter_ms)
        if ms <= 0:
            return 0.0
        self.stats.delayed += 1
        return ms

    def _reset(self, conn: _Conn) -> None:
        self.stats.resets += 1
        _abort(conn.client)
        if conn.upstream is not None:
            conn.upstream.close()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _duplicate(self, request: bytes, delay_ms: float) -> None:
        await asyncio.sleep(delay_ms / 1000.0)
        await self._open.wait()
        try:
            r, w = await asyncio.open_connection(*self.upstream)
        except OSError as e:
            log.debug("duplicate not delivered: %r", e)
            return
        try:
            w.write(request)
            await w.drain()
            self.stats.duplicates += 1
            # Read the reply through so the store has finished with the copy; then drop it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    read_message(r, response=True, head_request=is_head_request(request)), 30)
        finally:
            w.close()


def _abort(w: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), so the peer sees ECONNRESET."""
    sock = w.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()
