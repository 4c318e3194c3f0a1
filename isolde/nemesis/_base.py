"""The Fault protocol, the fault names, and the options every fault reads.

A fault is started and stopped by the nemesis schedule. ``start`` applies it and returns a value
naming its targets and magnitude (recorded in the history); ``stop`` heals it. ``heal_now`` is the
synchronous last resort used when the event loop is going away: it must leave nothing in place.
"""

from __future__ import annotations

import abc
import random
from dataclasses import dataclass
from typing import Any, Protocol


class Unsupported(Exception):
    """This store cannot take this fault; the message says why in one line."""


@dataclass(frozen=True)
class NemesisOptions:
    """Knobs of the faults (magnitudes are drawn per start from the seeded schedule)."""

    interval: float = 3.0  # seconds between a fault's start and stop, and between faults
    seed: int = 0
    latency_ms: tuple[float, float] = (50.0, 300.0)  # added round trip, drawn per start
    jitter: float = 0.5  # jitter as a fraction of the latency
    lost_response_p: float = 0.3  # share of replies dropped while lost-response is on
    duplicate_p: float = 0.5  # share of requests delivered twice while duplicate is on
    duplicate_delay_ms: float = 100.0  # the copy arrives up to this much later
    reset_p: float = 0.3  # share of requests whose connection is reset
    throttle_p: float = 0.5  # share of SDK calls answered with a throttling error
    client_timeout_s: float = 0.05  # per-call timeout while client-timeout is on
    cancel_p: float = 0.3  # share of SDK calls cancelled just after they were sent
    unavailable_p: float = 0.3  # share of SDK calls ended in the store's "unavailable" error
    lag_spike_ms: tuple[float, float] = (200.0, 2000.0)
    clock_skew_ms: tuple[float, float] = (100.0, 2000.0)  # magnitude; the sign is drawn too
    partition_via: str = "proxy"  # or "nftables" for managed emulators


class Fault(Protocol):
    """One kind of fault bound to one store."""

    name: str

    async def start(self, rng: random.Random) -> Any: ...

    async def stop(self) -> Any: ...

    def heal_now(self) -> None: ...


class BaseFault(abc.ABC):
    """The common shape: ``stop`` heals synchronously and reports :meth:`stop_value`."""

    name = ""

    @abc.abstractmethod
    async def start(self, rng: random.Random) -> Any: ...

    @abc.abstractmethod
    def heal_now(self) -> None: ...

    def stop_value(self) -> Any:
        return {"healed": True}

    async def stop(self) -> Any:
        self.heal_now()
        return self.stop_value()


# The fault names, in the order `--nemesis` documents them, each with a one-line meaning.
FAULT_NAMES: dict[str, str] = {
    "kill": "kill -9 the store's process, restart it at the fault's end",
    "pause": "SIGSTOP the store's process (or freeze the embedded store), resume at the end",
    "partition": "cut a replica (embedded) or the client-store link (proxy/nftables)",
    "latency": "add round-trip latency with jitter",
    "lost-response": "deliver requests but drop some replies (the client times out: info)",
    "duplicate": "deliver some requests twice, the copy a little later (a retry storm)",
    "reset": "reset the connection of some requests (before or after delivery)",
    "throttle": "answer some SDK calls with a throttling error (the SDK retries with backoff)",
    "client-timeout": "give every SDK call a very short timeout (ops end as info)",
    "cancel": "cancel some SDK calls just after they were sent (ops end as info)",
    "unavailable": "end some SDK calls in UNAVAILABLE, before sending or after the reply "
                   "(gRPC stores; ops end as info)",
    "lag-spike": "make replication lag spike (embedded store)",
    "clock-skew": "skew one replica's clock (embedded store with --writers lww)",
}
