"""The fault proxy against a tiny local HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest

from isolde.nemesis._http import FramingError, read_message
from isolde.nemesis._proxy import FaultProxy

from .httpserver import TinyClient, TinyServer, post

Body = Callable[[TinyServer, FaultProxy, int], Awaitable[None]]


def _with_proxy(body: Body) -> None:
    async def go() -> None:
        async with TinyServer() as server:
            proxy = FaultProxy(("127.0.0.1", server.port), seed=3)
            _host, port = await proxy.start()
            try:
                await body(server, proxy, port)
            finally:
                await proxy.stop()

    asyncio.run(asyncio.wait_for(go(), 20))


def test_passthrough_keep_alive_and_chunked() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        c = TinyClient(port)
        assert await c.call(post(b"a")) == b"1"
        assert await c.call(post(b"hello world", chunked=True)) == b"2"
        assert await c.call(post(b"")) == b"3"
        assert server.bodies()[0] == b"a"
        assert b"hello" in server.bodies()[1]
        c.close()
        assert proxy.stats.requests == 3 and proxy.stats.connections == 1

    _with_proxy(body)


def test_latency_with_jitter() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        c = TinyClient(port)
        await c.call(post(b"warm"))
        proxy.set_latency(80, jitter_ms=20)
        loop = asyncio.get_running_loop()
        t = loop.time()
        await c.call(post(b"x"))
        assert loop.time() - t >= 0.055
        proxy.clear()
        t = loop.time()
        await c.call(post(b"y"))
        assert loop.time() - t < 0.05
        c.close()

    _with_proxy(body)


def test_partition_holds_traffic_and_delivers_it_after_heal() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        c = TinyClient(port)
        await c.call(post(b"before"))
        proxy.partition()
        with pytest.raises(TimeoutError):
            await c.call(post(b"during"), timeout=0.3)
        assert server.bodies() == [b"before"]  # nothing reached the store
        fresh = TinyClient(port)  # a new connection is held too
        pending = asyncio.create_task(fresh.call(post(b"new"), timeout=5))
        await asyncio.sleep(0.2)
        assert not pending.done()
        proxy.heal_partition()
        assert await pending in (b"2", b"3")
        await asyncio.sleep(0.1)
        # The request the first client gave up on was still delivered: it may have happened.
        assert sorted(server.bodies()) == sorted([b"before", b"during", b"new"])
        c.close()
        fresh.close()

    _with_proxy(body)


def test_lost_response_delivers_the_request_but_not_the_reply() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        proxy.set_lost_response(1.0)
        c = TinyClient(port)
        with pytest.raises(TimeoutError):
            await c.call(post(b"write"), timeout=0.3)
        assert server.bodies() == [b"write"]
        assert proxy.stats.lost_responses == 1
        c.close()
        proxy.clear()
        c2 = TinyClient(port)
        assert await c2.call(post(b"after")) == b"2"
        c2.close()

    _with_proxy(body)


def test_duplicate_delivers_the_same_request_twice_one_reply() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        proxy.set_duplicate(1.0, max_delay_ms=20)
        c = TinyClient(port)
        assert await c.call(post(b"once")) in (b"1", b"2")
        assert await c.call(post(b"twice", chunked=True)) in (b"2", b"3", b"4")
        for _ in range(50):
            if len(server.requests) == 4:
                break
            await asyncio.sleep(0.02)
        assert server.bodies().count(b"once") == 2 and len(server.requests) == 4
        assert server.requests.count(server.requests[-1]) == 2  # byte-identical copies
        assert proxy.stats.duplicates == 2
        c.close()

    _with_proxy(body)


def test_reset_breaks_the_connection() -> None:
    async def body(server: TinyServer, proxy: FaultProxy, port: int) -> None:
        proxy.set_reset(1.0)
        for i in range(8):
            c = TinyClient(port)
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
                await c.call(post(b"r%d" % i))
            c.close()
        # Reset both before delivery (never reached the store) and after (it did).
        await asyncio.sleep(0.05)
        outcomes = {b"r%d" % i in server.bodies() for i in range(8)}
        assert outcomes == {True, False}
        assert proxy.stats.resets == 8

    _with_proxy(body)


def test_framing_rejects_garbage_and_reads_through_eof_delimited_replies() -> None:
    async def go() -> None:
        r = asyncio.StreamReader()
        r.feed_data(b"\x16\x03\x01 not http\r\n\r\n")
        with pytest.raises(FramingError):
            await read_message(r)
        r = asyncio.StreamReader()
        r.feed_data(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until eof")
        r.feed_eof()
        assert (await read_message(r, response=True) or b"").endswith(b"until eof")
        r = asyncio.StreamReader()
        r.feed_data(b"HTTP/1.1 204 No Content\r\n\r\n")
        assert await read_message(r, response=True) == b"HTTP/1.1 204 No Content\r\n\r\n"
        r = asyncio.StreamReader()
        r.feed_eof()
        assert await read_message(r) is None

    asyncio.run(go())


# HTTP/2's connection preface (RFC 9113 §3.4), with which every gRPC client opens.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


async def _echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):  # the proxy resets it
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    w.close()


def _with_echo(body: Callable[[FaultProxy, int], Awaitable[None]]) -> None:
    async def go() -> None:
        server = await asyncio.start_server(_echo, "127.0.0.1", 0)
        proxy = FaultProxy(server.sockets[0].getsockname()[:2], seed=3)
        _host, port = await proxy.start()
        try:
            await body(proxy, port)
        finally:
            await proxy.stop()
            server.close()

    asyncio.run(asyncio.wait_for(go(), 60))


async def _echoed(r: asyncio.StreamReader, n: int) -> bytes:
    return await r.readexactly(n)


def test_a_stream_that_is_not_http1_is_forwarded_byte_for_byte() -> None:
    """The bytes read while telling HTTP/1.1 apart (HTTP/2's preface) are forwarded too."""
    async def body(proxy: FaultProxy, port: int) -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(PREFACE)
        assert await _echoed(r, len(PREFACE)) == PREFACE
        w.write(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # a SETTINGS frame
        assert await _echoed(r, 9) == b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
        w.close()

    _with_echo(body)


def test_latency_on_a_raw_stream_delays_each_chunk_without_queueing_them() -> None:
    """Ten chunks sent 100 ms apart under 2 s of latency: each arrives at least 2 s after it was
    sent, in order, and they travel together -- one after another, N chunks would take 2N s."""
    async def body(proxy: FaultProxy, port: int) -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(PREFACE)
        await _echoed(r, len(PREFACE))
        proxy.set_latency(2000.0)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        chunks = [b"chunk-%02d" % i for i in range(10)]
        for c in chunks:
            w.write(c)
            await w.drain()
            await asyncio.sleep(0.1)
        first = await _echoed(r, len(chunks[0]))
        assert loop.time() - t0 >= 2.0 and first == chunks[0]
        rest = await _echoed(r, sum(map(len, chunks[1:])))
        took = loop.time() - t0
        assert first + rest == b"".join(chunks)
        delayed = proxy.stats.delayed  # chunks as the proxy read them (a stall may merge two)
        assert delayed >= 5
        assert took < 2.0 * delayed - 2.0  # queued one behind another: >= 2.0 * delayed
        w.close()

    _with_echo(body)


def test_partition_and_reset_on_a_raw_stream() -> None:
    async def body(proxy: FaultProxy, port: int) -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        w.write(PREFACE)
        await _echoed(r, len(PREFACE))
        proxy.partition()
        w.write(b"held")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(_echoed(r, 4), 0.3)
        proxy.heal_partition()
        assert await _echoed(r, 4) == b"held"  # held, then delivered
        proxy.set_reset(1.0)
        w.write(b"gone")
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await asyncio.wait_for(_echoed(r, 4), 10)
        assert proxy.stats.resets == 1
        w.close()

    _with_echo(body)
