"""The consistency mapping of ``--store cosmos``, without a service: a level stronger than the
account's default refused naming it, Bounded Staleness's K and T as the read promises, and
``--preferred-locations`` passed to the SDK (with the endpoint discovery it needs)."""

from __future__ import annotations

import asyncio
import sys

import pytest

from isolde._errors import UsageError
from isolde.harness import MIXED, READ_MODES, Promising, StoreContext, make_store
from isolde.harness.stores.cosmos import LEVELS, CloudOptions, CosmosStore, check_level


@pytest.mark.parametrize("account", sorted(LEVELS))
@pytest.mark.parametrize("mode", sorted(LEVELS))
def test_a_request_may_only_relax_the_accounts_level(account: str, mode: str) -> None:
    if READ_MODES.index(mode) >= READ_MODES.index(account):
        check_level(mode, LEVELS[account])
        return
    with pytest.raises(UsageError, match=f"account's default consistency {LEVELS[account]}:"):
        check_level(mode, LEVELS[account])


class FakeAccount:
    ConsistencyPolicy = {"defaultConsistencyLevel": "BoundedStaleness",
                         "maxStalenessPrefix": 100, "maxIntervalInSeconds": 5}


class FakeAdmin:
    async def _get_database_account(self) -> FakeAccount:
        return FakeAccount()


def test_bounded_staleness_k_and_t_are_the_read_promises() -> None:
    store = CosmosStore(CloudOptions(throughput="serverless", default_read="bounded"))
    assert isinstance(store, Promising) and store.read_promises() == {}
    store.admin = FakeAdmin()
    asyncio.run(store._check_account())
    assert store.read_promises() == {"bounded_versions": 100, "bounded_ms": 5000.0}


def test_strong_on_a_bounded_account_is_refused() -> None:
    store = CosmosStore(CloudOptions(throughput="serverless", default_read="strong"))
    store.admin = FakeAdmin()
    with pytest.raises(UsageError, match="stronger than the account's default consistency "
                                         "BoundedStaleness"):
        asyncio.run(store._check_account())


def test_mixed_reads_need_an_account_that_allows_strong() -> None:
    store = make_store("cosmos", {"throughput": "serverless"},
                       StoreContext(read_consistency=MIXED))
    assert isinstance(store, CosmosStore) and store.options.default_read == "strong"


def test_preferred_locations_reach_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_KEY", "aXNvbGRl")

    async def policy(locations: str | None) -> tuple[list[str], bool]:
        store = CosmosStore(CloudOptions(endpoint_url="http://127.0.0.1:9", throughput="400",
                                         preferred_locations=locations))
        client = store._client(store._url())
        try:
            p = client.client_connection.connection_policy
            return list(p.PreferredLocations), p.EnableEndpointDiscovery
        finally:
            await client.close()

    assert asyncio.run(policy("North Europe, West Europe")) == (
        ["North Europe", "West Europe"], True)
    assert asyncio.run(policy(None)) == ([], False)


def test_without_a_key_or_azure_identity_the_plan_is_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COSMOS_KEY", raising=False)
    monkeypatch.setitem(sys.modules, "azure.identity", None)  # as if not installed
    store = CosmosStore(CloudOptions(endpoint_url="http://127.0.0.1:9", throughput="serverless"))
    with pytest.raises(UsageError, match=r"no credential: set COSMOS_KEY, or pip install "
                                         r"'isolde\[cosmos-aad\]'"):
        store.audit_plan("register", 10)


def test_the_plan_names_where_the_key_comes_from_never_the_key(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COSMOS_KEY", "aXNvbGRlLXNlY3JldA==")
    store = CosmosStore(CloudOptions(endpoint_url="http://127.0.0.1:9", throughput="serverless"))
    plan = store.audit_plan("register", 10)
    text = "\n".join(plan.lines)
    assert "the key in $COSMOS_KEY" in text and "aXNvbGRl" not in text
    assert not plan.accepted


class Offer:
    offer_throughput = 400


class ProvisionedContainer:
    async def get_throughput(self) -> Offer:
        return Offer()


class ServerlessContainer:
    async def get_throughput(self) -> Offer:
        raise RuntimeError("Reading or replacing offers is not supported for serverless accounts")


def test_serverless_on_a_provisioned_account_is_refused() -> None:
    store = CosmosStore(CloudOptions(throughput="serverless"))
    asyncio.run(store._check_container(ServerlessContainer()))
    with pytest.raises(UsageError, match="the account is not serverless: the container got 400 "
                                         r"RU/s \(pass --throughput 400"):
        asyncio.run(store._check_container(ProvisionedContainer()))
    provisioned = CosmosStore(CloudOptions(throughput="400"))
    asyncio.run(provisioned._check_container(ProvisionedContainer()))
