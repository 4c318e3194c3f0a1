"""Client-path faults on Firestore's SDK: gRPC interceptors on the AsyncClient's channel consult
the nemesis's switches (:class:`isolde.harness.ClientFaults`) around every RPC.

Per RPC, while switched on:

- **throttle**: answered, unsent, with RESOURCE_EXHAUSTED (the SDK's own retry absorbs it on a
  transaction's commit; elsewhere isolde sends with ``retry=None``: ``fail``, nothing applied);
- **client-timeout**: the RPC's gRPC deadline is cut to ``timeout_s``: DEADLINE_EXCEEDED;
- **cancel**: the RPC is cancelled ``cancel_delay_s`` after it was sent: CANCELLED;
- **unavailable**: UNAVAILABLE, half the time before sending, half after the reply came;
- **lost-response**: sent and answered, the reply dropped: DEADLINE_EXCEEDED;
- **duplicate** (unary RPCs: commits): sent again up to ``duplicate_delay_s`` later, the copy's
  reply discarded. A transaction's commit copy is refused (its transaction is closed); a plain
  write's copy applies again, later — a retry storm.

Every injected error is a real ``grpc.aio.AioRpcError``, so google-api-core turns it into the same
exception a real one would be, and the store classifies it as it would a real one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc.aio import AioRpcError, ClientCallDetails, Metadata

from ..._client_faults import ClientFaults

THROTTLE_STATUS = "RESOURCE_EXHAUSTED"
# gRPC's reconnect backoff on an emulator's channel: from 200 ms, at most 1 s. Its default grows
# to 120 s over failed connects, so after a fault window that reset connections (or a restart)
# the client would stay away long after the heal, failing every call at once meanwhile.
RECONNECT_OPTIONS = (("grpc.initial_reconnect_backoff_ms", 200),
                     ("grpc.max_reconnect_backoff_ms", 1000))


def new_client_faults(seed: int) -> ClientFaults:
    return ClientFaults(seed, throttle_error=THROTTLE_STATUS, wire=True)


def _error(code: grpc.StatusCode, details: str) -> AioRpcError:
    return AioRpcError(code, Metadata(), Metadata(),
                       details=f"{details} (injected by the isolde nemesis)")


@dataclass
class _Plan:
    """The faults drawn for one RPC."""

    cancel: bool = False
    timeout: bool = False  # the deadline is the injected one
    after: grpc.StatusCode | None = None  # the error replacing the reply that came
    duplicate: bool = False


class _Faults:
    """What both interceptors share: the draws, and the faults of a reply."""

    def __init__(self, faults: ClientFaults) -> None:
        self.faults = faults

    def _plan(self, details: ClientCallDetails) -> tuple[ClientCallDetails, _Plan]:
        """Draw this RPC's faults; raise the ones that keep it from being sent."""
        f = self.faults
        unavailable = f.chance(f.unavailable_p)
        if f.chance(f.throttle_p):
            f.throttled += 1
            raise _error(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota exceeded, request not sent")
        if unavailable and f.rng.random() < 0.5:
            f.unavailable += 1
            raise _error(grpc.StatusCode.UNAVAILABLE, "connection lost before sending")
        plan = _Plan(cancel=f.chance(f.cancel_p))
        if unavailable:
            plan.after = grpc.StatusCode.UNAVAILABLE
        elif f.chance(f.lost_p):
            plan.after = grpc.StatusCode.DEADLINE_EXCEEDED
        plan.duplicate = f.chance(f.duplicate_p)
        if f.timeout_s is not None and (details.timeout is None or details.timeout > f.timeout_s):
            plan.timeout = True
            details = details._replace(timeout=f.timeout_s)
        return details, plan

    async def _receive(self, call: Any, plan: _Plan, receive: Callable[[], Awaitable[Any]]) -> Any:
        """The reply of a sent RPC (``receive()``), under the plan's after-send faults."""
        f = self.faults
        if plan.cancel:
            asyncio.get_running_loop().call_later(f.cancel_delay_s, call.cancel)
        try:
            reply = await receive()
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if plan.cancel and not (me is not None and me.cancelling()):
                f.cancelled += 1
                raise _error(grpc.StatusCode.CANCELLED, "cancelled after sending") from None
            raise
        except AioRpcError as e:
            if plan.timeout and e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                f.timeouts += 1
            raise
        if plan.after == grpc.StatusCode.UNAVAILABLE:
            f.unavailable += 1
            raise _error(plan.after, "connection lost after the reply was sent")
        if plan.after is not None:
            f.lost += 1
            raise _error(plan.after, "the reply was lost")
        return reply


class _Unary(_Faults, grpc.aio.UnaryUnaryClientInterceptor):
    """Unary RPCs: BeginTransaction, Commit, Rollback."""

    def __init__(self, faults: ClientFaults) -> None:
        super().__init__(faults)
        self.copies: set[asyncio.Task[None]] = set()  # duplicates in flight

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any,
                                     request: Any) -> Any:
        details, plan = self._plan(client_call_details)
        call = await continuation(details, request)
        reply = await self._receive(call, plan, lambda: call)
        if plan.duplicate:
            self._send_copy(continuation, client_call_details, request)
        return reply

    def _send_copy(self, continuation: Any, details: Any, request: Any) -> None:
        f = self.faults
        delay = f.rng.uniform(0, f.duplicate_delay_s)
        f.duplicated += 1

        async def copy() -> None:
            await asyncio.sleep(delay)
            # Its reply or error (a closed transaction, a channel closed at teardown) is
            # discarded, as a retry storm's would be.
            with contextlib.suppress(Exception):
                await (await continuation(details, request))

        task = asyncio.get_running_loop().create_task(copy())
        self.copies.add(task)
        task.add_done_callback(self.copies.discard)


class _Stream(_Faults, grpc.aio.UnaryStreamClientInterceptor):
    """Server-streaming RPCs (reads): BatchGetDocuments, RunQuery. A read is never duplicated:
    a copy could change nothing."""

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any,
                                     request: Any) -> Any:
        details, plan = self._plan(client_call_details)
        call = await continuation(details, request)
        if not (plan.cancel or plan.timeout or plan.after):
            return call

        async def drain() -> list[Any]:
            return [r async for r in call]

        return _replay(await self._receive(call, plan, drain))


async def _replay(replies: list[Any]) -> AsyncIterator[Any]:
    for r in replies:
        yield r


def interceptors(faults: ClientFaults) -> list[grpc.aio.ClientInterceptor]:
    return [_Unary(faults), _Stream(faults)]


def faultable_client(faults: ClientFaults | None, **kw: Any) -> Any:
    """A google-cloud-firestore AsyncClient whose gRPC channel carries the fault interceptors
    (``faults`` None: none; the channel is otherwise the same, reconnect backoff included).

    The SDK (2.34.1) makes its channel itself, with no parameter for interceptors (gRPC takes
    them only when a channel is made): the subclass makes the same channel with them, both the
    emulator's (insecure, the "owner" token the SDK sends) and the service's (through the
    transport's ``create_channel``, whose keywords reach ``grpc.aio.secure_channel``)."""
    from google.cloud.firestore import AsyncClient
    from google.cloud.firestore_v1.base_client import _GRPC_MSG_SIZE_OPTIONS

    chain = interceptors(faults) if faults is not None else None

    class Client(AsyncClient):
        def _emulator_channel(self, transport: Any) -> Any:
            options = [("Authorization", "Bearer owner"), *_GRPC_MSG_SIZE_OPTIONS,
                       *RECONNECT_OPTIONS]
            return grpc.aio.insecure_channel(self._emulator_host, options=options,
                                             interceptors=chain)

        def _firestore_api_helper(self, transport: Any, client_class: Any,
                                  client_module: Any) -> Any:
            # The SDK asks for its API on every request: once it is made, nothing to do (a
            # transport class made per request cost 2 % of a run's CPU).
            if self._firestore_api_internal is not None or chain is None:
                return super()._firestore_api_helper(transport, client_class, client_module)

            class Transport(transport):
                @classmethod
                def create_channel(cls, *args: Any, **kwargs: Any) -> Any:
                    return super().create_channel(*args, interceptors=chain, **kwargs)

            return super()._firestore_api_helper(Transport, client_class, client_module)

    return Client(**kw)
