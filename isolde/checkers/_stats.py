"""The ``stats`` checker: counts per f and type, error kinds, latency quantiles per f, and the
abort rate of the ops a store tried more than once. A history without times (Porcupine's logs)
has no latency or throughput: they are left out, and ``untimed`` says why."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from itertools import compress, repeat
from operator import ne
from typing import Any

import numpy as np

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
        times = np.frombuffer(history.times, np.int64, len(history))
        if not len(times) or (_SPAN_SAFE[0] <= times.min() and times.max() <= _SPAN_SAFE[1]):
            counts, errors, lat_out, tries, n_ok = _tally_np(history)
        else:  # times whose differences could overflow int64: Python's ints
            counts, errors, lat_out, tries, n_ok = _tally(history)
        return _result(history, counts, errors, lat_out, tries, n_ok)


# The numpy path subtracts times as int64: safe when every time is within these bounds.
_SPAN_SAFE = (-(1 << 62), (1 << 62) - 1)
Tally = tuple[dict[str, Counter[str]], Counter[str], dict[str, dict[str, float]], _Tries, int]


def _quantiles(xs: list[float]) -> dict[str, float]:
    """Count, p50, p90, p99 and max of an ascending list of latencies (ms)."""
    return {"count": len(xs), "p50": nearest_rank(xs, 0.5), "p90": nearest_rank(xs, 0.9),
            "p99": nearest_rank(xs, 0.99), "max": xs[-1]}


def _tally(history: History) -> Tally:
    """Counts, error kinds, latency quantiles, tries and ok ops, op by op (the reference)."""
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
        lat_out[f] = _quantiles(xs)
    return counts, errors, lat_out, tries, n_ok


def _tally_np(history: History) -> Tally:
    """:func:`_tally` over the history's columns in numpy: the same numbers, and the same
    order of first appearance in every dict (per f, per type, per error kind)."""
    n = len(history)
    types = np.frombuffer(history.types, np.uint8, n)
    pairs = np.frombuffer(history.pair_indices, np.int64, n)
    names = list(dict.fromkeys(history.fs))  # f's in order of first appearance
    fcode = np.fromiter(map({f: k for k, f in enumerate(names)}.__getitem__, history.fs),
                        np.int64, n)
    client = np.fromiter(map(ne, history.processes, repeat(NEMESIS)), np.bool_, n)
    done = np.flatnonzero(client & (types != INVOKE))
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    pair_code, first, how_many = np.unique(fcode[done] * len(OP_TYPES) + types[done],
                                           return_index=True, return_counts=True)
    for k in np.argsort(first, kind="stable"):
        f, code = divmod(int(pair_code[k]), len(OP_TYPES))
        counts[names[f]][OP_TYPES[code]] = int(how_many[k])
    for i in np.flatnonzero(client & (types == INVOKE) & (pairs < 0)):
        counts[names[fcode[i]]]["open"] += 1
    errors, tries = _errors_and_tries(history, done, counts)
    lat_out: dict[str, dict[str, float]] = {}
    timed = done[(pairs[done] >= 0) & (types[done] != INFO)] if history.timed else done[:0]
    times = np.frombuffer(history.times, np.int64, n)
    lat = (times[timed] - times[pairs[timed]]) / 1e6
    of_f, first = np.unique(fcode[timed], return_index=True)
    for f in of_f[np.argsort(first, kind="stable")]:
        lat_out[names[f]] = _quantiles(np.sort(lat[fcode[timed] == f]).tolist())
    return counts, errors, lat_out, tries, int(np.count_nonzero(types[done] == OK))


def _errors_and_tries(history: History, done: Any,
                      counts: dict[str, Counter[str]]) -> tuple[Counter[str], _Tries]:
    """Error kinds and tries of the completions ``done``: every completion is one attempt of
    its f; only those with an error, or with extra fields that count attempts or retries,
    are looked at one by one."""
    tries = _Tries()
    for f, c in counts.items():
        tries.attempts[f] += sum(n for t, n in c.items() if t != "open")
    extras = history.extras_by_index
    counting = {id(e) for e in {id(e): e for e in extras.values()}.values()
                if _counts_tries(e)}
    special = set(history.errors_by_index)
    special.update(compress(extras, map(counting.__contains__, map(id, extras.values()))))
    is_done = set(done[np.isin(done, np.fromiter(special, np.int64, len(special)))].tolist())
    errors: Counter[str] = Counter()
    fs = history.fs
    for i in sorted(is_done):
        err = history.error(i)
        kind = None if err is None else _error_kind(err)
        if kind is not None:
            errors[kind] += 1
        tries.attempts[fs[i]] -= 1  # counted above: add counts it again with its extra
        tries.add(fs[i], history.extra(i), kind)
    return errors, tries


def _counts_tries(extra: Any) -> bool:
    """Whether :meth:`_Tries.add` would count more than one plain attempt for these extra
    fields (else a completion without an error is one attempt, nothing aborted)."""
    n, r = extra.get("attempts"), extra.get("retries")
    return (isinstance(n, int) and n > 1) or (isinstance(r, int) and r > 0)


def _result(history: History, counts: dict[str, Counter[str]], errors: Counter[str],
            lat_out: dict[str, dict[str, float]], tries: _Tries, n_ok: int) -> Result:
    total = sum(sum(c.values()) for c in counts.values())
    data = {
        "ops": total,
        "by_f": {f: dict(c) for f, c in sorted(counts.items())},
        "errors": dict(errors.most_common()),
        "latency_ms": lat_out,
        "aborts": tries.out(),
    }
    if history.timed:
        times = history.times
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
