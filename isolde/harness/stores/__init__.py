"""Stores by name: every ``isolde.stores`` entry point, isolde's own included (see
:mod:`isolde.harness._plugin` for the contract). A store's module is imported only when the store
is used, so a cloud SDK is needed only by its store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._plugins import Registry, named
from .._options import build
from .._plugin import StoreContext, StoreSpec
from .._store import Store

STORES: Registry[StoreSpec] = Registry("isolde.stores", "store",
                                       named(StoreSpec, "isolde.harness.StoreSpec"))


def store_spec(name: str) -> StoreSpec:
    """The spec of store ``name``; UsageError (one line) when unknown or broken."""
    return STORES.get_or_refuse(name)


def make_store(name: str, options: Mapping[str, Any] | None = None,
               context: StoreContext | None = None) -> Store:
    """A new store ``name`` from option values by field name (its flags, and knobs for code)."""
    spec = store_spec(name)
    opts: Any = build(spec.options, dict(options or {}), f"store {name!r}")
    return spec.build(opts, context or StoreContext())


__all__ = ["STORES", "make_store", "store_spec"]
