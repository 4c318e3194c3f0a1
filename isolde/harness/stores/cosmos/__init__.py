"""Cosmos DB stores on ``azure.cosmos.aio`` (aiohttp): ``cosmos-emulator``, on cosmosdb-server
started by isolde. The SDK is imported only when a store connects."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..._plugin import StoreContext, StoreSpec
from ..._store import MIXED, READ_MODES
from ._client import LEVELS, CosmosWorker
from ._emulator import COSMOSDB_SERVER
from ._errors import STATUS, Verdict, classify
from ._names import PREFIX, check_name, new_name
from ._store import CAPABILITIES, CosmosEmulatorStore, CosmosOptions, CosmosStoreBase

SDK = ("azure.cosmos", "aiohttp")
SDK_HINT = "pip install 'isolde[cosmos]'"
# The fault proxy's faults: cosmosdb-server speaks plain HTTP/1.1 REST, which the proxy relays.
PROXY_FAULTS = ("partition", "latency", "lost-response", "duplicate", "reset")


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
    read_modes=READ_MODES, faults=("kill", "pause", *PROXY_FAULTS), sdk=SDK, sdk_hint=SDK_HINT,
    emulator=COSMOSDB_SERVER,
)

__all__ = [
    "CAPABILITIES",
    "COSMOSDB_SERVER",
    "COSMOS_EMULATOR",
    "LEVELS",
    "PREFIX",
    "STATUS",
    "CosmosEmulatorStore",
    "CosmosOptions",
    "CosmosStoreBase",
    "CosmosWorker",
    "Verdict",
    "check_name",
    "classify",
    "new_name",
]
