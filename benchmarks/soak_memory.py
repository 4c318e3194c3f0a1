"""Memory over a long run: the runner streams ops to disk and keeps none, so RSS stays flat.

Runs the register workload on the memory store for ``--seconds`` and samples this process's
resident set size every ``--every`` seconds while it records. Asserts nothing.

    python benchmarks/soak_memory.py [--seconds 60] [--every 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from isolde.harness import RunLimits, Runner, TimeLimit
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op
from isolde.workloads import WorkloadOptions, make_workload


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class NullStore:
    """Answers every op ``ok`` at once and remembers nothing."""

    name = "null"
    capabilities = frozenset({"register", "cas"})

    async def setup(self) -> None: ...

    async def teardown(self) -> None: ...

    async def open_client(self, worker: int) -> NullStore:
        return self

    async def invoke(self, op: Op) -> Op:
        await asyncio.sleep(0)
        return op.complete("ok", op.value)

    async def close(self) -> None: ...


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--every", type=float, default=5.0)
    ap.add_argument("--null-store", action="store_true",
                    help="a store that keeps nothing, to separate harness from store memory")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "history.jsonl"
        store: Any = NullStore() if a.null_store else MemoryStore(
            MemoryOptions(latency_ms=0.0, seed=1))
        workload = make_workload("register", WorkloadOptions(seed=1, concurrency=10))
        runner = Runner(store=store, generator=TimeLimit(a.seconds, workload.generator()),
                        limits=RunLimits(concurrency=10, seed=1), history_path=path)
        samples: list[tuple[float, int, float]] = []

        async def sample(r: Runner) -> None:
            while True:
                await asyncio.sleep(a.every)
                if r.recorder is not None:
                    samples.append((r.recorder.now() / 1e9, r.recorder.count, rss_mb()))

        runner.background.append(sample)
        print(f"start RSS {rss_mb():.0f} MB")
        asyncio.run(runner.run())
        print(f"{'t s':>6} {'ops recorded':>13} {'RSS MB':>8}")
        for t, n, mb in samples:
            print(f"{t:6.0f} {n:13,} {mb:8.0f}")
        print(f"history file {path.stat().st_size / 1e6:,.0f} MB on disk")


if __name__ == "__main__":
    main()
