"""Client-path faults through aiobotocore's event hooks (the DynamoDB stores' client-fault
hook), against moto on loopback."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from isolde.harness import CancelledAfterSend, ClientFaults, ClientTimeout
from isolde.harness.stores.dynamodb._faults import attach, new_client_faults
from isolde.nemesis import NemesisOptions, make_nemesis

pytest.importorskip("aiobotocore")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def moto_port() -> Iterator[int]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield int(server.get_host_and_port()[1])
    finally:
        server.stop()


@asynccontextmanager
async def ddb(port: int, faults: ClientFaults) -> AsyncIterator[Any]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    cfg = AioConfig(retries={"total_max_attempts": 1}, read_timeout=5, connect_timeout=2)
    async with AioSession().create_client(
        "dynamodb", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="isolde", aws_secret_access_key="isolde", config=cfg,
    ) as client:
        attach(faults, client)
        tables = (await client.list_tables())["TableNames"]
        if "isolde-nem" not in tables:
            await client.create_table(
                TableName="isolde-nem", BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])
        yield client


def _put(client: Any, k: str, v: str) -> Any:
    return client.put_item(TableName="isolde-nem", Item={"k": {"S": k}, "v": {"S": v}})


async def _get(client: Any, k: str) -> Any:
    item = (await client.get_item(TableName="isolde-nem", Key={"k": {"S": k}},
                                  ConsistentRead=True)).get("Item")
    return item["v"]["S"] if item else None


def test_throttle_is_injected_without_sending_and_retries_absorb_it(moto_port: int) -> None:
    from botocore.exceptions import ClientError

    async def go() -> None:
        faults = new_client_faults(1)
        async with ddb(moto_port, faults) as client:
            faults.throttle_p = 1.0
            with pytest.raises(ClientError) as e:
                await _put(client, "t1", "a")
            assert e.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            faults.throttle_p = 0.0
            assert await _get(client, "t1") is None  # the throttled request never reached moto
            # Half throttled: a retry loop with exponential backoff and jitter gets through.
            faults.throttle_p = 0.5
            rng, retries = random.Random(0), 0
            for i in range(10):
                for attempt in range(20):
                    try:
                        await _put(client, f"r{i}", "x")
                        break
                    except ClientError:
                        retries += 1
                        await asyncio.sleep(rng.uniform(0, 0.001 * 2**attempt))
            faults.clear()
            assert retries == faults.throttled - 1 > 0
            assert [await _get(client, f"r{i}") for i in range(10)] == ["x"] * 10

    asyncio.run(go())


def test_short_timeout_and_cancel_after_send_raise_timeout_errors(moto_port: int) -> None:
    async def go() -> None:
        faults = new_client_faults(2)
        async with ddb(moto_port, faults) as client:
            faults.timeout_s = 0.0005
            with pytest.raises(ClientTimeout):
                await faults.call(_put(client, "c1", "a"))
            faults.clear()
            faults.cancel_p = 1.0
            with pytest.raises(CancelledAfterSend):
                await faults.call(_put(client, "c2", "b"))
            faults.clear()
            assert faults.cancelled == 1 and faults.timeouts == 1
            assert isinstance(CancelledAfterSend("x"), TimeoutError)  # classified as info
            assert await faults.call(_get(client, "c2")) in (None, "b")  # may have happened

    asyncio.run(go())


def test_outer_cancellation_is_not_mistaken_for_an_injected_one(moto_port: int) -> None:
    async def go() -> None:
        faults = new_client_faults(3)
        async with ddb(moto_port, faults) as client:
            faults.cancel_p = 1.0
            faults.cancel_delay_s = 10.0  # ours would come far too late
            task = asyncio.create_task(faults.call(_put(client, "o1", "a")))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(go())


class _SdkStore:
    name = "fake-sdk"

    def __init__(self) -> None:
        self.client_faults = ClientFaults()


def test_client_fault_schedule_switches_and_heals() -> None:
    store = _SdkStore()
    nem = make_nemesis(["throttle", "client-timeout", "cancel"], store,
                       NemesisOptions(throttle_p=0.25))

    async def go() -> None:
        for f in nem.faults:
            value = await f.start(random.Random(0))
            assert value["target"] == "client"
            assert store.client_faults.active
            await f.stop()
            assert not store.client_faults.active

    asyncio.run(go())
    with pytest.raises(Exception, match=r"cannot take fault 'partition'.*no local endpoint"):
        store.endpoint = None  # type: ignore[attr-defined]
        store.set_client_endpoint = lambda h, p: None  # type: ignore[attr-defined]
        make_nemesis(["partition"], store, NemesisOptions())


def test_a_nemesis_with_client_faults_schedules_them_as_it_sets_up() -> None:
    """Scheduled by the nemesis's setup, not by building it (building it is also how a store's
    faults are listed); refused, loudly, once a client was opened without the hooks."""
    store = _SdkStore()
    nem = make_nemesis(["throttle", "cancel"], store, NemesisOptions())
    assert not store.client_faults.scheduled
    asyncio.run(nem.setup())
    assert store.client_faults.scheduled and store.client_faults.needs_hooks()
    quiet = _SdkStore()
    nem = make_nemesis(["throttle"], quiet, NemesisOptions())
    assert not quiet.client_faults.scheduled
    assert quiet.client_faults.needs_hooks() is False  # a client opened now goes without
    with pytest.raises(RuntimeError, match="without their hooks"):
        asyncio.run(nem.setup())
