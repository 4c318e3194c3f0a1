"""firestore-emulator passes the store conformance suite: each check starts its own emulator
(a JVM, a few seconds), runs, and teardown must leave no process and no open port."""

from __future__ import annotations

import pytest

from isolde.harness import Store, make_store
from isolde.harness.testing import StoreConformance


@pytest.mark.usefixtures("firestore_jar")
class TestFirestoreEmulatorConformance(StoreConformance):
    def make_store(self) -> Store:
        return make_store("firestore-emulator")
