"""The stream workload on DynamoDB Local: the run's table gets a stream (NEW_IMAGE), read through
its shards and iterators; valid with no faults, and a kill of the in-memory emulator shows as
what the checker reports lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Outcome, Scenario, run_scenario
from isolde.harness.stores.dynamodb import DYNAMODB_LOCAL
from isolde.nemesis import fault_windows

from ..conftest import _install


@pytest.fixture(scope="module")
def ddb_local() -> None:
    _install(DYNAMODB_LOCAL)


def run(tmp: Path, seed: int, **kw: Any) -> Outcome:
    # Capped by ops, not seconds: a busy machine runs the same load, only slower.
    base: dict[str, Any] = dict(
        store="dynamodb-local", workload="stream", time_limit=120.0, max_ops=150,
        concurrency=4, seed=seed, store_dir=tmp,
        workload_options={"keys": 3, "settle": 5.0})
    base.update(kw)
    return run_scenario(Scenario(**base))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_faults_every_write_reaches_the_stream_once_in_order(
        tmp_path: Path, ddb_local: None, seed: int) -> None:
    out = run(tmp_path, seed)
    r = out.results["checkers"]["change-stream"]
    assert r["valid"] is True, r["anomalies"][:3]
    # An append timed out on a very busy machine is info: its record may come or not.
    ok, info = r["writes"]["ok"], r["info_writes"]
    assert ok > 100 and sum(r["writes"].values()) == 150
    assert r["events"] == ok + info["seen"]
    assert r["promises"] == {"exactly_once": True, "ordered_per_key": True}
    lag = r["lag_ms"]
    assert lag["events"] == ok and 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    seqs = [op.extra["seq"] for op in out.history if op.f == "event" and op.type == "ok"]
    assert len(set(seqs)) == r["events"]  # the stream's own sequence numbers, one per record


def test_kill_of_the_in_memory_emulator_is_reported_lost(tmp_path: Path,
                                                          ddb_local: None) -> None:
    # Keys retire after 3 appends, so a key written before the kill is never written again:
    # its acknowledged appends are gone from the table, and either their records arrived (the
    # replayed stream then disagrees with the final read) or they did not (lost events).
    out = run(tmp_path, 1, nemesis=("kill",), nemesis_interval=3.0, time_limit=8.0,
              max_ops=None, op_timeout=2.0,
              workload_options={"keys": 1, "max_writes_per_key": 3, "settle": 5.0})
    kill = next(w for w in fault_windows(out.history) if w.fault == "kill")
    assert kill.value == {"killed": ["dynamodb-local"], "persistent": False}
    before = [op for op in out.history
              if op.f == "txn" and op.type == "ok" and op.time < kill.start
              and not op.extra.get("final")]
    assert len(before) >= 3, "a key retired before the kill (the premise of this test)"
    r = out.results["checkers"]["change-stream"]
    assert r["valid"] is False
    assert set(r["anomaly_counts"]) & {"lost-event", "audit-mismatch"}
    assert set(r["anomaly_counts"]) <= {"lost-event", "audit-mismatch"}, r["anomaly_counts"]
