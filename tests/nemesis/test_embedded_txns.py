"""The embedded store's network faults reach transactions too, not only single-key ops.

A transaction (list-append, bank, outbox) is a request like any other: under ``lost-response``
it commits and its reply is lost (the op is ``info``); under ``duplicate`` it is delivered again
and executed a second time, independently -- for list-append a duplicated append, which the
list-append checker reports as ``duplicate-elements``. (Bank transfers applied twice keep the
total, so only a ledger shows them: ``test_bank_duplicates.py``.)
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import Outcome, Scenario, run_scenario
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op

from ..hunt import hunt

APPEND = Op(0, 0, "invoke", 0, "txn", [["append", 1, 7], ["r", 1, None]])


def _appended(store: MemoryStore) -> list[int]:
    return list(store.data.latest(1)[1] or ())


def test_a_lost_response_commits_the_transaction_without_a_reply() -> None:
    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0))
        client = await store.open_client(0)
        store.faults.lost_response_p = 1.0
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.invoke(APPEND), 0.2)
        assert _appended(store) == [7]  # committed: the op is info, not fail

    asyncio.run(go())


@pytest.mark.parametrize("isolation", ["serializable", "snapshot-isolation", "read-committed",
                                       "none"])
def test_a_duplicated_transaction_is_executed_twice(isolation: str) -> None:
    async def go() -> None:
        store = MemoryStore(MemoryOptions(latency_ms=0, isolation=isolation))
        client = await store.open_client(0)
        store.faults.duplicate_p, store.faults.duplicate_delay_ms = 1.0, 5.0
        done = await client.invoke(APPEND)
        await store.faults.drain()
        assert done.type == "ok"
        assert store.faults.duplicates_applied == 1
        assert _appended(store) == [7, 7]  # the copy appended again

    asyncio.run(go())


def _list_append(tmp: Path, fault: str, seed: int, **nemesis: float) -> Outcome:
    # Capped by ops, paced so that the fault windows (0.3 s each) meet a few dozen txns.
    return run_scenario(Scenario(
        workload="list-append", nemesis=(fault,), nemesis_interval=0.3, nemesis_options=nemesis,
        time_limit=120.0, max_ops=240, rate=100.0, concurrency=4, seed=seed, op_timeout=0.3,
        store_dir=tmp / str(seed), store_options={"latency_ms": 0.2},
        check=CheckConfig(time_limit=60)))


def _txns(out: Outcome, type_: str) -> list[Op]:
    return [op for op in out.history if op.f == "txn" and op.type == type_]


def test_lost_responses_leave_info_transactions_and_a_valid_history(tmp_path: Path) -> None:
    out = hunt(lambda seed: _list_append(tmp_path, "lost-response", seed, lost_response_p=0.3),
               lambda o: len(_txns(o, "info")) > 0, first_seed=1)
    assert _txns(out, "info"), "no transaction lost its reply"
    assert all(op.error == "timeout" for op in _txns(out, "info"))
    assert out.results["checkers"]["list-append"]["valid"] is True  # info txns may have happened


def test_duplicated_transactions_show_as_duplicate_appends(tmp_path: Path) -> None:
    def found(o: Outcome) -> bool:
        return "duplicate-elements" in o.results["checkers"]["list-append"]["anomaly_types"]

    out = hunt(lambda seed: _list_append(tmp_path, "duplicate", seed, duplicate_p=0.5),
               found, first_seed=1)
    assert found(out), "no duplicated append was read"
    assert out.valid is False
    assert {w["fault"] for w in out.results["faults"]["windows"]} == {"duplicate"}
