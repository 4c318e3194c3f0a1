"""The results.json document of a checked history: the checkers' composed verdict, the fault
windows, and for each anomaly the fault windows it fell in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..checkers import Result, compose
from ..histories import History
from ..nemesis import FaultWindow, fault_summary, fault_windows


def check_results(history: History, results: Mapping[str, Result]) -> dict[str, Any]:
    """``compose(results)``, plus ``faults`` (the windows) and, on every anomaly,
    ``fault_windows`` when the history has nemesis ops: the windows (indices into
    ``faults.windows``) its ops' span overlaps, empty when it fell outside every window."""
    out = compose(results)
    faults = fault_summary(history)
    if faults is None:
        return out
    out["faults"] = faults
    windows = fault_windows(history)
    for r in out["checkers"].values():
        for a in r.get("anomalies", []):
            span = _span(history, a.get("ops", []))
            if span is not None:
                a["fault_windows"] = _overlapping(windows, *span)
    return out


def _span(history: History, ops: list[Any]) -> tuple[int, int] | None:
    """From the first to the last instant of the anomaly's ops (invocations and completions);
    None for an anomaly about no op in particular (an SLA, say)."""
    times: list[int] = []
    for i in ops:
        if isinstance(i, int) and 0 <= i < len(history):
            times.append(history.times[i])
            j = history.pair(i)
            if j >= 0:
                times.append(history.times[j])
    return (min(times), max(times)) if times else None


def _overlapping(windows: list[FaultWindow], start: int, end: int) -> list[dict[str, Any]]:
    return [{"window": n, "fault": w.fault} for n, w in enumerate(windows)
            if w.start <= end and start <= w.end]
