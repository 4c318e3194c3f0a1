"""The user's own code as the store under test: their functions become a workload's Client.

A bank app (workload ``bank``) is any object with ``async init(balances)``, ``async
transfer(src, dst, amount)``, ``async read_all() -> {account: balance}`` and ``async
close()``. A register app (workload ``register``) has ``async read(key) -> value`` (None for a
key never written), ``async write(key, value)``, ``async compare_and_set(key, expected, new)``
(a conditional put: refused unless the key holds ``expected``) and ``async close()``. How each
call ends decides the op's completion, as for any store: returning is ``ok``; raising
:class:`Refused` is ``fail`` (the app is sure nothing happened: a condition failed, a
transaction was cancelled); any other exception is ``info`` (it may have happened).

The client-path faults (``throttle``, ``client-timeout``, ``cancel``) reach the app: each app
call runs under the nemesis's switches, so a call is cut off by a very short timeout, or
cancelled just after it started (both ``info``: it may have taken effect), or, throttled, not
made at all (``fail``: nothing happened).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

from .._errors import UsageError
from ..harness import ClientFaults
from ..histories import Op

T = TypeVar("T")


class Refused(Exception):
    """Raised by an app's operation that certainly did not take effect."""


@runtime_checkable
class BankApp(Protocol):
    async def init(self, balances: dict[int, int]) -> None: ...

    async def transfer(self, src: int, dst: int, amount: int) -> None: ...

    async def read_all(self) -> dict[int, int]: ...

    async def close(self) -> None: ...


@runtime_checkable
class RegisterApp(Protocol):
    async def read(self, key: int) -> Any: ...

    async def write(self, key: int, value: int) -> None: ...

    async def compare_and_set(self, key: int, expected: Any, new: int) -> None: ...

    async def close(self) -> None: ...


class _FaultedCalls:
    """Runs each app call under the client-path faults of ``faults``."""

    def __init__(self, faults: ClientFaults | None) -> None:
        self.faults = faults or ClientFaults()

    async def _call(self, aw: Awaitable[T]) -> T:
        return await self.faults.call(self._sent(aw))

    async def _sent(self, aw: Awaitable[T]) -> T:
        # Runs in the call's own task, as an SDK's send hook would: a cancellation armed here
        # strikes once the app's request is under way.
        if self.faults.on_send():
            if isinstance(aw, Coroutine):
                aw.close()  # never started: nothing was sent
            raise Refused(self.faults.throttle_error)
        return await aw


class BankAppClient(_FaultedCalls):
    """Maps the bank workload's ops onto a :class:`BankApp`."""

    def __init__(self, app: BankApp, faults: ClientFaults | None = None) -> None:
        super().__init__(faults)
        self.app = app

    async def invoke(self, op: Op) -> Op:
        v = op.value
        try:
            if op.f == "init":
                await self._call(self.app.init({int(k): int(b) for k, b in v.items()}))
                return op.complete("ok", v)
            if op.f == "transfer":
                await self._call(self.app.transfer(v["from"], v["to"], v["amount"]))
                return op.complete("ok", v)
            if op.f == "read":
                return op.complete("ok", dict(await self._call(self.app.read_all())))
        except Refused as e:
            return op.complete("fail", v, error=str(e) or "refused")
        return op.complete("fail", v, error=f"unsupported f {op.f!r}")

    async def close(self) -> None:
        await self.app.close()


class RegisterAppClient(_FaultedCalls):
    """Maps the register workload's ops (``[key, value]`` tuples) onto a :class:`RegisterApp`."""

    def __init__(self, app: RegisterApp, faults: ClientFaults | None = None) -> None:
        super().__init__(faults)
        self.app = app

    async def invoke(self, op: Op) -> Op:
        k, arg = op.value
        try:
            if op.f == "read":
                return op.complete("ok", [k, await self._call(self.app.read(k))])
            if op.f == "write":
                await self._call(self.app.write(k, arg))
                return op.complete("ok", op.value)
            if op.f == "cas":
                await self._call(self.app.compare_and_set(k, arg[0], arg[1]))
                return op.complete("ok", op.value)
        except Refused as e:
            return op.complete("fail", op.value, error=str(e) or "refused")
        return op.complete("fail", op.value, error=f"unsupported f {op.f!r}")

    async def close(self) -> None:
        await self.app.close()


# workload -> (what its app must be, the Client wrapping one, the capabilities it gives)
APP_KINDS: dict[str, tuple[type, Callable[..., Any], frozenset[str]]] = {
    "bank": (BankApp, BankAppClient, frozenset({"bank"})),
    "register": (RegisterApp, RegisterAppClient, frozenset({"register", "cas"})),
}
METHODS = {"bank": "init, transfer, read_all, close",
           "register": "read, write, compare_and_set, close"}


class AppStore:
    """A Store whose clients are the user's app for ``workload``, one instance per worker
    (``make()``); it takes the client-path faults (``client_faults``: the nemesis's switches)."""

    name = "app"

    def __init__(self, make: Callable[[], Any], workload: str = "bank", seed: int = 0) -> None:
        if workload not in APP_KINDS:
            raise UsageError(f"an app can run workload {' or '.join(APP_KINDS)}, "
                             f"not {workload!r}")
        protocol = APP_KINDS[workload][0]
        if isinstance(make, type) and not isinstance(make, protocol):  # known before any load
            raise UsageError(f"{make.__name__} cannot run workload {workload!r}: a {workload} "
                             f"app has {METHODS[workload]}")
        self.make, self.workload = make, workload
        self.capabilities = APP_KINDS[workload][2]
        self.client_faults = ClientFaults(seed, throttle_error="throttled-before-the-app")

    async def setup(self) -> None:
        return None

    async def teardown(self) -> None:
        return None

    async def open_client(self, worker: int) -> Any:
        app: Any = self.make()
        if isinstance(app, Awaitable):
            app = await app
        protocol, client, _ = APP_KINDS[self.workload]
        if not isinstance(app, protocol):
            raise TypeError(f"{app!r} is not a {self.workload} app "
                            f"({METHODS[self.workload]})")
        return client(app, self.client_faults)
