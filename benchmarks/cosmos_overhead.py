"""Ops/s of an isolde run against cosmosdb-server vs a raw ``azure.cosmos.aio`` loop, in one run.

Starts one cosmosdb-server (installing it into the user cache if needed), warms it up (one
round's worth of raw load), then alternates rounds of (a) a raw loop: ``concurrency`` asyncio
tasks issuing the register mix straight through one ``azure.cosmos.aio.CosmosClient`` -- 50%
reads (a single-partition query by id, as the store reads on cosmosdb-server), 25% upserts, 25%
CAS (a read, then ``replace_item`` with the etag and ``IfNotModified``) -- on 5 keys at a time,
moving to 5 fresh keys every 1,000 ops as the register workload does, in a fresh database and
container per round as isolde makes one, nothing recorded; and (b) ``isolde``: the register
workload through the harness's Runner -- what ``isolde run`` runs -- on the ``cosmos`` store at
that endpoint (``--read-consistency session``: the emulator's account says Session), the history
streamed to disk (checking it afterwards is not timed). Rounds alternate which goes first.
Prints ops/s and this process's CPU time per op for each round, and the ratio of the medians.
Asserts nothing about time.

    python benchmarks/cosmos_overhead.py [--seconds 8] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError

from isolde.harness import RunLimits, Runner, TimeLimit
from isolde.harness.stores.cosmos import COSMOSDB_SERVER, EMULATOR_KEY, CloudOptions, CosmosStore
from isolde.workloads import WorkloadOptions, make_workload

_BY_ID = "SELECT * FROM c WHERE c.id = @id"


async def _read(c: Any, key: str) -> dict[str, Any] | None:
    docs = [d async for d in c.query_items(_BY_ID, parameters=[{"name": "@id", "value": key}],
                                           partition_key=key)]
    return docs[0] if docs else None


async def _op(c: Any, key: str, r: float, n: int) -> None:
    if r < 0.5:
        await _read(c, key)
    elif r < 0.75:
        await c.upsert_item({"id": key, "v": n})
    else:
        doc = await _read(c, key)
        if doc is not None:
            await c.replace_item(key, {"id": key, "v": n}, etag=doc["_etag"],
                                 match_condition=MatchConditions.IfNotModified)


async def raw_round(url: str, seconds: float, concurrency: int, name: str) -> tuple[int, float]:
    async with CosmosClient(url, credential=EMULATOR_KEY,
                            enable_endpoint_discovery=False) as client:
        db = await client.create_database(name)
        c = await db.create_container(name, partition_key=PartitionKey("/id"))
        done = 0
        t0 = time.monotonic()
        deadline = time.monotonic() + seconds

        async def worker(w: int) -> None:
            nonlocal done
            rng = random.Random(w)
            n = 0
            while time.monotonic() < deadline:
                n += 1
                with contextlib.suppress(CosmosHttpResponseError):  # a CAS's 412
                    await _op(c, str(done // 1000 * 5 + rng.randrange(5)), rng.random(), n)
                done += 1

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.monotonic() - t0
        await client.delete_database(name)
        return done, elapsed


async def isolde_round(url: str, seconds: float, concurrency: int, seed: int,
                       tmp: Path) -> tuple[int, float]:
    store = CosmosStore(CloudOptions(endpoint_url=url, throughput="serverless", read_via="query",
                                     default_read="session"), seed=seed)
    workload = make_workload("register", WorkloadOptions(seed=seed, concurrency=concurrency,
                                                         read_consistency="session"))
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
    COSMOSDB_SERVER.install()
    os.environ["COSMOS_KEY"] = EMULATOR_KEY  # the emulators' published key, not a secret
    emu = COSMOSDB_SERVER.make()
    host, port = asyncio.run(emu.start())
    url = f"http://{host}:{port}"
    print(f"cosmosdb-server at {url}; python {platform.python_version()}; "
          f"concurrency {a.concurrency}; {a.seconds:g} s per round; "
          f"load average {os.getloadavg()[0]:.1f}")
    try:
        asyncio.run(raw_round(url, a.seconds, a.concurrency, "isolde-bench-warmup"))
        rows: dict[str, list[tuple[float, float]]] = {"raw": [], "isolde": []}

        def measure(kind: str, r: int, tmp: Path) -> None:
            c0 = cpu()
            if kind == "raw":
                n, elapsed = asyncio.run(raw_round(url, a.seconds, a.concurrency,
                                                   f"isolde-bench-raw-{r}"))
            else:
                n, elapsed = asyncio.run(isolde_round(url, a.seconds, a.concurrency, r, tmp))
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
              f"CPU/op raw {raw_cpu:.0f} µs, isolde {iso_cpu:.0f} µs; load average "
              f"{os.getloadavg()[0]:.1f}")
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
