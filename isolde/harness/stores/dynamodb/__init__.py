"""DynamoDB stores: ``dynamodb`` (AWS or any endpoint: the cloud audit) and the emulator-backed
``dynamodb-local``, ``moto`` and ``dynalite``. aiobotocore is imported only when a client
connects. Each store is declared by its :class:`isolde.harness.StoreSpec` (``SPECS``), registered
under the ``isolde.stores`` entry point group."""

from __future__ import annotations

from typing import Any

from ..._plugin import StoreSpec
from .._sdk import builder
from ._api import CloudOptions, DynamoOptions, PersistentOptions, Secrets
from ._cost import PRICES, Usage, estimate
from ._emulators import DYNALITE, DYNAMODB_LOCAL, MOTO
from ._errors import CANCELLATION_REASONS, ERROR_CODES, TRANSPORT_ERRORS, Verdict, classify
from ._store import (
    CAPABILITIES,
    NO_TRANSACTIONS,
    DynaliteStore,
    DynamoDBLocalStore,
    DynamoDBStore,
    DynamoStoreBase,
    EmulatedStore,
    MotoStore,
)
from ._table import PREFIX, check_table_name, new_table_name

# GetItem's ConsistentRead is true for strong reads and false for every other mode.
READ_MODES = ("strong", "eventual")
SDK = ("aiobotocore",)
SDK_HINT = "pip install 'isolde[dynamodb]'"
_PROXY = ("partition", "latency", "lost-response", "duplicate", "reset")
_CLIENT = ("throttle", "client-timeout", "cancel")


def _spec(name: str, cls: type[DynamoStoreBase], options: type[DynamoOptions], summary: str,
          faults: tuple[str, ...], **kw: Any) -> StoreSpec:
    return StoreSpec(name=name, summary=summary, options=options, build=builder(cls),
                     capabilities=cls.capabilities, read_modes=READ_MODES, faults=faults,
                     sdk=SDK, sdk_hint=SDK_HINT, **kw)


DYNAMODB = _spec("dynamodb", DynamoDBStore, CloudOptions,
                 "AWS DynamoDB (or --endpoint-url): the cloud audit, with a plan and a cost "
                 "bound", (*_PROXY, *_CLIENT), audited=True)
DYNAMODB_LOCAL_SPEC = _spec("dynamodb-local", DynamoDBLocalStore, PersistentOptions,
                            "Amazon's DynamoDB Local, started by isolde",
                            ("kill", "pause", *_PROXY, *_CLIENT), emulator=DYNAMODB_LOCAL)
MOTO_SPEC = _spec("moto", MotoStore, DynamoOptions,
                  "moto's DynamoDB server, in-process (transactions are buggy)",
                  ("kill", *_PROXY, *_CLIENT), emulator=MOTO)
DYNALITE_SPEC = _spec("dynalite", DynaliteStore, PersistentOptions,
                      "dynalite (DynamoDB API on LevelDB), started by isolde; no transactions",
                      ("kill", "pause", *_PROXY, *_CLIENT), emulator=DYNALITE)
SPECS = {s.name: s for s in (DYNAMODB, DYNAMODB_LOCAL_SPEC, MOTO_SPEC, DYNALITE_SPEC)}

__all__ = [
    "CANCELLATION_REASONS",
    "CAPABILITIES",
    "DYNALITE",
    "DYNALITE_SPEC",
    "DYNAMODB",
    "DYNAMODB_LOCAL",
    "DYNAMODB_LOCAL_SPEC",
    "ERROR_CODES",
    "MOTO",
    "MOTO_SPEC",
    "NO_TRANSACTIONS",
    "PREFIX",
    "PRICES",
    "SPECS",
    "TRANSPORT_ERRORS",
    "CloudOptions",
    "DynaliteStore",
    "DynamoDBLocalStore",
    "DynamoDBStore",
    "DynamoOptions",
    "DynamoStoreBase",
    "EmulatedStore",
    "MotoStore",
    "PersistentOptions",
    "Secrets",
    "Usage",
    "Verdict",
    "check_table_name",
    "classify",
    "estimate",
    "new_table_name",
]
