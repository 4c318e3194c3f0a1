"""Client-path faults: they act inside the SDK client, so they work against any endpoint, a
cloud one included (where no proxy can be put in between).

A store that supports them has a ``client_faults`` attribute holding a :class:`ClientFaults`; it
calls :meth:`ClientFaults.attach` on each aiobotocore client it creates and runs each SDK call
through :meth:`ClientFaults.call`. While switched on:

- **throttle**: a share of requests is answered, without being sent, with DynamoDB's
  ``ProvisionedThroughputExceededException`` (HTTP 400), through botocore's ``before-send`` event
  hook — the store's retries (exponential backoff with jitter) must absorb it;
- **client-timeout**: every call gets a very short timeout (raises :class:`ClientTimeout`, a
  ``TimeoutError``: the request may have been applied, so the op is ``info``);
- **cancel**: a share of calls is cancelled just after the request was sent (raises
  :class:`CancelledAfterSend`, also a ``TimeoutError``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable
from typing import Any, TypeVar

import orjson

from ._base import BaseFault, Unsupported

T = TypeVar("T")

THROTTLE_CODE = "ProvisionedThroughputExceededException"


class ClientTimeout(TimeoutError):
    """The call outlived the injected per-call timeout (it may have taken effect)."""


class CancelledAfterSend(TimeoutError):
    """The call was cancelled after its request was sent (it may have taken effect)."""


class _Raw:
    """The body of an injected response, as aiobotocore reads it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self) -> bytes:
        return self.body


class ClientFaults:
    """Switches the nemesis flips and the store consults; counts what it injected."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(f"{seed}/client-faults")
        self.throttle_p = 0.0
        self.timeout_s: float | None = None
        self.cancel_p = 0.0
        self.cancel_delay_s = 0.002
        self.throttled = 0
        self.timeouts = 0
        self.cancelled = 0
        self._ours: set[asyncio.Task[Any]] = set()  # calls this object cancelled
        self._calls: set[asyncio.Task[Any]] = set()  # calls running under call()

    @property
    def active(self) -> bool:
        return bool(self.throttle_p or self.timeout_s or self.cancel_p)

    def clear(self) -> None:
        self.throttle_p = self.cancel_p = 0.0
        self.timeout_s = None

    # --- the hooks -------------------------------------------------------------------------------
    def attach(self, client: Any) -> None:
        """Register the ``before-send`` hook on an aiobotocore (or botocore) client."""
        client.meta.events.register_first("before-send.*.*", self._before_send)

    def _before_send(self, request: Any = None, **kwargs: Any) -> Any:
        if self.cancel_p and self.rng.random() < self.cancel_p:
            task = asyncio.current_task()
            if task is not None and task in self._calls:
                # Cancel once the request is on the wire: it may take effect, the reply is lost.
                self._ours.add(task)
                asyncio.get_running_loop().call_later(self.cancel_delay_s, task.cancel)
        if self.throttle_p and self.rng.random() < self.throttle_p:
            self.throttled += 1
            return _throttle_response(getattr(request, "url", ""))
        return None

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


def _throttle_response(url: str) -> Any:
    from aiobotocore.awsrequest import AioAWSResponse

    body = orjson.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{THROTTLE_CODE}",
                         "message": "The level of configured provisioned throughput for the "
                                    "table was exceeded (injected by the isolde nemesis)"})
    headers = {"x-amzn-RequestId": "isolde-nemesis", "Content-Type":
               "application/x-amz-json-1.0", "Content-Length": str(len(body))}
    return AioAWSResponse(url, 400, headers, _Raw(body))


# --- the faults the nemesis schedules ----------------------------------------------------------
def client_faults(store: Any) -> ClientFaults:
    cf = getattr(store, "client_faults", None)
    if not isinstance(cf, ClientFaults):
        raise Unsupported(f"store {store.name!r} has no SDK client to inject client-path faults "
                          "into (they are for the dynamodb stores)")
    return cf


class _ClientFault(BaseFault):

    def __init__(self, store: Any, options: Any) -> None:
        self.faults = client_faults(store)
        self.options = options

    def stop_value(self) -> Any:
        return {"healed": ["client"], "throttled": self.faults.throttled,
                "timeouts": self.faults.timeouts, "cancelled": self.faults.cancelled}


class Throttle(_ClientFault):
    name = "throttle"

    async def start(self, rng: random.Random) -> Any:
        self.faults.throttle_p = self.options.throttle_p
        return {"target": "client", "p": self.options.throttle_p, "error": THROTTLE_CODE}

    def heal_now(self) -> None:
        self.faults.throttle_p = 0.0


class ShortTimeout(_ClientFault):
    name = "client-timeout"

    async def start(self, rng: random.Random) -> Any:
        self.faults.timeout_s = self.options.client_timeout_s
        return {"target": "client", "timeout_s": self.options.client_timeout_s}

    def heal_now(self) -> None:
        self.faults.timeout_s = None


class Cancel(_ClientFault):
    name = "cancel"

    async def start(self, rng: random.Random) -> Any:
        self.faults.cancel_p = self.options.cancel_p
        return {"target": "client", "p": self.options.cancel_p}

    def heal_now(self) -> None:
        self.faults.cancel_p = 0.0


CLIENT_FAULTS: dict[str, type[_ClientFault]] = {
    "throttle": Throttle,
    "client-timeout": ShortTimeout,
    "cancel": Cancel,
}
