"""The DynamoDB stores pass the store conformance suite on moto, dynalite and DynamoDB Local.

moto and dynalite start their own emulator per test (well under a second). DynamoDB Local's JVM
takes seconds to start, so the data checks share one session emulator through the ``dynamodb``
store (``--endpoint-url``), and one test runs the owned ``dynamodb-local`` store end to end,
process control included.
"""

from __future__ import annotations

import asyncio

import pytest

from isolde.harness import Store
from isolde.harness.stores.dynamodb import (
    DynaliteStore,
    DynamoDBLocalStore,
    DynamoDBStore,
    DynamoOptions,
    MotoStore,
)
from isolde.harness.stores.dynamodb._api import Api, Secrets
from isolde.harness.stores.dynamodb._cost import Usage
from isolde.harness.stores.dynamodb._table import list_tables
from isolde.harness.testing import StoreConformance, check_process_control, run_check

FAST = {"read_timeout": 1.0, "connect_timeout": 1.0}


async def table_left(store: Store) -> list[str]:
    """The run's table must be gone (asked of the emulator with a client of our own)."""
    assert isinstance(store, DynamoDBStore)
    url = store.options.endpoint_url
    api = Api(DynamoOptions(dummy_credentials=True), url, Usage(), Secrets())
    await api.open()
    try:
        tables = await list_tables(api)
    finally:
        await api.close()
    return [f"table {store.table} still exists"] if store.table in tables else []


class TestMotoConformance(StoreConformance):
    def make_store(self) -> Store:
        return MotoStore(DynamoOptions(**FAST))


@pytest.mark.usefixtures("dynalite_installed")
class TestDynaliteConformance(StoreConformance):
    def make_store(self) -> Store:
        return DynaliteStore(DynamoOptions(**FAST))


class TestDynamoDBLocalConformance(StoreConformance):
    @pytest.fixture(autouse=True)
    def _emulator(self, dynamodb_local_url: str) -> None:
        self.url = dynamodb_local_url

    def make_store(self) -> Store:
        return DynamoDBStore(DynamoOptions(endpoint_url=self.url, dummy_credentials=True,
                                           **FAST))

    async def residue(self, store: Store) -> list[str]:
        return await table_left(store)


def test_dynamodb_local_store_owns_its_emulator(dynamodb_local_installed: None) -> None:
    """kill / pause / restart (-dbPath: the data survives) through ``process_control``;
    teardown stops and reaps the JVM. (dynalite's suite covers the in-memory restart.)"""
    store = DynamoDBLocalStore(DynamoOptions(persistent=True, **FAST))
    assert asyncio.run(run_check(store, check_process_control)) == []
    assert store.process_control is not None
    assert store.process_control.persistent


def test_dynalite_refuses_transactional_workloads() -> None:
    from isolde._errors import UsageError
    from isolde.harness import require

    with pytest.raises(UsageError, match=r"'dynalite' cannot run workload 'list-append'.*txn"):
        require(DynaliteStore(), frozenset({"txn"}), "list-append")
