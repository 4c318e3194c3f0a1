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

import asyncio
import contextlib
import os
import platform
from typing import Any

from _overhead import alternate, isolde_round, parse_args, raw_load
from azure.core import MatchConditions
from azure.cosmos import PartitionKey
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import CosmosHttpResponseError

from isolde.harness.stores.cosmos import COSMOSDB_SERVER, EMULATOR_KEY, CloudOptions, CosmosStore

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

        async def op(key: str, r: float, n: int) -> None:
            with contextlib.suppress(CosmosHttpResponseError):  # a CAS's 412
                await _op(c, key, r, n)

        done, elapsed = await raw_load(seconds, concurrency, op)
        await client.delete_database(name)
        return done, elapsed


def main() -> None:
    a = parse_args()
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
        def store(r: int) -> CosmosStore:
            return CosmosStore(CloudOptions(endpoint_url=url, throughput="serverless",
                                            read_via="query", default_read="session"), seed=r)

        line = alternate(
            a.rounds,
            lambda r: raw_round(url, a.seconds, a.concurrency, f"isolde-bench-raw-{r}"),
            lambda r, tmp: isolde_round(store(r), a.seconds, a.concurrency, r, tmp,
                                        read_consistency="session"))
        print(f"{line}; load average {os.getloadavg()[0]:.1f}")
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
