"""The embedded store's simulated network while a nemesis fault is on.

The memory store has no wire, so the faults a wire would show are simulated here, around each
request: extra latency with jitter, a paused server (requests wait until it resumes), lost
responses (the request takes effect, the reply never comes, so the client times out and records
``info``) and duplicated requests (the same request applied again a little later, as a retry
storm delivers it). A request carrying an idempotency token (op field ``token``) is applied at
most once; a repeat gets the first completion back, as DynamoDB's ``ClientRequestToken`` does.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any, Protocol

from ...histories import Op

TOKEN_FIELD = "token"


class _Client(Protocol):
    rng: random.Random

    async def deliver(self, op: Op) -> Op: ...


class EmbeddedFaults:
    """Fault switches the nemesis flips; ``invoke`` runs one request through them."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(f"{seed}/embedded-faults")
        self.latency_ms = 0.0
        self.jitter_ms = 0.0
        self.lost_response_p = 0.0
        self.duplicate_p = 0.0
        self.duplicate_delay_ms = 50.0
        self._running = asyncio.Event()
        self._running.set()
        self._tokens: dict[Any, asyncio.Future[Op | None]] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self.duplicates_applied = 0

    @property
    def active(self) -> bool:
        """Whether any request needs to go through :meth:`invoke` (False keeps the fast path)."""
        return bool(self.latency_ms or self.lost_response_p or self.duplicate_p
                    or not self._running.is_set())

    # --- switches ------------------------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def clear(self) -> None:
        """Heal every network fault (idempotency tokens already seen are kept)."""
        self.latency_ms = self.jitter_ms = 0.0
        self.lost_response_p = self.duplicate_p = 0.0
        self.resume()

    async def drain(self) -> None:
        """Wait for delayed duplicates still on their way (so none lands after teardown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # --- the request path ----------------------------------------------------------------------
    async def _extra_latency(self) -> None:
        if self.latency_ms > 0:
            ms = max(0.0, self.latency_ms + self.rng.uniform(-self.jitter_ms, self.jitter_ms))
            await asyncio.sleep(ms / 2000.0)  # half each way

    async def _deliver_once(self, client: _Client, op: Op) -> Op:
        token = op.extra.get(TOKEN_FIELD)
        if token is None:
            return await client.deliver(op)
        first = self._tokens.get(token)
        if first is not None:  # a repeat, even one racing the first: the first's outcome
            done_first = await asyncio.shield(first)
            if done_first is not None:
                return done_first
            return await self._deliver_once(client, op)  # the first never finished: go on
        fut: asyncio.Future[Op | None] = asyncio.get_running_loop().create_future()
        self._tokens[token] = fut
        try:
            done = await client.deliver(op)
        except BaseException:
            del self._tokens[token]
            fut.set_result(None)
            raise
        fut.set_result(done)
        return done

    async def invoke(self, client: _Client, op: Op) -> Op:
        """Deliver ``op`` to the store through the simulated faulty network."""
        await self._extra_latency()
        await self._running.wait()  # a paused server holds the request
        dup = self.duplicate_p and self.rng.random() < self.duplicate_p
        if dup:  # the copy is on its way whatever becomes of the original
            delay = self.rng.uniform(0, self.duplicate_delay_ms) / 1000.0
            self._spawn(self._duplicate(client, op, delay))
        done = await self._deliver_once(client, op)
        if self.lost_response_p and self.rng.random() < self.lost_response_p:
            # The effect happened; the reply is lost: the client waits until its own timeout.
            await asyncio.get_running_loop().create_future()
        await self._running.wait()  # nor does a paused server reply
        await self._extra_latency()
        return done

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _duplicate(self, client: _Client, op: Op, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._running.wait()
        await self._deliver_once(client, op)
        self.duplicates_applied += 1
