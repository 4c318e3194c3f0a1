"""The ``linearizable`` checker: per-partition WGL search, in worker processes when it pays.

Partitions (keys) are independent (linearizability is local), so they are searched separately
and, when there is enough work, in parallel processes. Results are gathered in partition order,
so the verdict and the anomalies do not depend on scheduling (only a budget running out can
make a run-to-run difference, and that gives "unknown").
"""

from __future__ import annotations

import gc
import os
import time
from bisect import bisect_left
from collections.abc import Hashable, Sequence
from itertools import repeat
from operator import itemgetter, sub
from typing import Any

import numpy as np

from ...histories import History
from .._base import CheckConfig
from .._result import UNKNOWN, Result, merge_validity
from ._explain import explain_failure, explain_unknown
from ._model import INFO_, LinOp, Model, ModelOptions
from ._prepare import choose_model, make_model, prepare
from ._runners import ProcessRunner, SerialRunner, can_fork
from ._wgl import SearchResult

# Workers from the start only for histories this large: for easy partitions (most ops) the
# parent's preparation costs about as much as the searches, so forking gains little below this
# (a 100k-op register history checks in under a second in one process). Partitions that outlast
# the first round go to workers whatever the size.
PARALLEL_MIN_OPS = 200_000
# Configurations per partition in the first round: small, so a cheap violation ends the check
# before the hard partitions have cost much (pruned searches need few configurations).
FIRST_ROUND = 2_000
GROWTH = 4  # budget factor between rounds
FORK_AFTER = 2  # rounds in this process before hard partitions move to workers
_NOT_SEARCHED = "not searched"
_UNFINISHED = ("configurations", _NOT_SEARCHED)  # the reasons of a search to resume or skip
Part = tuple[Hashable, list[LinOp]]
_OPEN = 1 << 62  # the completion index of an op that never completed
_NUMPY_ABOVE = 1000  # ops in a partition beyond which _width uses numpy
_STATUS, _INVOKE, _COMPLETE = itemgetter(3), itemgetter(4), itemgetter(5)  # LinOp's fields


def _search_order(parts: Sequence[Sequence[LinOp]]) -> list[int]:
    """Partition indices, the likely cheapest searches first: fewest ops at once (the search
    grows with the orders of concurrent ops), then fewest ops, then first op first. An
    invalid partition early in the order ends the check sooner."""
    return sorted(range(len(parts)), key=lambda i: (_width(parts[i]), len(parts[i]), i))


def _width(ops: Sequence[LinOp]) -> int:
    """The most ops open at one time (an op that never completed stays open): at each op's
    invocation (ops come in invocation order), the ops invoked so far less those completed.
    (Iterated in C where it can be: this runs over every op of the history; numpy for long
    partitions, where it is 4x faster, not short ones, where its fixed cost is more.)"""
    if len(ops) > _NUMPY_ABOVE:
        return _width_np(ops)
    ends = sorted([op.complete if op.complete >= 0 and op.status != INFO_ else _OPEN
                   for op in ops])
    closed = map(bisect_left, repeat(ends), [op.invoke for op in ops])
    return max(map(sub, range(1, len(ops) + 1), closed), default=0)


def _width_np(ops: Sequence[LinOp]) -> int:
    """:func:`_width` in numpy."""
    n = len(ops)
    invoke = np.fromiter(map(_INVOKE, ops), np.int64, n)
    complete = np.fromiter(map(_COMPLETE, ops), np.int64, n)
    info = np.fromiter(map(INFO_.__eq__, map(_STATUS, ops)), np.bool_, n)
    ends = np.where((complete >= 0) & ~info, complete, _OPEN)
    ends.sort()
    closed = np.searchsorted(ends, invoke, "left")
    return int((np.arange(1, n + 1) - closed).max())


def _default_memory() -> int:
    """Half the machine's physical memory: the search's default cap (never an OOM crash)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 4 << 30


class LinearizableChecker:
    """Checks that the history is linearizable under a model (``--model``, else chosen from the
    history's content): ``valid`` True/False, or "unknown" when a budget ran out."""

    name = "linearizable"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()

    def _workers(self, parts: Sequence[Part], hard: bool) -> int:
        """Worker processes for these partitions: the configured number, else one per CPU
        when there is much to do (many ops, or partitions that outlasted a round)."""
        w = self.config.workers
        if w is None:
            many = hard or sum(len(ops) for _, ops in parts) >= PARALLEL_MIN_OPS
            w = (os.cpu_count() or 1) if many else 1
        return max(1, min(w, len(parts))) if can_fork() else 1

    def check(self, history: History) -> Result:
        # The search allocates millions of acyclic objects; the cyclic GC would only rescan
        # them (about a quarter of the run time), so it is paused for the check.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._check(history)
        finally:
            if was_enabled:
                gc.enable()

    def _check(self, history: History) -> Result:
        t0 = time.monotonic()
        cfg = self.config
        model_name = cfg.model or choose_model(history)
        model = make_model(model_name, ModelOptions.of(cfg.initial, cfg.nil_reads))
        parts = prepare(history, model, cfg.failed_cas)
        deadline = t0 + cfg.time_limit if cfg.time_limit else None
        workers = self._workers(parts, False)
        memory = (cfg.memory_limit or _default_memory()) // workers
        ops = [p[1] for p in parts]
        keys = [p[0] for p in parts]
        runner: SerialRunner | ProcessRunner = (
            ProcessRunner(model, ops, deadline, memory, workers, keys=keys) if workers > 1
            else SerialRunner(model, ops, deadline, memory, keys))
        workers_used = workers
        results = [SearchResult("unknown", reason=_NOT_SEARCHED)] * len(parts)
        todo = _search_order([ops for _, ops in parts])
        budget = FIRST_ROUND
        rounds = 0
        try:
            # Rounds of growing configuration budgets, each resuming the unfinished searches:
            # cheap partitions finish first, and the first violation found (in the order of
            # `todo`) ends the check without waiting for the partitions after it or the hard
            # ones. Budgets count configurations, not seconds, so which partitions finish
            # (and hence the result) is the same on every run and with any number of workers.
            while todo:
                # (A round's results end at its first violation.)
                for i, r in zip(todo, runner.round(todo, budget), strict=False):
                    results[i] = r
                todo = [i for i in todo if results[i].reason in _UNFINISHED]
                if any(r.valid is False for r in results):
                    break
                budget *= GROWTH
                rounds += 1
                if isinstance(runner, SerialRunner) and len(todo) > 1 and rounds >= FORK_AFTER:
                    # Hard partitions remain: resume them in forked workers, which inherit
                    # the paused searches.
                    workers = self._workers([parts[i] for i in todo], True)
                    if workers > 1:
                        memory = (cfg.memory_limit or _default_memory()) // workers
                        forked = ProcessRunner(model, ops, deadline, memory, workers, todo,
                                               runner.searches, keys)
                        runner.close()
                        runner, workers_used = forked, workers
        finally:
            runner.close()
        result = self._result(history, model, parts, results, workers_used,
                              time.monotonic() - t0, set(todo))
        if todo:
            result.data["stopped_after_violation"] = [parts[i][0] for i in sorted(todo)]
        # How the history was read, since the verdict depends on it.
        result.data["reading"] = {"failed_cas": cfg.failed_cas, "nil_reads": cfg.nil_reads,
                                  "initial": cfg.initial[0] if cfg.initial else None}
        return result

    def _result(self, history: History, model: Model, parts: Sequence[Part],
                results: list[SearchResult], workers: int, elapsed: float,
                skipped: set[int]) -> Result:
        anomalies = []
        unknown: list[dict[str, Any]] = []
        for i, ((key, ops), r) in enumerate(zip(parts, results, strict=True)):
            if i in skipped:
                continue
            if r.valid is False:
                anomalies.append(explain_failure(model, key, ops, r, history.origin))
            elif r.valid == UNKNOWN:
                unknown.append(explain_unknown(key, ops, r))
        valid = merge_validity(r.valid for i, r in enumerate(results) if i not in skipped)
        if skipped and valid is not False:
            valid = UNKNOWN  # cannot happen: partitions are skipped only after a violation
        data: dict[str, Any] = {
            "model": model.name,
            "ops": sum(len(ops) for _, ops in parts),
            "partitions": len(parts),
            "invalid_partitions": len(anomalies),
            "configurations": sum(r.configurations for r in results),
            "workers": workers,
            "seconds": round(elapsed, 4),
        }
        if unknown:
            data["unknown"] = unknown
        return Result(valid, anomalies, data)
