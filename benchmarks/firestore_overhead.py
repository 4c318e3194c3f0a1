"""Ops/s of an isolde run against the Firestore emulator vs a raw AsyncClient loop, in one run.

Starts one Firestore emulator (the Google Cloud CLI's jar, located as the store does), warms its
JIT up (3 rounds' worth of raw load), then alternates rounds of (a) a raw loop: ``concurrency``
asyncio tasks issuing the register mix straight through one google-cloud-firestore AsyncClient --
50% document get, 25% set, 25% CAS (a get, then an update with the ``last_update_time``
precondition, as the store does) -- on 5 keys at a time, moving to 5 fresh keys every 1,000 ops
as the register workload does (5 keys x 200 ops), in a fresh collection per round, nothing
recorded; and (b) ``isolde``: the register workload through the harness's Runner -- what
``isolde run`` runs -- on the ``firestore`` store pointed at that emulator (``--emulator-host``),
the history streamed to disk (checking it afterwards is not timed). Rounds alternate which goes
first. Prints ops/s and this process's CPU time per op for each round, and the ratio of the
medians. Asserts nothing about time.

    python benchmarks/firestore_overhead.py [--seconds 8] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from google.api_core.exceptions import GoogleAPICallError

from isolde.harness import RunLimits, Runner, TimeLimit
from isolde.harness.stores.firestore import FIRESTORE_EMULATOR, CloudOptions, FirestoreStore
from isolde.workloads import WorkloadOptions, make_workload


def raw_client(host: str) -> Any:
    from google.cloud.firestore import AsyncClient

    os.environ["FIRESTORE_EMULATOR_HOST"] = host  # read when the client is made
    try:
        return AsyncClient(project="isolde")
    finally:
        del os.environ["FIRESTORE_EMULATOR_HOST"]


async def raw_round(host: str, seconds: float, concurrency: int,
                    collection: str) -> tuple[int, float]:
    client = raw_client(host)
    root = client.collection(collection)
    # Untimed, as the store's setup does: the first request waits for the emulator's gRPC
    # service to warm up (seconds on a busy machine).
    await root.document("warm-up").get(timeout=60.0)
    done = 0
    t0 = time.monotonic()
    deadline = t0 + seconds

    async def cas(ref: Any, n: int) -> None:
        snap = await ref.get(retry=None, timeout=4.0)
        if not snap.exists:
            await ref.create({"v": n}, retry=None, timeout=4.0)
            return
        option = client.write_option(last_update_time=snap.update_time)
        await ref.update({"v": n}, option=option, retry=None, timeout=4.0)

    async def worker(w: int) -> None:
        nonlocal done
        rng = random.Random(w)
        n = 0
        while time.monotonic() < deadline:
            ref = root.document(str(done // 1000 * 5 + rng.randrange(5)))
            r = rng.random()
            n += 1
            try:
                if r < 0.5:
                    await ref.get(retry=None, timeout=4.0)
                elif r < 0.75:
                    await ref.set({"v": n}, retry=None, timeout=4.0)
                else:
                    await cas(ref, n)
            except GoogleAPICallError:
                pass  # a refused CAS or a timeout: an op all the same, as in isolde's history
            done += 1

    try:
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.monotonic() - t0
    finally:
        await client._firestore_api.transport.close()
    return done, elapsed


async def isolde_round(host: str, seconds: float, concurrency: int, seed: int,
                       tmp: Path) -> tuple[int, float]:
    store = FirestoreStore(CloudOptions(emulator_host=host, project="isolde", yes=True),
                           seed=seed)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    emu = FIRESTORE_EMULATOR.make()
    h, p = asyncio.run(emu.start())
    host = f"{h}:{p}"
    print(f"Firestore emulator at {host}; python {platform.python_version()}; "
          f"concurrency {a.concurrency}; {a.seconds:g} s per round; "
          f"load average {os.getloadavg()[0]:.1f}")
    try:
        # JIT warm-up: a fresh JVM speeds up over the first seconds of load.
        asyncio.run(raw_round(host, 3 * a.seconds, a.concurrency, "isolde-bench-warmup"))
        rows: dict[str, list[tuple[float, float]]] = {"raw": [], "isolde": []}

        def measure(kind: str, r: int, tmp: Path) -> None:
            c0 = cpu()
            if kind == "raw":
                n, elapsed = asyncio.run(raw_round(host, a.seconds, a.concurrency,
                                                   f"isolde-bench-raw-{r}"))
            else:
                n, elapsed = asyncio.run(isolde_round(host, a.seconds, a.concurrency, r, tmp))
            rows[kind].append((n / elapsed, (cpu() - c0) / n * 1e6))
            print(f"round {r + 1} {kind:6}: {n / elapsed:8.0f} ops/s  "
                  f"{rows[kind][-1][1]:7.0f} µs CPU/op")

        with tempfile.TemporaryDirectory() as tmp:
            for r in range(a.rounds):
                order = ("raw", "isolde") if r % 2 == 0 else ("isolde", "raw")
                for kind in order:
                    measure(kind, r, Path(tmp))
        raw = statistics.median(x[0] for x in rows["raw"])
        iso = statistics.median(x[0] for x in rows["isolde"])
        raw_cpu = statistics.median(x[1] for x in rows["raw"])
        iso_cpu = statistics.median(x[1] for x in rows["isolde"])
        print(f"median: raw {raw:.0f} ops/s, isolde {iso:.0f} ops/s, ratio {iso / raw:.3f}; "
              f"CPU/op raw {raw_cpu:.0f} µs, isolde {iso_cpu:.0f} µs; "
              f"load average {os.getloadavg()[0]:.1f}")
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
