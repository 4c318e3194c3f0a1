"""Ops/s of an isolde run against DynamoDB Local vs a raw aiobotocore loop, in one run.

Starts one DynamoDB Local (installing it into the user cache if needed), warms its JIT up
(3 rounds' worth of raw load), then
alternates rounds of (a) a raw loop: ``concurrency`` asyncio tasks issuing the register mix
straight through one aiobotocore client -- 50% GetItem (ConsistentRead), 25% PutItem, 25%
conditional UpdateItem -- on 5 keys at a time, moving to 5 fresh keys every 1,000 ops as the
register workload does (5 keys x 200 ops), in a fresh table per round as isolde makes one,
nothing recorded; and (b) ``isolde``: the register workload
through the harness's Runner -- what ``isolde run`` runs -- on the ``dynamodb`` store at that
endpoint, the history streamed to disk (checking it afterwards is not timed). Rounds alternate
which goes first. Prints ops/s and this process's CPU time per op for each round, and the ratio
of the medians (CPU per op is the steadier figure when other work shares the cores). Asserts
nothing about time.

    python benchmarks/dynamodb_overhead.py [--seconds 8] [--concurrency 10] [--rounds 3]
"""

from __future__ import annotations

import asyncio
import platform

from _overhead import alternate, isolde_round, parse_args, raw_load
from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession

from isolde.harness.emulators import ProcessEmulator
from isolde.harness.stores.dynamodb import DYNAMODB_LOCAL, DynamoDBStore, DynamoOptions


async def raw_round(url: str, seconds: float, concurrency: int, table: str) -> tuple[int, float]:
    session = AioSession()
    config = AioConfig(retries={"total_max_attempts": 1}, max_pool_connections=64)
    async with session.create_client("dynamodb", region_name="us-east-1", endpoint_url=url,
                                     aws_access_key_id="x", aws_secret_access_key="x",
                                     config=config) as c:
        await c.create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])

        async def op(key: str, r: float, n: int) -> None:
            k = {"k": {"S": key}}
            try:
                if r < 0.5:
                    await c.get_item(TableName=table, Key=k, ConsistentRead=True)
                elif r < 0.75:
                    await c.put_item(TableName=table, Item={**k, "v": {"N": str(n)}})
                else:
                    await c.update_item(
                        TableName=table, Key=k, UpdateExpression="SET #v = :new",
                        ConditionExpression="#v = :old", ExpressionAttributeNames={"#v": "v"},
                        ExpressionAttributeValues={":new": {"N": str(n)},
                                                   ":old": {"N": str(n - 2)}})
            except c.exceptions.ConditionalCheckFailedException:
                pass

        done, elapsed = await raw_load(seconds, concurrency, op)
        await c.delete_table(TableName=table)
        return done, elapsed


def main() -> None:
    a = parse_args()
    DYNAMODB_LOCAL.install()
    emu = ProcessEmulator(DYNAMODB_LOCAL)
    host, port = asyncio.run(emu.start())
    url = f"http://{host}:{port}"
    print(f"DynamoDB Local at {url}; python {platform.python_version()}; "
          f"concurrency {a.concurrency}; {a.seconds:g} s per round")
    try:
        # JIT warm-up: rates keep climbing for ~20 s of load on a fresh JVM.
        asyncio.run(raw_round(url, 3 * a.seconds, a.concurrency, "isolde-bench-warmup"))
        print(alternate(
            a.rounds,
            lambda r: raw_round(url, a.seconds, a.concurrency, f"isolde-bench-raw-{r}"),
            lambda r, tmp: isolde_round(
                DynamoDBStore(DynamoOptions(endpoint_url=url, dummy_credentials=True), seed=r),
                a.seconds, a.concurrency, r, tmp)))
    finally:
        asyncio.run(emu.stop())


if __name__ == "__main__":
    main()
