"""The embedded store passes the store conformance suite."""

from __future__ import annotations

from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.harness.testing import StoreConformance


class TestMemoryConformance(StoreConformance):
    def make_store(self) -> MemoryStore:
        return MemoryStore(MemoryOptions(seed=1))
