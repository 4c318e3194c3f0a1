"""The ``stats`` checker: counts per f and type, error kinds, latency quantiles per f, and the
abort rate of the ops a store tried more than once. A history without times (Porcupine's logs)
has no latency or throughput: they are left out, and ``untimed`` says why."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from ..histories import INFO, INVOKE, NEMESIS, OK, History
from ..histories._op import OP_TYPES
from ._base import CheckConfig
from ._result import Result


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of an ascending list (q in [0, 1]); 0 for an empty list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


UNTIMED = ("no times in this history (its ops are timed by their position): no latency or "
           "throughput")

# Error kinds of an attempt that lost a conflict and did not commit: Firestore's ABORTED,
# DynamoDB's TransactionConflict, the embedded stores' lock and write conflicts.
ABORT_KINDS = frozenset({"aborted", "transaction-conflict", "replicated-write-conflict",
                         "lock-conflict", "write-conflict"})


class _Tries:
    """Per f: attempts (a store records ``attempts`` on an op it ran more than once: every
    attempt but the last ended in a conflict), attempts aborted, and requests resent
    (``retries``: after throttling or no connection, not a conflict)."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.aborted: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()

    def add(self, f: str, extra: Any, error: str | None) -> None:
        n = extra.get("attempts")
        n = n if isinstance(n, int) and n > 1 else 1
        self.attempts[f] += n
        self.aborted[f] += n - 1 + (error in ABORT_KINDS)
        r = extra.get("retries")
        if isinstance(r, int) and r > 0:
            self.retries[f] += r

    def out(self) -> dict[str, Any]:
        """The f's with an abort or a retry: their abort rate (aborted / attempts)."""
        return {f: {"attempts": n, "aborted": self.aborted[f],
                    "abort_rate": self.aborted[f] / n, "retries": self.retries[f]}
                for f, n in sorted(self.attempts.items())
                if self.aborted[f] or self.retries[f]}


class StatsChecker:
    """Always valid unless no client op succeeded at all (then "unknown": nothing was tested)."""

    name = "stats"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config

    def check(self, history: History) -> Any:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        errors: Counter[str] = Counter()
        latencies: dict[str, list[float]] = defaultdict(list)
        tries = _Tries()
        types, procs, fs, times = history.types, history.processes, history.fs, history.times
        n_ok = 0
        for i in range(len(history)):
            if procs[i] == NEMESIS or types[i] == INVOKE:
                continue
            f = fs[i]
            code = types[i]
            counts[f][OP_TYPES[code]] += 1
            if code == OK:
                n_ok += 1
            err = history.error(i)
            kind = None if err is None else _error_kind(err)
            if kind is not None:
                errors[kind] += 1
            tries.add(f, history.extra(i), kind)
            j = history.pair(i)
            if j >= 0 and code != INFO and history.timed:
                latencies[f].append((times[i] - times[j]) / 1e6)
        for i in history.invocations():
            if history.pair(i) < 0:
                counts[fs[i]]["open"] += 1
        lat_out = {}
        for f, xs in latencies.items():
            xs.sort()
            lat_out[f] = {
                "count": len(xs),
                "p50": nearest_rank(xs, 0.5),
                "p90": nearest_rank(xs, 0.9),
                "p99": nearest_rank(xs, 0.99),
                "max": xs[-1],
            }
        total = sum(sum(c.values()) for c in counts.values())
        data = {
            "ops": total,
            "by_f": {f: dict(c) for f, c in sorted(counts.items())},
            "errors": dict(errors.most_common()),
            "latency_ms": lat_out,
            "aborts": tries.out(),
        }
        if history.timed:
            duration_s = (times[-1] - times[0]) / 1e9 if len(history) > 1 else 0.0
            data.update(duration_s=duration_s,
                        ops_per_s=total / duration_s if duration_s > 0 else None)
        else:
            data.update(duration_s=None, ops_per_s=None, untimed=UNTIMED)
        valid: Any = True if n_ok > 0 else "unknown"
        return Result(valid, [], data)


def _error_kind(err: Any) -> str:
    if isinstance(err, str):
        return err
    if isinstance(err, (list, tuple)) and err:
        return str(err[0])
    if isinstance(err, dict):
        return str(err.get("type") or err.get("kind") or next(iter(err), "error"))
    return str(err)
