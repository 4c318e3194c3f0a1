"""Fault windows: when each fault was in place, computed from the nemesis ops of a history."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from ..histories import NEMESIS, History


@dataclass(frozen=True)
class FaultWindow:
    """``fault`` was (possibly) in place from ``start`` (its start's invocation) to ``end`` (its
    stop's completion), in ns since the run started; ``healed`` is False if it never stopped."""

    fault: str
    start: int
    end: int
    value: Any
    healed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"fault": self.fault, "start_s": round(self.start / 1e9, 3),
                "end_s": round(self.end / 1e9, 3), "value": self.value, "healed": self.healed}


def fault_windows(history: History) -> list[FaultWindow]:
    """The fault windows of ``history`` in start order (conservatively wide: from the start's
    invocation to the stop's completion; a fault never stopped lasts to the last op)."""
    last = history.times[-1] if len(history) else 0
    open_: dict[str, tuple[int, Any]] = {}
    out: list[FaultWindow] = []
    for i, p in enumerate(history.processes):
        if p != NEMESIS:
            continue
        f, t, typ = history.fs[i], history.times[i], history.types[i]
        if f.startswith("start-") and typ == 0:
            done = history.completion(i)
            open_[f[6:]] = (t, done.value if done is not None else None)
        elif f.startswith("stop-") and typ != 0 and f[5:] in open_:
            start, value = open_.pop(f[5:])
            out.append(FaultWindow(f[5:], start, t, value, healed=True))
    for name, (start, value) in open_.items():
        out.append(FaultWindow(name, start, last, value, healed=False))
    out.sort(key=lambda w: w.start)
    return out


class WindowIndex:
    """Answers "was a fault in place at time t?" in O(log n) over merged windows."""

    def __init__(self, windows: list[FaultWindow]) -> None:
        merged: list[list[int]] = []
        for w in sorted(windows, key=lambda w: w.start):
            if merged and w.start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], w.end)
            else:
                merged.append([w.start, w.end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def covers(self, t: int) -> bool:
        i = bisect.bisect_right(self.starts, t) - 1
        return i >= 0 and t <= self.ends[i]



def fault_summary(history: History) -> dict[str, Any] | None:
    """For results.json and reports: the windows, seconds under each fault, all healed or not;
    None when the history has no nemesis ops."""
    windows = fault_windows(history)
    if not windows and NEMESIS not in history.processes:
        return None
    by_fault: dict[str, dict[str, float]] = {}
    for w in windows:
        b = by_fault.setdefault(w.fault, {"count": 0, "seconds": 0.0})
        b["count"] += 1
        b["seconds"] = round(b["seconds"] + (w.end - w.start) / 1e9, 3)
    failed = sum(1 for i, p in enumerate(history.processes)
                 if p == NEMESIS and history.types[i] == 3)
    return {"windows": [w.to_dict() for w in windows], "by_fault": by_fault,
            "healed": all(w.healed for w in windows), "failed_actions": failed}
