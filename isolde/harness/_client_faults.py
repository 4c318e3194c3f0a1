"""Client-path faults, the store's side: the switches the nemesis flips and an SDK store consults.

They act inside the SDK client, so they work against any endpoint, a cloud one included (where
no proxy can be put in between). A store offering them (the :class:`ClientFaultable` protocol)
holds a :class:`ClientFaults`, calls :meth:`ClientFaults.on_send` from its SDK's hook run just
before a request goes out (botocore's ``before-send`` event, an azure-core pipeline policy, a
gRPC interceptor...), answers the request itself with its SDK's throttling error when that says
so, and runs each SDK call through :meth:`ClientFaults.call`. While switched on:

- **throttle**: a share of requests is answered, unsent, with the store's throttling error
  (``throttle_error`` names it in the history) — the store's retries must absorb it;
- **client-timeout**: every call gets a very short timeout (raises :class:`ClientTimeout`, a
  ``TimeoutError``: the request may have been applied, so the op is ``info``);
- **cancel**: a share of calls is cancelled just after the request was sent (raises
  :class:`CancelledAfterSend`, also a ``TimeoutError``).

A store whose hook sees each request and its reply (``wire=True``: a gRPC interceptor does)
applies the timeout and the cancel there instead of in :meth:`ClientFaults.call`, and takes three
faults more, decided per request with :meth:`ClientFaults.chance`:

- **unavailable**: a share of requests ends in the store's "unavailable" error, before the
  request is sent or after its reply came (it may have been applied: ``info``);
- **lost-response**: a share of requests is sent and its reply dropped (``info``);
- **duplicate**: a share of requests is also sent again, a little later, its reply discarded.

A hook costs on every request even while every switch is off (a gRPC interceptor turns each call
into an intercepted one: more tasks, more allocations). So the nemesis says, as it sets up, that
it will flip switches (:meth:`ClientFaults.schedule`, before the store's clients open), and a
store may open its clients without the hooks when nothing was scheduled
(:meth:`ClientFaults.needs_hooks`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class ClientTimeout(TimeoutError):
    """The call outlived the injected per-call timeout (it may have taken effect)."""


class CancelledAfterSend(TimeoutError):
    """The call was cancelled after its request was sent (it may have taken effect)."""


class ClientFaults:
    """Switches the nemesis flips and the store consults; counts what it injected."""

    def __init__(self, seed: int = 0, throttle_error: str = "throttled",
                 wire: bool = False) -> None:
        self.rng = random.Random(f"{seed}/client-faults")
        self.throttle_error = throttle_error
        self.wire = wire  # the store's hook takes unavailable, lost-response and duplicate
        self.throttle_p = 0.0
        self.timeout_s: float | None = None
        self.cancel_p = 0.0
        self.cancel_delay_s = 0.002
        self.unavailable_p = 0.0
        self.lost_p = 0.0
        self.duplicate_p = 0.0
        self.duplicate_delay_s = 0.1  # the copy is sent up to this much later
        self.throttled = 0
        self.timeouts = 0
        self.cancelled = 0
        self.unavailable = 0
        self.lost = 0
        self.duplicated = 0
        self.scheduled = False  # the run's nemesis will flip switches (see schedule())
        self._hookless = False  # a client was opened without the hooks (see needs_hooks())
        self._ours: set[asyncio.Task[Any]] = set()  # calls this object cancelled
        self._calls: set[asyncio.Task[Any]] = set()  # calls running under call()

    @property
    def active(self) -> bool:
        return bool(self.throttle_p or self.timeout_s or self.cancel_p or self.unavailable_p
                    or self.lost_p or self.duplicate_p)

    def schedule(self) -> None:
        """Say that switches will be flipped in this run: the nemesis does, as it sets up (after
        the store's setup, before its clients open). Refused once a client was opened without
        the hooks: its requests would silently never see a fault."""
        if self._hookless:
            raise RuntimeError("client faults scheduled after a client was opened without "
                               "their hooks")
        self.scheduled = True

    def needs_hooks(self) -> bool:
        """Whether a client the store opens now must carry the hooks: only when faults were
        scheduled. A store asks as it opens a client, and honours the answer."""
        self._hookless = self._hookless or not self.scheduled
        return self.scheduled

    def clear(self) -> None:
        self.throttle_p = self.cancel_p = self.unavailable_p = self.lost_p = 0.0
        self.duplicate_p = 0.0
        self.timeout_s = None

    def chance(self, p: float) -> bool:
        """One seeded draw: True with probability ``p`` (no draw at all while ``p`` is 0, so
        switching one fault on does not change the draws of the others' runs)."""
        return bool(p) and self.rng.random() < p

    def on_send(self) -> bool:
        """Called by the SDK hook as a request is about to be sent: maybe arranges for the call
        to be cancelled once the request is on the wire; True when the store must answer this
        request with its throttling error instead of sending it."""
        if self.cancel_p and self.rng.random() < self.cancel_p:
            task = asyncio.current_task()
            if task is not None and task in self._calls:
                # Cancel once the request is on the wire: it may take effect, the reply is lost.
                self._ours.add(task)
                asyncio.get_running_loop().call_later(self.cancel_delay_s, task.cancel)
        if self.throttle_p and self.rng.random() < self.throttle_p:
            self.throttled += 1
            return True
        return False

    async def call(self, aw: Awaitable[T]) -> T:
        """Await one SDK call under the active timeout and cancellation faults."""
        if not (self.timeout_s or self.cancel_p):
            return await aw
        task: asyncio.Task[T] = asyncio.ensure_future(aw)
        self._calls.add(task)
        try:
            if self.timeout_s:
                try:
                    return await asyncio.wait_for(asyncio.shield(task), self.timeout_s)
                except TimeoutError:
                    task.cancel()
                    self.timeouts += 1
                    raise ClientTimeout(f"client-side timeout after {self.timeout_s}s") from None
            return await task
        except asyncio.CancelledError:
            if task in self._ours and not _outer_cancelling():
                self.cancelled += 1
                raise CancelledAfterSend("cancelled after the request was sent") from None
            raise
        finally:
            self._calls.discard(task)
            self._ours.discard(task)


def _outer_cancelling() -> bool:
    """Whether the awaiting task itself is being cancelled (then the cancel is not ours)."""
    me = asyncio.current_task()
    return bool(me is not None and me.cancelling())
