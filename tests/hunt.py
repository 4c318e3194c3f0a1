"""Hunting a race: seeds, one after another, until the bug shows or the time is spent.

Some tests find a real bug that only a race exposes (a lost write read back after a restart, a
late duplicate landing after a newer write). One short run finds it nearly always on a quiet
machine; on a busy one (CI's two cores, a suite running beside other work) a run gets fewer ops
done and can miss it. A fixed handful of seeds is then a coin toss; a time budget is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def hunt(run: Callable[[int], T], found: Callable[[T], bool], first_seed: int = 0,
         budget_s: float = 120.0) -> T:
    """``run(seed)`` for seeds from ``first_seed`` on, until ``found`` holds of the result or
    ``budget_s`` seconds have passed; the last result, for the test's own assertions."""
    deadline = time.monotonic() + budget_s
    seed = first_seed
    while True:
        out = run(seed)
        if found(out) or time.monotonic() > deadline:
            return out
        seed += 1
