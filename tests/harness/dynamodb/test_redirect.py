"""``set_client_endpoint``: the workers' requests go through whatever sits at that address (a
fault proxy), while table administration goes straight to the store."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from isolde.harness import ProcessControl, Redirectable
from isolde.harness.emulators import free_port
from isolde.harness.stores.dynamodb import DynaliteStore, DynamoOptions, MotoStore
from isolde.histories import Op


class Proxy:
    """A plain TCP forwarder on 127.0.0.1 that counts the connections it carried."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.connections = 0

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        w.close()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        self.connections += 1
        ur, uw = await asyncio.open_connection(*self.target)
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])


def test_clients_go_through_the_given_endpoint(dynalite_installed: None) -> None:
    store = DynaliteStore(DynamoOptions())
    assert isinstance(store, Redirectable)

    async def go() -> tuple[Op, int]:
        await store.setup()
        try:
            assert store.endpoint is not None and store.endpoint[0] == "127.0.0.1"
            assert isinstance(store.process_control, ProcessControl)
            proxy = Proxy(store.endpoint)
            port = await proxy.start()
            store.set_client_endpoint("127.0.0.1", port)
            client = await store.open_client(0)
            await client.invoke(Op(0, 0, "invoke", 0, "write", [1, 5]))
            done = await client.invoke(Op(1, 0, "invoke", 0, "read", [1, None]))
            with pytest.raises(RuntimeError, match="before clients are opened"):
                store.set_client_endpoint("127.0.0.1", 1)
            return done, proxy.connections
        finally:
            await store.teardown()  # the table is deleted directly, not through the proxy

    done, connections = asyncio.run(go())
    assert done.type == "ok" and done.value == [1, 5]
    assert connections >= 1


def test_a_dead_client_endpoint_fails_ops_but_not_setup() -> None:
    """Admin traffic does not follow the client endpoint: setup and teardown still work."""
    store = MotoStore(DynamoOptions(retries=0, connect_timeout=0.5))

    async def go() -> Op:
        await store.setup()
        try:
            store.set_client_endpoint("127.0.0.1", free_port())  # nothing listens there
            client = await store.open_client(0)
            return await client.invoke(Op(0, 0, "invoke", 0, "write", [1, 5]))
        finally:
            await store.teardown()

    done = asyncio.run(go())
    assert (done.type, done.error) == ("fail", "connect-failed")
