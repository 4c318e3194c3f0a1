"""Cosmos DB stores on ``azure.cosmos.aio`` (aiohttp): ``cosmos-emulator``, on cosmosdb-server
started by isolde, and ``cosmos``, a real account (the cloud audit). The SDK is imported only
when a store connects."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..._plugin import StoreContext, StoreSpec
from ..._store import MIXED, READ_MODES
from ._client import LEVELS, CosmosWorker
from ._cloud import CloudOptions, CosmosStore, check_level
from ._cost import Usage
from ._emulator import COSMOSDB_SERVER
from ._errors import STATUS, Verdict, classify
from ._names import PREFIX, check_name, new_name
from ._store import (
    CAPABILITIES,
    EMULATOR_KEY,
    CosmosEmulatorStore,
    CosmosOptions,
    CosmosStoreBase,
)
from ._transport import RETRY_AFTER_MS

SDK = ("azure.cosmos", "aiohttp")
SDK_HINT = "pip install 'isolde[cosmos]'"
# The fault proxy's faults: cosmosdb-server speaks plain HTTP/1.1 REST, which the proxy relays.
PROXY_FAULTS = ("partition", "latency", "lost-response", "duplicate", "reset")
# Injected in the SDK's transport (``_transport``): they work against any endpoint.
CLIENT_FAULTS = ("throttle", "client-timeout", "cancel")


def _build_emulator(options: CosmosOptions, context: StoreContext) -> CosmosEmulatorStore:
    rc = context.read_consistency
    # cosmosdb-server crashes (500) on a point read of a missing document: read by query.
    changes: dict[str, Any] = {"read_via": "query"}
    if rc != MIXED:
        changes["default_read"] = rc
    return CosmosEmulatorStore(dataclasses.replace(options, **changes), seed=context.seed)


# One node, one copy: every read mode is served as strongly as it can be, which honours all of
# them (the emulator does not emulate consistency levels or session tokens).
COSMOS_EMULATOR = StoreSpec(
    name="cosmos-emulator",
    summary="Cosmos DB's SQL API on cosmosdb-server, started by isolde (memory only; no "
            "transactional batch)",
    options=CosmosOptions, build=_build_emulator, capabilities=CAPABILITIES,
    read_modes=READ_MODES, faults=("kill", "pause", *PROXY_FAULTS, *CLIENT_FAULTS), sdk=SDK,
    sdk_hint=SDK_HINT, emulator=COSMOSDB_SERVER,
)


def _build_cloud(options: CloudOptions, context: StoreContext) -> CosmosStore:
    rc = context.read_consistency
    # mixed draws reads of every level, strong included: the account must allow strong.
    options = dataclasses.replace(options, default_read="strong" if rc == MIXED else rc)
    return CosmosStore(options, seed=context.seed)


COSMOS = StoreSpec(
    name="cosmos", summary="Azure Cosmos DB (or --endpoint-url): the cloud audit, with a plan "
    "and a bound on RU and cost", options=CloudOptions, build=_build_cloud,
    capabilities=CAPABILITIES, read_modes=READ_MODES, faults=CLIENT_FAULTS, sdk=SDK,
    sdk_hint=SDK_HINT, audited=True,
)

__all__ = [
    "CAPABILITIES",
    "CLIENT_FAULTS",
    "COSMOS",
    "COSMOSDB_SERVER",
    "COSMOS_EMULATOR",
    "EMULATOR_KEY",
    "LEVELS",
    "PREFIX",
    "RETRY_AFTER_MS",
    "STATUS",
    "CloudOptions",
    "CosmosEmulatorStore",
    "CosmosOptions",
    "CosmosStore",
    "CosmosStoreBase",
    "CosmosWorker",
    "Usage",
    "Verdict",
    "check_level",
    "check_name",
    "classify",
    "new_name",
]
