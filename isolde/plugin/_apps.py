"""The user's own code as the store under test: their functions become a workload's Client.

A bank app is any object with ``async init(balances)``, ``async transfer(src, dst, amount)``
and ``async read_all() -> {account: balance}`` (and optionally ``async close()``). How each
call ends decides the op's completion, as for any store: returning is ``ok``; raising
:class:`Refused` is ``fail`` (the app is sure nothing happened: a condition failed, a
transaction was cancelled); any other exception is ``info`` (it may have happened).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from ..histories import Op


class Refused(Exception):
    """Raised by an app's operation that certainly did not take effect."""


@runtime_checkable
class BankApp(Protocol):
    async def init(self, balances: dict[int, int]) -> None: ...

    async def transfer(self, src: int, dst: int, amount: int) -> None: ...

    async def read_all(self) -> dict[int, int]: ...

    async def close(self) -> None: ...


class BankAppClient:
    """Maps the bank workload's ops onto a :class:`BankApp`."""

    def __init__(self, app: BankApp) -> None:
        self.app = app

    async def invoke(self, op: Op) -> Op:
        v = op.value
        try:
            if op.f == "init":
                await self.app.init({int(k): int(b) for k, b in v.items()})
                return op.complete("ok", v)
            if op.f == "transfer":
                await self.app.transfer(v["from"], v["to"], v["amount"])
                return op.complete("ok", v)
            if op.f == "read":
                return op.complete("ok", dict(await self.app.read_all()))
        except Refused as e:
            return op.complete("fail", v, error=str(e) or "refused")
        return op.complete("fail", v, error=f"unsupported f {op.f!r}")

    async def close(self) -> None:
        await self.app.close()


class AppStore:
    """A Store whose clients are the user's app, one instance per worker (``make()``)."""

    name = "app"
    capabilities = frozenset({"bank"})

    def __init__(self, make: Callable[[], BankApp | Awaitable[BankApp]]) -> None:
        self.make = make

    async def setup(self) -> None:
        return None

    async def teardown(self) -> None:
        return None

    async def open_client(self, worker: int) -> BankAppClient:
        app: Any = self.make()
        if isinstance(app, Awaitable):
            app = await app
        if not isinstance(app, BankApp):
            raise TypeError(f"{app!r} is not a bank app (init, transfer, read_all, close)")
        return BankAppClient(app)
