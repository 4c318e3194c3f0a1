"""The embedded ``memory`` store: in-process, replicated, with per-op read consistency.

Single-key ops (``read``/``write``/``cas`` on Jepsen independent tuples ``[k, v]``) and
transactions (``txn`` of micro-ops ``["r", k, None]``, ``["w", k, v]``, ``["append", k, v]``)
run at the primary; reads choose a replica by the op's ``consistency`` field (see
:mod:`._replicated`). Clients run transactions (and bank ops) through :mod:`._txn` under the
store's ``isolation`` mode; :meth:`MemoryClient.apply` runs one atomically (serializable).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from ..._errors import UsageError
from ...histories import Op
from .._options import (
    at_most,
    fraction,
    nonnegative_float,
    option,
    positive_float,
    positive_int,
)
from .._plugin import StoreContext, StoreSpec
from .._store import MIXED, READ_MODES
from ._faulty import EmbeddedFaults
from ._lww import LWWReplicas
from ._outbox import PublishFailed, bad_outbox_transfer, dual_write, wants_outbox
from ._replicated import Lag, ReplicatedLog
from ._stream import STREAM_FAULTS, MemoryStream
from ._txn import ISOLATION_MODES, TxnEngine, handles

WRITERS = ("primary", "lww")
MAX_REPLICAS = 100  # a run sets them all up before its first op
CAPABILITIES = frozenset({"register", "cas", "txn", "read-modes", "multi-key-read", "bank",
                          "outbox", "change-stream"})
STREAM = frozenset({"change-stream"})


@dataclass
class MemoryOptions:
    replicas: int = option(3, f"primary + followers, at most {MAX_REPLICAS}",
                           parse=at_most(MAX_REPLICAS))
    lag_ms: float = option(5.0, "mean replication lag in ms (exponential)",
                           parse=nonnegative_float)
    lag_kind: str = "exponential"
    # The simulated client<->store round trip, split around the effect.
    latency_ms: float = option(0.5, "mean simulated client round trip in ms",
                               parse=nonnegative_float)
    bounded_versions: int = option(10, "bounded staleness: max versions behind",
                                   parse=positive_int)
    bounded_ms: float = option(100.0, "bounded staleness: max ms behind", parse=positive_float)
    default_read: str = "strong"  # the read mode of an op without a ``consistency`` field
    seed: int = 0
    isolation: str = option("serializable", "transaction isolation", choices=ISOLATION_MODES,
                            for_needs=frozenset({"txn", "bank"}))
    writers: str = option("primary", "primary (one writer) or lww (every replica writes, last "
                          "writer wins)", choices=WRITERS)
    stream_fault: str = option("none", "change-stream fault", choices=STREAM_FAULTS,
                               for_needs=STREAM)
    stream_fault_rate: float = option(0.1, "share of change-stream records the drop, duplicate "
                                      "or reorder fault hits", parse=fraction, for_needs=STREAM)
    stream_delay_ms: float = option(200.0, "how late the delay fault delivers every record",
                                    parse=nonnegative_float, for_needs=STREAM)

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise UsageError("--replicas must be at least 1")
        if self.default_read not in READ_MODES:
            raise UsageError(f"unknown read consistency {self.default_read!r}")
        if self.writers not in WRITERS:
            raise UsageError(f"unknown --writers {self.writers!r} (known: {', '.join(WRITERS)})")
        if self.stream_fault not in STREAM_FAULTS:
            raise UsageError(f"unknown --stream-fault {self.stream_fault!r} "
                             f"(known: {', '.join(STREAM_FAULTS)})")


class MemoryStore:
    """An in-process store whose guarantees are exact, so checkers can be tested against it."""

    name = "memory"
    capabilities = CAPABILITIES

    def __init__(self, options: MemoryOptions | None = None) -> None:
        self.options = o = options or MemoryOptions()
        self.data = ReplicatedLog(
            followers=o.replicas - 1,
            lag=Lag(o.lag_ms, o.lag_kind),
            seed=o.seed,
            bounded_versions=o.bounded_versions,
            bounded_ms=o.bounded_ms,
        )
        self.sessions: dict[Any, int] = {}  # process -> highest version seen or written
        self.txns = TxnEngine(self.data, o.isolation, self.now, self.sessions)
        self.faults = EmbeddedFaults(o.seed)  # switched by the nemesis (see ._faulty)
        self.lww: LWWReplicas | None = None
        if o.writers == "lww":  # writes bypass the log (and so its change stream)
            self.lww = LWWReplicas(o.replicas, Lag(o.lag_ms, o.lag_kind), o.seed)
            self.capabilities = frozenset({"register", "cas", "read-modes"})
        self.stream: MemoryStream | None = None

    def enable_stream(self) -> None:
        """Log every commit from now on as a change-stream record (:class:`Streaming`)."""
        o = self.options
        self.stream = MemoryStream(o.stream_fault, o.stream_fault_rate, o.stream_delay_ms,
                                   o.seed, self.now)
        self.data.on_commit = self.stream.commit

    async def open_stream(self) -> MemoryStream:
        if self.stream is None:
            raise RuntimeError("open_stream before enable_stream")
        return self.stream

    def stream_promises(self) -> dict[str, Any]:
        """Like DynamoDB Streams: each commit once, in commit order per key (the stream faults
        break this on purpose)."""
        return {"stream_exactly_once": True, "stream_ordered_per_key": True}

    def read_promises(self) -> dict[str, Any]:
        """Bounded reads stay within these (the read-promises checker holds them to it)."""
        return {"bounded_versions": self.options.bounded_versions,
                "bounded_ms": self.options.bounded_ms}

    def forget(self, keys: Container[Any]) -> None:
        """A soak's segment is over (:class:`isolde.harness.Forgetting`): drop ``keys`` and the
        sessions. The next segment's processes start afresh (the runner numbers them from 0
        again), and a token from an old process would only make its reads more conservative,
        but one entry per process that ever crashed an op is a soak's slow leak."""
        self.data.forget(keys)
        if self.lww is not None:
            self.lww.forget(keys, self.now())
        self.sessions.clear()

    async def setup(self) -> None:
        return None

    async def teardown(self) -> None:
        return None

    async def open_client(self, worker: int) -> MemoryClient:
        return MemoryClient(self, random.Random(f"{self.options.seed}/client/{worker}"))

    def now(self) -> int:
        return time.monotonic_ns()


class MemoryClient:
    def __init__(self, store: MemoryStore, rng: random.Random) -> None:
        self.store = store
        self.rng = rng

    async def close(self) -> None:
        return None

    async def _delay(self) -> None:
        lat = self.store.options.latency_ms
        if lat > 0:
            await asyncio.sleep(self.rng.expovariate(2.0 / lat) / 1000.0)
        else:
            await asyncio.sleep(0)  # still yield, so concurrent workers interleave

    async def invoke(self, op: Op) -> Op:
        if wants_outbox(op):
            error = bad_outbox_transfer(op)
            if error is not None:
                return op.complete("fail", op.value, error=error)
            if op.extra["outbox"] == "separate":  # two requests, each through the network
                return await dual_write(op, lambda: self._request(op),
                                        lambda rec: self._publish(op, rec), str)
        return await self._request(op)

    async def _request(self, op: Op) -> Op:
        if self.store.faults.active:  # through the nemesis's simulated network
            return await self.store.faults.invoke(self, op)
        return await self.deliver(op)

    async def _publish(self, transfer: Op, record: dict[str, Any]) -> None:
        """The control's outbox write: a request of its own, without the transfer's token."""
        done = await self._request(transfer.with_(f="publish", value=record, extra={}))
        if done.type != "ok":
            raise PublishFailed(done.error)

    async def deliver(self, op: Op) -> Op:
        """The request's trip to the store and back, and its effect."""
        if handles(op) and self.store.lww is None:
            # transactions (and bank ops) span awaits under the isolation mode
            return await self.store.txns.invoke(op, self._delay)
        await self._delay()
        done = self.apply(op)
        await self._delay()
        return done

    def apply(self, op: Op) -> Op:
        """Perform ``op`` atomically at this instant; return its completion."""
        s = self.store
        data = s.data
        now = s.now()
        f, v = op.f, op.value
        token = s.sessions.get(op.process, -1)
        if s.lww is not None:
            return s.lww.apply(op, now, self.rng)
        if f == "txn":
            return self._txn(op, now)
        if not (isinstance(v, (list, tuple)) and len(v) == 2):
            return op.complete("fail", v, error="bad-value")
        k, arg = v
        if f == "read":
            mode = op.extra.get("consistency", s.options.default_read)
            if mode not in READ_MODES:
                return op.complete("fail", v, error=f"unknown consistency {mode}")
            pos, val = data.read(k, mode, now, token)
            if pos > token:
                s.sessions[op.process] = pos
            return op.complete("ok", [k, val])
        if f == "write":
            pos = data.append(k, arg, now)
            s.sessions[op.process] = pos
            return op.complete("ok", v)
        if f == "cas":
            if not (isinstance(arg, (list, tuple)) and len(arg) == 2):
                return op.complete("fail", v, error="bad-value")
            old, new = arg
            _, cur = data.latest(k)
            if cur != old:
                return op.complete("fail", v, error="precondition-failed")
            s.sessions[op.process] = data.append(k, new, now)
            return op.complete("ok", v)
        return op.complete("fail", v, error=f"unsupported f {f!r}")

    def _txn(self, op: Op, now: int) -> Op:
        data = self.store.data
        writes: dict[Any, Any] = {}
        out = []
        for mop in op.value:
            kind, k, arg = mop
            if kind == "r":
                val = writes[k] if k in writes else data.latest(k)[1]
                out.append(["r", k, list(val) if isinstance(val, tuple) else val])
            elif kind == "w":
                writes[k] = arg
                out.append(mop)
            elif kind == "append":
                cur = writes[k] if k in writes else data.latest(k)[1]
                writes[k] = (*(cur or ()), arg)
                out.append(mop)
            else:
                return op.complete("fail", op.value, error=f"unknown micro-op {kind!r}")
        pos = -1
        for k, val in writes.items():
            pos = data.append(k, val, now)
        if pos >= 0:
            self.store.sessions[op.process] = pos
        return op.complete("ok", out)


def _build(options: MemoryOptions, context: StoreContext) -> MemoryStore:
    """The store for a run: the run's seed, and its read consistency as the default read."""
    rc = context.read_consistency
    default_read = options.default_read if rc == MIXED else rc
    return MemoryStore(dataclasses.replace(options, seed=context.seed, default_read=default_read))


SPEC = StoreSpec(
    name="memory",
    summary="embedded, in-process: replicated, five read modes, four isolation levels; the "
            "checkers' ground truth",
    options=MemoryOptions,
    build=_build,
    capabilities=CAPABILITIES,
    read_modes=READ_MODES,
    faults=("pause", "partition", "latency", "lost-response", "duplicate", "lag-spike",
            "clock-skew"),
)
