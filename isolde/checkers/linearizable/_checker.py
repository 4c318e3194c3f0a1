"""The ``linearizable`` checker: per-partition WGL search, in worker processes when it pays.

Partitions (keys) are independent (linearizability is local), so they are searched separately
and, when there is enough work, in parallel processes. Results are gathered in partition order,
so the verdict and the anomalies do not depend on scheduling (only a budget running out can
make a run-to-run difference, and that gives "unknown").
"""

from __future__ import annotations

import os
import time
from collections.abc import Hashable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ...histories import History
from .._base import CheckConfig
from .._result import UNKNOWN, Result, merge_validity
from ._explain import explain_failure, explain_unknown
from ._model import LinOp, Model
from ._prepare import choose_model, make_model, prepare
from ._wgl import SearchResult, search

# Below this many ops in all, process start-up and pickling cost more than they save.
PARALLEL_MIN_OPS = 20_000
FIRST_ROUND = 20_000  # configurations per partition in the first round
GROWTH = 8  # budget factor between rounds (re-searching costs at most 1/7 extra)
Part = tuple[Hashable, list[LinOp]]


def _default_memory() -> int:
    """Half the machine's physical memory: the search's default cap (never an OOM crash)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def _search_chunk(model_name: str, parts: list[list[LinOp]], deadline: float | None,
                  memory: int, budget: int) -> list[SearchResult]:
    """Worker entry point: search several partitions in turn."""
    model = make_model(model_name)
    return [search(model, ops, deadline, memory, budget) for ops in parts]


def _chunks(parts: Sequence[Part], n: int) -> list[list[int]]:
    """Partition indices in ``n`` groups of similar total size (largest first, greedy)."""
    groups: list[list[int]] = [[] for _ in range(n)]
    load = [0] * n
    for i in sorted(range(len(parts)), key=lambda i: -len(parts[i][1])):
        g = load.index(min(load))
        groups[g].append(i)
        load[g] += len(parts[i][1])
    return [g for g in groups if g]


class LinearizableChecker:
    """Checks that the history is linearizable under a model (``--model``, else chosen from the
    history's content): ``valid`` True/False, or "unknown" when a budget ran out."""

    name = "linearizable"

    def __init__(self, config: CheckConfig | None = None) -> None:
        self.config = config or CheckConfig()

    def _workers(self, parts: Sequence[Part]) -> int:
        w = self.config.workers
        if w is None:
            total = sum(len(ops) for _, ops in parts)
            w = (os.cpu_count() or 1) if total >= PARALLEL_MIN_OPS else 1
        return max(1, min(w, len(parts)))

    def check(self, history: History) -> Result:
        t0 = time.monotonic()
        cfg = self.config
        model_name = cfg.model or choose_model(history)
        model = make_model(model_name)
        parts = prepare(history, model)
        deadline = t0 + cfg.time_limit if cfg.time_limit else None
        results: list[SearchResult] = [SearchResult("unknown", reason="not searched")] * len(
            parts)
        todo = list(range(len(parts)))
        budget = FIRST_ROUND
        pool: ProcessPoolExecutor | None = None
        workers_used = 1
        try:
            # Rounds of growing configuration budgets: cheap partitions finish first, and a
            # violation found in an early round ends the check without waiting for the hard
            # partitions. Budgets count configurations, not seconds, so which partitions
            # finish (and hence the result) is the same on every run.
            while todo:
                if deadline is not None and time.monotonic() > deadline:
                    for i in todo:
                        results[i] = SearchResult("unknown", results[i].configurations,
                                                  longest=results[i].longest,
                                                  reason="time limit")
                    todo = []
                    break
                batch = [parts[i] for i in todo]
                workers = self._workers(batch)
                memory = (cfg.memory_limit or _default_memory()) // workers
                if workers > 1 and pool is None:
                    pool = ProcessPoolExecutor(max_workers=workers)
                workers_used = max(workers_used, workers)
                out = self._round(model, batch, deadline, memory, workers, budget, pool)
                todo_next = []
                for i, r in zip(todo, out, strict=True):
                    results[i] = r
                    if r.valid == UNKNOWN and r.reason == "configurations":
                        todo_next.append(i)
                todo = todo_next
                if any(r.valid is False for r in results):
                    break
                budget *= GROWTH
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        stopped = [parts[i][0] for i in todo]
        result = self._result(history, model, parts, results, workers_used,
                              time.monotonic() - t0, set(todo))
        if stopped:
            result.data["stopped_after_violation"] = stopped
        return result

    def _round(self, model: Model, parts: Sequence[Part], deadline: float | None, memory: int,
               workers: int, budget: int, pool: ProcessPoolExecutor | None
               ) -> list[SearchResult]:
        if workers <= 1 or pool is None:
            return [search(model, ops, deadline, memory, budget) for _, ops in parts]
        groups = _chunks(parts, workers)
        out: list[SearchResult | None] = [None] * len(parts)
        futures = [pool.submit(_search_chunk, model.name, [parts[i][1] for i in g],
                               deadline, memory, budget) for g in groups]
        for g, fut in zip(groups, futures, strict=True):
            for i, r in zip(g, fut.result(), strict=True):
                out[i] = r
        return [r for r in out if r is not None]

    def _result(self, history: History, model: Model, parts: Sequence[Part],
                results: list[SearchResult], workers: int, elapsed: float,
                skipped: set[int]) -> Result:
        anomalies = []
        unknown: list[dict[str, Any]] = []
        for i, ((key, ops), r) in enumerate(zip(parts, results, strict=True)):
            if i in skipped:
                continue
            if r.valid is False:
                anomalies.append(explain_failure(history, model, key, ops, r))
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
