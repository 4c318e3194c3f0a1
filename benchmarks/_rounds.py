"""What the store-overhead benchmarks share: an isolde round (the register workload through the
harness's Runner, as ``isolde run`` drives it) and the alternating rounds against a raw loop,
with ops/s and this process's CPU time per op."""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from isolde.harness import RunLimits, Runner, Store, TimeLimit
from isolde.workloads import WorkloadOptions, make_workload

Round = tuple[int, float]  # ops done, seconds taken


async def isolde_round(store: Store, seconds: float, concurrency: int, seed: int,
                       tmp: Path) -> Round:
    """The register workload for ``seconds`` on ``store``, the history streamed to disk
    (checking it afterwards is not timed)."""
    workload = make_workload("register", WorkloadOptions(seed=seed, concurrency=concurrency))
    runner = Runner(store=store, generator=TimeLimit(seconds, workload.generator()),
                    limits=RunLimits(concurrency=concurrency, seed=seed),
                    history_path=tmp / f"history-{seed}.jsonl")
    await store.setup()
    try:
        t0 = time.monotonic()
        await runner.run()
        elapsed = time.monotonic() - t0
    finally:
        await store.teardown()
    assert runner.recorder is not None
    c = runner.recorder.counters
    return c.ok + c.fail + c.info, elapsed


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def alternate(rounds: int, raw: Callable[[int], Coroutine[Any, Any, Round]],
              iso: Callable[[int, Path], Coroutine[Any, Any, Round]]) -> None:
    """``rounds`` rounds of each, alternating which goes first; prints each round and the
    medians."""
    rows: dict[str, list[tuple[float, float]]] = {"raw": [], "isolde": []}

    def measure(kind: str, r: int, tmp: Path) -> None:
        c0 = cpu()
        n, elapsed = asyncio.run(raw(r) if kind == "raw" else iso(r, tmp))
        rows[kind].append((n / elapsed, (cpu() - c0) / n * 1e6))
        print(f"round {r + 1} {kind:6}: {n / elapsed:8.0f} ops/s  "
              f"{rows[kind][-1][1]:7.0f} µs CPU/op")

    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for kind in (("raw", "isolde") if r % 2 == 0 else ("isolde", "raw")):
                measure(kind, r, Path(tmp))
    rate = {k: statistics.median(x[0] for x in v) for k, v in rows.items()}
    per_op = {k: statistics.median(x[1] for x in v) for k, v in rows.items()}
    print(f"median: raw {rate['raw']:.0f} ops/s, isolde {rate['isolde']:.0f} ops/s, ratio "
          f"{rate['isolde'] / rate['raw']:.3f}; CPU/op raw {per_op['raw']:.0f} µs, isolde "
          f"{per_op['isolde']:.0f} µs")
