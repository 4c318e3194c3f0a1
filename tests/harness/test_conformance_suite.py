"""The conformance suite catches broken stores (so passing it means something)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from isolde.harness.stores.memory import MemoryClient, MemoryStore
from isolde.harness.testing import (
    ConformanceError,
    check_cas,
    check_errors,
    check_register,
    check_transactions,
    run_check,
)
from isolde.histories import Op


class _CasIgnoresOld(MemoryClient):
    def apply(self, op: Op) -> Op:
        if op.f == "cas" and isinstance(op.value, list) and isinstance(op.value[1], list):
            k, (_, new) = op.value
            return super().apply(op.with_(f="write", value=[k, new])).with_(f="cas",
                                                                             value=op.value)
        return super().apply(op)


class _Raises(MemoryClient):
    async def invoke(self, op: Op) -> Op:
        if op.f == "frobnicate":
            raise ValueError("unsupported")
        return await super().invoke(op)


class _StaleReads(MemoryClient):
    async def invoke(self, op: Op) -> Op:
        done = await super().invoke(op)
        if op.f == "read" and done.type == "ok" and done.value[1] is not None:
            return done.with_(value=[done.value[0], done.value[1] - 1])
        return done


def store_with(client_cls: type[MemoryClient]) -> MemoryStore:
    store = MemoryStore()

    async def open_client(worker: int) -> MemoryClient:
        import random

        return client_cls(store, random.Random(worker))

    store.open_client = open_client  # type: ignore[method-assign]
    return store


@pytest.mark.parametrize(("client", "check"), [(_CasIgnoresOld, check_cas),
                                               (_Raises, check_errors),
                                               (_StaleReads, check_register)])
def test_broken_stores_fail_their_check(client: type[MemoryClient], check: Any) -> None:
    with pytest.raises(ConformanceError):
        asyncio.run(run_check(store_with(client), check))


def test_a_store_without_transactions_is_skipped_not_failed() -> None:
    store = MemoryStore()
    store.capabilities = frozenset({"register", "cas"})  # type: ignore[misc]
    with pytest.raises(Exception, match="no txn capability"):
        asyncio.run(run_check(store, check_transactions))


class _LeavesAProcess(MemoryStore):
    """Starts a process in setup and 'forgets' to stop it (a Managed store, whose process
    control is itself)."""

    process_name = "sleeper"
    pausable = False
    persistent = False

    async def setup(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])

    @property
    def process_control(self) -> Any:
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None: ...

    async def restart(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def after_restart(self) -> None: ...


def test_leftover_processes_are_reported() -> None:
    store = _LeavesAProcess()
    try:
        found = asyncio.run(run_check(store, check_register))
        assert found and "still exists" in found[0]
    finally:
        store.proc.kill()
        store.proc.wait()
