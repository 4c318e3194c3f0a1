"""Ops/s of an isolde run against DynamoDB Local vs a raw aiobotocore loop, in one run.

Starts one DynamoDB Local (installing it into the user cache if needed), warms its JIT up, then
alternates rounds of (a) a raw loop: ``concurrency`` asyncio tasks issuing the register mix
straight through one aiobotocore client -- 50% GetItem (ConsistentRead), 25% PutItem, 25%
conditional UpdateItem -- on 5 keys, nothing recorded; and (b) ``isolde``: the register workload
through ``run_scenario`` on the ``dynamodb`` store at that endpoint (history streamed to disk,
checked afterwards; only the load phase is timed). Prints ops/s per round and the ratio of the
medians. Asserts nothing about time.

    python benchmarks/dynamodb_overhead.py [--seconds 8] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession

from isolde.harness import Scenario, run_scenario
from isolde.harness.emulators import DYNAMODB_LOCAL, ProcessEmulator

TABLE = "isolde-bench-raw"


async def raw_round(url: str, seconds: float, concurrency: int, create: bool) -> float:
    session = AioSession()
    config = AioConfig(retries={"total_max_attempts": 1}, max_pool_connections=64)
    async with session.create_client("dynamodb", region_name="us-east-1", endpoint_url=url,
                                     aws_access_key_id="x", aws_secret_access_key="x",
                                     config=config) as c:
        if create:
            await c.create_table(
                TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        done = 0
        deadline = time.monotonic() + seconds

        async def worker(w: int) -> None:
            nonlocal done
            rng = random.Random(w)
            n = 0
            while time.monotonic() < deadline:
                k = {"k": {"S": str(rng.randrange(5))}}
                r = rng.random()
                n += 1
                try:
                    if r < 0.5:
                        await c.get_item(TableName=TABLE, Key=k, ConsistentRead=True)
                    elif r < 0.75:
                        await c.put_item(TableName=TABLE, Item={**k, "v": {"N": str(n)}})
                    else:
                        await c.update_item(
                            TableName=TABLE, Key=k, UpdateExpression="SET #v = :new",
                            ConditionExpression="#v = :old", ExpressionAttributeNames={"#v": "v"},
                            ExpressionAttributeValues={":new": {"N": str(n)},
                                                       ":old": {"N": str(n - 2)}})
                except c.exceptions.ConditionalCheckFailedException:
                    pass
                done += 1

        t0 = time.monotonic()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        return done / (time.monotonic() - t0)


def isolde_round(url: str, seconds: float, concurrency: int, seed: int, tmp: Path) -> float:
    scenario = Scenario(store="dynamodb", workload="register", time_limit=seconds,
                        concurrency=concurrency, seed=seed, store_dir=tmp,
                        store_options={"endpoint_url": url, "dummy_credentials": True})
    outcome = run_scenario(scenario)
    h = outcome.history
    completions = [i for i, t in enumerate(h.types) if t != 0]
    # From the first invocation to the last completion: the load phase only.
    elapsed = (h.times[completions[-1]] - h.times[0]) / 1e9
    return len(completions) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    DYNAMODB_LOCAL.install()
    emu = ProcessEmulator(DYNAMODB_LOCAL)
    host, port = asyncio.run(emu.start())
    url = f"http://{host}:{port}"
    print(f"DynamoDB Local at {url}; python {platform.python_version()}; "
          f"concurrency {a.concurrency}; {a.seconds:g} s per round")
    try:
        asyncio.run(raw_round(url, a.seconds, a.concurrency, create=True))  # JIT warm-up
        raws, isos = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(a.rounds):
                raws.append(asyncio.run(raw_round(url, a.seconds, a.concurrency, False)))
                isos.append(isolde_round(url, a.seconds, a.concurrency, r, Path(tmp)))
                print(f"round {r + 1}: raw {raws[-1]:8.0f} ops/s   isolde {isos[-1]:8.0f} ops/s")
        raw, iso = statistics.median(raws), statistics.median(isos)
        print(f"median: raw {raw:.0f} ops/s, isolde {iso:.0f} ops/s, ratio {iso / raw:.3f}")
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
