"""Recorded ops/s of the harness against the embedded store, and per-op harness overhead.

Runs the register workload on the memory store with no simulated latency (so the store costs
almost nothing and the figure is the harness's own ceiling), streaming the history to a temp
file as a real run does. Prints one row per concurrency. Asserts nothing about time.

    python benchmarks/harness.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import tempfile
import time
from pathlib import Path

from isolde.harness import RunLimits, Runner, TimeLimit
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op, read_jsonl
from isolde.workloads import WorkloadOptions, make_workload


def harness_rate(concurrency: int, seconds: float, tmp: Path) -> tuple[int, float, float]:
    """(completed ops, seconds of recording, CPU seconds of this process during the run)."""
    store = MemoryStore(MemoryOptions(latency_ms=0.0, seed=1))
    workload = make_workload("register", WorkloadOptions(seed=1, concurrency=concurrency))
    runner = Runner(store=store, generator=TimeLimit(seconds, workload.generator()),
                    limits=RunLimits(concurrency=concurrency, seed=1),
                    history_path=tmp / f"h{concurrency}.jsonl")
    cpu = time.process_time()
    asyncio.run(runner.record())
    cpu = time.process_time() - cpu
    history = read_jsonl(tmp / f"h{concurrency}.jsonl")
    # Time from the run's start to its last recorded op (reading the history back for
    # checking is not part of recording).
    elapsed = history.times[-1] / 1e9
    completed = sum(1 for t in history.types if t != 0)
    return completed, elapsed, cpu


def raw_rate(seconds: float) -> tuple[int, float]:
    """The same store calls without the harness: generator + apply, nothing recorded."""
    store = MemoryStore(MemoryOptions(latency_ms=0.0, seed=1))
    workload = make_workload("register", WorkloadOptions(seed=1, concurrency=1))
    gen = workload.generator()

    async def go() -> int:
        import random

        from isolde.harness import Context

        client = await store.open_client(0)
        rng = random.Random(1)
        n = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for _ in range(1000):
                spec = gen.next(Context(0, 0, 0, 1, rng))
                client.apply(Op(0, 0, "invoke", 0, spec.f, spec.value, None, spec.extra))
                n += 1
        return n

    t0 = time.perf_counter()
    n = asyncio.run(go())
    return n, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    print(f"# harness benchmark  python {platform.python_version()}  {platform.machine()}")
    n_raw, t_raw = raw_rate(a.seconds)
    raw_us = t_raw / n_raw * 1e6
    print(f"raw store calls (no harness): {n_raw / t_raw:,.0f} ops/s  ({raw_us:.1f} us/op)")
    with tempfile.TemporaryDirectory() as d:
        for c in (1, 10, 100):
            n, t, cpu = harness_rate(c, a.seconds, Path(d))
            per_op = t / n * 1e6
            print(f"concurrency {c:>3}: {n / t:>9,.0f} recorded ops/s  "
                  f"{per_op:6.1f} us/op  harness overhead {per_op - raw_us:6.1f} us/op  "
                  f"CPU {cpu / n * 1e6:6.1f} us/op")


if __name__ == "__main__":
    main()
