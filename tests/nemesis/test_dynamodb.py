"""The nemesis against the DynamoDB emulators isolde manages (installed by the tests, as the
store tests do; skipped with the reason when a runtime is missing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from isolde.checkers import CheckConfig
from isolde.harness import Scenario, run_scenario
from isolde.harness.stores.dynamodb import DYNALITE, DYNAMODB_LOCAL
from isolde.nemesis import fault_windows

from ..harness.conftest import _install
from ..hunt import hunt
from ._stale import assert_kill_lost_writes, assert_lost_replies_are_info, stale_reads
from .test_bank_duplicates import _ledger_mismatch


@pytest.fixture(scope="module")
def ddb_local() -> None:
    _install(DYNAMODB_LOCAL)


def _run(tmp: Path, store: str, nemesis: tuple[str, ...], **kw: Any) -> Any:
    base: dict[str, Any] = dict(
        store=store, nemesis=nemesis, time_limit=4.0, concurrency=4, seed=2, op_timeout=1.0,
        nemesis_interval=0.8, store_dir=tmp, check=CheckConfig(time_limit=60),
        workload_options={"keys": 3, "ops_per_key": 80, "read_consistency": "strong"})
    base.update(kw)
    return run_scenario(Scenario(**base))


def test_dynamodb_local_lost_responses_are_info_and_linearizable(
        tmp_path: Path, ddb_local: None) -> None:
    out = _run(tmp_path, "dynamodb-local", ("lost-response",),
               nemesis_options={"lost_response_p": 0.3})
    assert_lost_replies_are_info(out)


def test_moto_kill_loses_acknowledged_writes(tmp_path: Path) -> None:
    # The loss shows only if some key is read after a restart before anything rewrites it: a
    # race, so more keys and seeds until it shows (each run alone finds it nearly always).
    out = hunt(lambda seed: _run(tmp_path / str(seed), "moto", ("kill",), seed=seed,
                                 checkers=("linearizable", "stats"),
                                 workload_options={"keys": 6, "ops_per_key": 100_000,
                                                   "read_consistency": "strong"}),
               lambda out: bool(stale_reads(out.history)[0]), first_seed=2)
    assert_kill_lost_writes(out)


def test_throttling_is_absorbed_by_retries_recorded_in_ops(tmp_path: Path) -> None:
    # A cap on ops, not a few seconds: a busy machine gets the same amount of load.
    out = _run(tmp_path, "moto", ("throttle",), nemesis_options={"throttle_p": 0.5},
               checkers=("stats",), time_limit=120.0, max_ops=240)
    retried = [op for op in out.history if op.extra.get("retries")]
    assert retried, "throttled requests were retried, and the ops say how often"
    ok = sum(1 for op in out.history if op.is_ok)
    assert ok > 100


def test_dynalite_persistent_survives_kill_and_pause(tmp_path: Path) -> None:
    _install(DYNALITE)
    out = _run(tmp_path, "dynalite", ("kill", "pause"), store_options={"persistent": True},
               checkers=("linearizable", "stats"),
               workload_options={"keys": 2, "ops_per_key": 300, "read_consistency": "strong"})
    windows = fault_windows(out.history)
    assert {w.fault for w in windows} == {"kill", "pause"}
    assert all(w.value["persistent"] is True for w in windows if w.fault == "kill")
    assert stale_reads(out.history)[0] == []  # --path keeps every acknowledged write
    assert out.results["checkers"]["linearizable"]["valid"] is True


def _bank(tmp: Path, mode: str, total: int = 300, seed: int = 2) -> Any:
    return _run(tmp, "dynamodb-local", ("duplicate",), concurrency=1, time_limit=3.0,
                nemesis_interval=0.5, workload="bank", seed=seed,
                nemesis_options={"duplicate_p": 0.5, "duplicate_delay_ms": 100.0},
                workload_options={"options": {"bank_mode": mode, "accounts": 3,
                                              "total": total}})


def test_bank_under_duplicate_requests_idempotent_vs_not(
        tmp_path: Path, ddb_local: None) -> None:
    # One client, so only the duplicates can do harm. Transfers in one TransactWriteItems
    # carry a ClientRequestToken: a duplicate is recognised and not applied again.
    # Balances far above any transfer, so none fails: DynamoDB keeps a token only for a
    # transaction that succeeded, and a copy of a refused transfer may succeed later (then a
    # transfer recorded as fail moved money: the ledger shows it, the total does not).
    txn = _bank(tmp_path / "txn", "txn", total=300_000)
    assert txn.results["faults"]["by_fault"]["duplicate"]["count"] >= 2
    assert txn.results["checkers"]["bank"]["valid"] is True
    transfers = [op for op in txn.history if op.f == "transfer" and not op.is_invoke]
    if all(op.is_ok for op in transfers):
        initial = {a: 100_000 for a in range(3)}
        assert _ledger_mismatch(txn.history, initial) == {}  # each transfer applied once
    # The read-modify-write control writes absolute balances with plain PutItem, which has no
    # token: a copy landing after a later transfer puts an old balance back.
    # A copy does harm only if it lands after the next write of the same account: a race
    # that a loaded machine (slow emulator, fewer transfers per 100 ms) can lose, so up to
    # more seeds until it shows.
    rmw = hunt(lambda seed: _bank(tmp_path / f"rmw{seed}", "rmw", seed=seed),
               lambda rmw: rmw.results["checkers"]["bank"]["valid"] is False, first_seed=2)
    bank = rmw.results["checkers"]["bank"]
    assert bank["valid"] is False
    assert "wrong-total" in bank["anomaly_types"]
