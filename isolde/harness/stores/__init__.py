"""Stores by name. Each entry is a factory ``(options: dict) -> Store``, imported lazily so a
cloud SDK is needed only when its store is used."""

from __future__ import annotations

import importlib
from typing import Any

from ..._errors import UsageError
from .._store import Store

STORES: dict[str, str] = {
    "memory": "isolde.harness.stores._factories:memory",
    "dynamodb": "isolde.harness.stores.dynamodb:dynamodb",
    "dynamodb-local": "isolde.harness.stores.dynamodb:dynamodb_local",
    "moto": "isolde.harness.stores.dynamodb:moto",
    "dynalite": "isolde.harness.stores.dynamodb:dynalite",
}


def make_store(name: str, options: dict[str, Any]) -> Store:
    target = STORES.get(name)
    if target is None:
        raise UsageError(f"unknown store {name!r} (known: {', '.join(sorted(STORES))})")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)(options)


__all__ = ["STORES", "make_store"]
