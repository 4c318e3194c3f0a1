"""The memory store's change stream: a per-store log of committed writes, delivered to the
consumer through at most one fault mode, so the change-stream checker is tested against ground
truth (``injected`` counts what the fault did).

Fault modes, each hitting a share ``rate`` of records (drawn from the run's seed):

- ``drop``: the record is never delivered;
- ``duplicate``: the record is delivered twice, back to back;
- ``reorder``: the record is held back and delivered just after the key's next record (a record
  whose key sees no further write within ``HOLD_MS`` is released in place, and not counted);
- ``delay``: every record is delivered ``delay_ms`` late (a slow stream: lag, not loss).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from .._store import StreamEvent

STREAM_FAULTS = ("none", "drop", "duplicate", "reorder", "delay")
HOLD_MS = 50.0


def image(value: Any) -> Any:
    """The new image a record carries: lists (kept as tuples in the log) as lists."""
    return list(value) if isinstance(value, tuple) else value


class MemoryStream:
    """Records in delivery order with the time each is due; one consumer takes them."""

    def __init__(self, fault: str, rate: float, delay_ms: float, seed: int,
                 clock: Callable[[], int]) -> None:
        if fault not in STREAM_FAULTS:
            raise ValueError(f"unknown stream fault {fault!r}")
        self.fault = fault
        self.rate = rate
        self.delay_ns = int(delay_ms * 1e6) if fault == "delay" else 0
        self.rng = random.Random(f"{seed}/stream")
        self.clock = clock
        self.due: deque[tuple[int, StreamEvent]] = deque()  # due times never decrease
        self.held: dict[Any, tuple[int, StreamEvent]] = {}  # reorder: key -> (held at, record)
        self.injected: Counter[str] = Counter()

    def commit(self, key: Any, value: Any, pos: int, now: int) -> None:
        """The store committed ``value`` to ``key`` at log position ``pos``."""
        ev = StreamEvent(key, image(value), pos)
        hit = self.fault in ("drop", "duplicate", "reorder") and self.rng.random() < self.rate
        held = self.held.pop(key, None)
        if hit and self.fault == "drop":
            self.injected["drop"] += 1
        elif hit and self.fault == "reorder" and held is None:
            self.held[key] = (now, ev)
        else:
            self._deliver(ev, now)
            if hit and self.fault == "duplicate":
                self.injected["duplicate"] += 1
                self._deliver(ev, now)
        if held is not None:  # the key's next record went first
            self.injected["reorder"] += 1
            self._deliver(held[1], now)

    def _deliver(self, ev: StreamEvent, now: int) -> None:
        at = now + self.delay_ns
        if self.due and self.due[-1][0] > at:
            at = self.due[-1][0]
        self.due.append((at, ev))

    def _release_stale(self, now: int) -> None:
        limit = now - int(HOLD_MS * 1e6)
        for key, (at, ev) in list(self.held.items()):
            if at <= limit:
                del self.held[key]
                self._deliver(ev, now)

    async def poll(self) -> list[StreamEvent]:
        now = self.clock()
        self._release_stale(now)
        out: list[StreamEvent] = []
        while self.due and self.due[0][0] <= now:
            out.append(self.due.popleft()[1])
        return out

    async def close(self) -> None:
        return None
