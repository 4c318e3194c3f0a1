"""What the store-overhead benchmarks share (``dynamodb_overhead.py``, ``cosmos_overhead.py``):
an isolde round -- the register workload through the harness's Runner, what ``isolde run`` runs,
the history streamed to disk -- and the alternating rounds of raw loop and isolde, with ops/s
and this process's CPU time per op, and the ratio of the medians."""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from isolde.harness import RunLimits, Runner, TimeLimit
from isolde.workloads import WorkloadOptions, make_workload


async def raw_load(seconds: float, concurrency: int,
                   op: Callable[[str, float, int], Awaitable[None]]) -> tuple[int, float]:
    """(ops, seconds) of ``concurrency`` tasks calling ``op(key, r, n)`` for ``seconds``: the
    register workload's shape -- 5 keys at a time, 5 fresh keys every 1,000 ops; ``r`` uniform
    in [0, 1) picks the kind of op, ``n`` is the task's op count (a value to write)."""
    done = 0
    t0 = time.monotonic()
    deadline = t0 + seconds

    async def worker(w: int) -> None:
        nonlocal done
        rng = random.Random(w)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            await op(str(done // 1000 * 5 + rng.randrange(5)), rng.random(), n)
            done += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    return done, time.monotonic() - t0


async def isolde_round(store: Any, seconds: float, concurrency: int, seed: int, tmp: Path,
                       read_consistency: str = "strong") -> tuple[int, float]:
    """(ops, seconds) of one register run on ``store`` (set up and torn down, not timed)."""
    workload = make_workload("register", WorkloadOptions(
        seed=seed, concurrency=concurrency, read_consistency=read_consistency))
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


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    return ap.parse_args()


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def alternate(rounds: int, raw: Callable[[int], Coroutine[Any, Any, tuple[int, float]]],
              iso: Callable[[int, Path], Coroutine[Any, Any, tuple[int, float]]]) -> str:
    """``rounds`` rounds of ``raw(round)`` and ``iso(round, tmp)`` (each -> (ops, seconds)),
    which goes first alternating; prints each; returns the line of medians."""
    rows: dict[str, list[tuple[float, float]]] = {"raw": [], "isolde": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for kind in (("raw", "isolde") if r % 2 == 0 else ("isolde", "raw")):
                c0 = cpu()
                n, elapsed = asyncio.run(raw(r) if kind == "raw" else iso(r, Path(tmp)))
                rows[kind].append((n / elapsed, (cpu() - c0) / n * 1e6))
                print(f"round {r + 1} {kind:6}: {n / elapsed:8.0f} ops/s  "
                      f"{rows[kind][-1][1]:7.0f} µs CPU/op")
    raw = statistics.median(x[0] for x in rows["raw"])
    iso = statistics.median(x[0] for x in rows["isolde"])
    raw_cpu = statistics.median(x[1] for x in rows["raw"])
    iso_cpu = statistics.median(x[1] for x in rows["isolde"])
    return (f"median: raw {raw:.0f} ops/s, isolde {iso:.0f} ops/s, ratio {iso / raw:.3f}; "
            f"CPU/op raw {raw_cpu:.0f} µs, isolde {iso_cpu:.0f} µs")
