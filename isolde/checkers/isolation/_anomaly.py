"""Anomalies as the isolation checkers find them, before they are rendered for people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Edge kinds, as bits so parallel edges between two transactions combine into one mask.
WW, WR, RW, PROCESS, REALTIME = 1, 2, 4, 8, 16
# Anti-dependencies that hold only if versions follow the process / real-time order of writes
# (rw-register's inferred version orders): they count as rw *and* as that order.
RW_PROCESS, RW_REALTIME = 32, 64
DATA = WW | WR | RW
RWISH = RW | RW_PROCESS | RW_REALTIME
PROCESSISH = PROCESS | RW_PROCESS
REALTIMEISH = REALTIME | RW_REALTIME
KIND_NAMES = {WW: "ww", WR: "wr", RW: "rw", PROCESS: "process", REALTIME: "realtime",
              RW_PROCESS: "rw-process", RW_REALTIME: "rw-realtime"}


@dataclass(frozen=True)
class Step:
    """One edge of a cycle: ``a`` must precede ``b`` because of ``kind`` (a single bit)."""

    a: int
    b: int
    kind: int


@dataclass
class Found:
    """An anomaly in terms of transaction numbers: its type, the transactions involved, and
    facts (key, values...) for the explanation. Cycle anomalies carry ``steps``."""

    type: str
    txns: tuple[int, ...]
    data: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
