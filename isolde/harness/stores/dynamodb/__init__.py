"""DynamoDB stores: ``dynamodb`` (AWS or any endpoint) and the emulator-backed ``dynamodb-local``,
``moto`` and ``dynalite``. aiobotocore is imported only when a client connects."""

from __future__ import annotations

from typing import Any

from ._api import DynamoOptions, Secrets
from ._cost import PRICES, Usage, estimate
from ._errors import (
    CANCELLATION_REASONS,
    ERROR_CODES,
    FAIL,
    INFO,
    TRANSPORT_ERRORS,
    Verdict,
    classify,
)
from ._store import (
    DynaliteStore,
    DynamoDBLocalStore,
    DynamoDBStore,
    EmulatedStore,
    MotoStore,
)
from ._table import PREFIX, check_table_name, new_table_name

_CLASSES: dict[str, type[DynamoDBStore]] = {
    "dynamodb": DynamoDBStore,
    "dynamodb-local": DynamoDBLocalStore,
    "moto": MotoStore,
    "dynalite": DynaliteStore,
}


def make(name: str, options: dict[str, Any]) -> DynamoDBStore:
    """The store ``name`` from CLI-style options (unknown keys, e.g. memory flags, ignored)."""
    fields = DynamoOptions.__dataclass_fields__
    opts = DynamoOptions(**{k: v for k, v in options.items() if k in fields and v is not None})
    return _CLASSES[name](opts, seed=int(options.get("seed", 0)))


def dynamodb(options: dict[str, Any]) -> DynamoDBStore:
    return make("dynamodb", options)


def dynamodb_local(options: dict[str, Any]) -> DynamoDBStore:
    return make("dynamodb-local", options)


def moto(options: dict[str, Any]) -> DynamoDBStore:
    return make("moto", options)


def dynalite(options: dict[str, Any]) -> DynamoDBStore:
    return make("dynalite", options)


__all__ = [
    "CANCELLATION_REASONS",
    "ERROR_CODES",
    "FAIL",
    "INFO",
    "PREFIX",
    "PRICES",
    "TRANSPORT_ERRORS",
    "DynaliteStore",
    "DynamoDBLocalStore",
    "DynamoDBStore",
    "DynamoOptions",
    "EmulatedStore",
    "MotoStore",
    "Secrets",
    "Usage",
    "Verdict",
    "check_table_name",
    "classify",
    "dynalite",
    "dynamodb",
    "dynamodb_local",
    "estimate",
    "make",
    "moto",
    "new_table_name",
]
