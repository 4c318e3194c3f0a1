"""Faults on the embedded ``memory`` store: partitions of the primary or a replica, replication
lag spikes, clock skew (``--writers lww``), and its simulated network (latency, pause, lost
responses, duplicated requests; see :mod:`isolde.harness.stores._faulty`)."""

from __future__ import annotations

import random
from typing import Any

from ..harness import Store
from ..harness.stores._faulty import EmbeddedFaults
from ..harness.stores.memory import MemoryStore
from ._base import BaseFault, NemesisOptions, Unsupported


def embedded(store: Store) -> MemoryStore | None:
    return store if isinstance(store, MemoryStore) else None


class _EmbeddedFault(BaseFault):

    def __init__(self, store: MemoryStore, options: NemesisOptions) -> None:
        self.store = store
        self.options = options

    @property
    def faults(self) -> EmbeddedFaults:
        return self.store.faults


class Partition(_EmbeddedFault):
    """Cut one node off. Single primary: ``primary`` (every replication link of the primary, so
    all followers fall behind) or one follower. ``--writers lww``: one replica, both ways."""

    name = "partition"

    def __init__(self, store: MemoryStore, options: NemesisOptions) -> None:
        super().__init__(store, options)
        if store.options.replicas < 2:
            raise Unsupported("partition needs at least two replicas (--replicas 2 or more)")
        self.cut: list[int] = []

    def _targets(self) -> list[str]:
        n = self.store.options.replicas
        if self.store.lww is not None:
            return [f"replica-{r}" for r in range(n)]
        return ["primary", *(f"replica-{r}" for r in range(1, n))]

    async def start(self, rng: random.Random) -> Any:
        target = rng.choice(self._targets())
        now = self.store.now()
        if self.store.lww is not None:
            self.cut = [int(target.rsplit("-", 1)[1])]
            self.store.lww.isolate(self.cut[0], now)
        else:
            followers = len(self.store.data.followers)
            # Follower i of the replicated log is replica i+1 (replica 0 is the primary).
            self.cut = (list(range(followers)) if target == "primary"
                        else [int(target.rsplit("-", 1)[1]) - 1])
            for f in self.cut:
                self.store.data.isolate(f, now)
        return {"isolated": [target]}

    def stop_value(self) -> Any:
        return {"healed": True}

    def heal_now(self) -> None:
        now = self.store.now()
        for f in self.cut:
            if self.store.lww is not None:
                self.store.lww.heal(f, now)
            else:
                self.store.data.heal(f, now)
        self.cut = []


class LagSpike(_EmbeddedFault):
    """Every write committed during the fault reaches the followers this much later."""

    name = "lag-spike"

    def __init__(self, store: MemoryStore, options: NemesisOptions) -> None:
        super().__init__(store, options)
        if store.options.replicas < 2:
            raise Unsupported("lag-spike needs at least two replicas (--replicas 2 or more)")

    def _lags(self) -> list[Any]:
        lags = [self.store.data.lag]
        if self.store.lww is not None:
            lags.append(self.store.lww.lag)
        return lags

    async def start(self, rng: random.Random) -> Any:
        ms = round(rng.uniform(*self.options.lag_spike_ms), 1)
        for lag in self._lags():
            lag.spike_ms = ms
        return {"replicas": "all", "spike_ms": ms}

    def stop_value(self) -> Any:
        return {"spike_ms": 0}

    def heal_now(self) -> None:
        for lag in self._lags():
            lag.spike_ms = 0.0


class ClockSkew(_EmbeddedFault):
    """One replica's clock runs ahead of or behind true time; its writes carry skewed stamps."""

    name = "clock-skew"

    def __init__(self, store: MemoryStore, options: NemesisOptions) -> None:
        super().__init__(store, options)
        if store.lww is None:
            raise Unsupported("clock-skew needs --writers lww (with a single primary, clocks "
                              "order nothing)")

    async def start(self, rng: random.Random) -> Any:
        assert self.store.lww is not None
        replica = rng.randrange(self.store.lww.n)
        ms = round(rng.uniform(*self.options.clock_skew_ms), 1) * rng.choice((-1, 1))
        self.store.lww.set_skew(replica, ms)
        return {"replica": f"replica-{replica}", "skew_ms": ms}

    def stop_value(self) -> Any:
        return {"skew_ms": 0}

    def heal_now(self) -> None:
        if self.store.lww is not None:
            self.store.lww.clear_skew()


class Latency(_EmbeddedFault):
    name = "latency"

    async def start(self, rng: random.Random) -> Any:
        ms = round(rng.uniform(*self.options.latency_ms), 1)
        self.faults.latency_ms = ms
        self.faults.jitter_ms = ms * self.options.jitter
        return {"target": "store", "latency_ms": ms, "jitter_ms": ms * self.options.jitter}

    def stop_value(self) -> Any:
        return {"latency_ms": 0}

    def heal_now(self) -> None:
        self.faults.latency_ms = self.faults.jitter_ms = 0.0


class Pause(_EmbeddedFault):
    """The whole store freezes (as under SIGSTOP): requests and replies wait for the resume."""

    name = "pause"

    async def start(self, rng: random.Random) -> Any:
        self.faults.pause()
        return {"paused": ["store"]}

    def stop_value(self) -> Any:
        return {"resumed": ["store"]}

    def heal_now(self) -> None:
        self.faults.resume()


class LostResponse(_EmbeddedFault):
    name = "lost-response"

    async def start(self, rng: random.Random) -> Any:
        self.faults.lost_response_p = self.options.lost_response_p
        return {"target": "store", "p": self.options.lost_response_p}

    def stop_value(self) -> Any:
        return {"p": 0}

    def heal_now(self) -> None:
        self.faults.lost_response_p = 0.0


class Duplicate(_EmbeddedFault):
    name = "duplicate"

    async def start(self, rng: random.Random) -> Any:
        self.faults.duplicate_p = self.options.duplicate_p
        self.faults.duplicate_delay_ms = self.options.duplicate_delay_ms
        return {"target": "store", "p": self.options.duplicate_p,
                "max_delay_ms": self.options.duplicate_delay_ms}

    async def stop(self) -> Any:
        self.heal_now()
        await self.faults.drain()  # copies still on their way land inside the window
        return {"p": 0}

    def heal_now(self) -> None:
        self.faults.duplicate_p = 0.0


EMBEDDED_FAULTS: dict[str, type[_EmbeddedFault]] = {
    "partition": Partition,
    "pause": Pause,
    "latency": Latency,
    "lost-response": LostResponse,
    "duplicate": Duplicate,
    "lag-spike": LagSpike,
    "clock-skew": ClockSkew,
}

NOT_EMBEDDED = {
    "kill": "the memory store lives inside the isolde process: there is no process to kill",
    "reset": "the memory store has no connections to reset",
    "throttle": "throttling is injected through an SDK's hooks (a store with an SDK client)",
    "client-timeout": "client-path faults need an SDK client (a store with one)",
    "cancel": "client-path faults need an SDK client (a store with one)",
    "unavailable": "client-path faults need an SDK client (a store with one)",
}


def embedded_fault(name: str, store: MemoryStore, options: NemesisOptions) -> _EmbeddedFault:
    cls = EMBEDDED_FAULTS.get(name)
    if cls is None:
        raise Unsupported(NOT_EMBEDDED.get(name, f"no such fault {name!r}"))
    return cls(store, options)
