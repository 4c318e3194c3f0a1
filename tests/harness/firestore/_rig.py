"""A test rig for a module's tests on one emulator: one store set up, one client of it, one event
loop; each module's rig says how its faults are healed."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from typing import Any, TypeVar

from isolde.harness.stores.firestore import FirestoreEmulatorStore
from isolde.harness.stores.firestore._client import FirestoreClient
from isolde.histories import Op

T = TypeVar("T")
_ids = itertools.count()


class Rig:
    def __init__(self, store: FirestoreEmulatorStore) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = store
        self.run(self.store.setup())
        self.before_clients()
        self.client: FirestoreClient = self.run(self.store.open_client(0))

    def before_clients(self) -> None:
        """What comes between the store's setup and its first client (e.g. a fault proxy)."""

    def heal(self) -> None:
        """Switch every fault off (after each test, and before the teardown)."""
        raise NotImplementedError

    def run(self, aw: Awaitable[T]) -> T:
        return self.loop.run_until_complete(aw)

    def op(self, f: str, value: Any) -> Op:
        invoke = Op(index=next(_ids), time=0, type="invoke", process=0, f=f, value=value)
        return self.run(self.client.invoke(invoke))

    def after_teardown(self) -> None:
        """What to stop after the store (e.g. the fault proxy)."""

    def close(self) -> None:
        self.heal()
        self.run(self.store.teardown())
        self.after_teardown()
        self.loop.close()
