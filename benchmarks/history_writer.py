"""CPU cost of recording a history: one unbuffered write per event vs one write per tick.

Both modes in one process, rounds alternating which goes first (the machine is shared, so
only figures taken side by side compare). ``concurrency`` asyncio tasks each record an
invocation, yield to the loop (as an op's I/O would), and record its completion, ``--ops``
ops in all. "per event" stamps each op with a :class:`Recorder` that has no writer and
writes it at once with :meth:`HistoryWriter.write` (the harness before issue 19); "per tick"
is the Recorder with the writer (what ``isolde run`` does now). Asserts nothing.

    python benchmarks/history_writer.py [--ops 200000] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from isolde.harness import Recorder
from isolde.histories import HistoryWriter, Op


async def _load(record: Callable[[Op], Op], ops: int, concurrency: int) -> None:
    async def worker(w: int) -> None:
        for i in range(ops // concurrency):
            record(Op(-1, -1, "invoke", w, "write", i))
            await asyncio.sleep(0)
            record(Op(-1, -1, "ok", w, "write", i))

    await asyncio.gather(*(worker(w) for w in range(concurrency)))


def one(mode: str, path: Path, ops: int, concurrency: int) -> float:
    """CPU microseconds per op of one mode."""
    path.unlink(missing_ok=True)
    with HistoryWriter(path) as writer:
        if mode == "per tick":
            rec = Recorder(writer, keep=False)
            record = rec.record
        else:
            stamp = Recorder(None, keep=False).record

            def record(op: Op) -> Op:
                out = stamp(op)
                writer.write(out)
                return out
        t0 = time.process_time()
        asyncio.run(_load(record, ops, concurrency))
        if mode == "per tick":
            rec.flush()
        cpu = time.process_time() - t0
    return cpu / ops * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ops", type=int, default=200_000)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    got: dict[str, list[float]] = {"per event": [], "per tick": []}
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.rounds):
            order = ["per event", "per tick"] if r % 2 == 0 else ["per tick", "per event"]
            load = os.getloadavg()[0]
            for mode in order:
                us = one(mode, Path(d) / "h.jsonl", a.ops, a.concurrency)
                got[mode].append(us)
                print(f"round {r + 1} (load {load:.1f}): {mode:9} {us:6.2f} CPU us/op")
    for mode, xs in got.items():
        print(f"median {mode:9}: {statistics.median(xs):6.2f} CPU us/op")


if __name__ == "__main__":
    main()
