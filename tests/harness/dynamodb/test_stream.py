"""The stream workload on DynamoDB Local: the run's table gets a stream (NEW_IMAGE), read through
its shards and iterators; valid with no faults, and a kill of the in-memory emulator shows as
what the checker reports lost. The same on moto, and on the cloud store's code path
(``--store dynamodb --endpoint-url``, against DynamoDB Local): only the run's table gets a
stream, and the plan prices reading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Outcome, Scenario, run_scenario
from isolde.harness.stores.dynamodb import DYNAMODB_LOCAL

from ..conftest import _install
from ..verdicts import assert_kill_shows_as_lost
from .test_cli import audit, aws_env, isolde, tables


@pytest.fixture(scope="module")
def ddb_local() -> None:
    _install(DYNAMODB_LOCAL)


PROMISES = {"exactly_once": True, "ordered_per_key": True, "every_write": True}


def run(tmp: Path, seed: int, **kw: Any) -> Outcome:
    # Capped by ops, not seconds: a busy machine runs the same load, only slower.
    base: dict[str, Any] = dict(
        store="dynamodb-local", workload="stream", time_limit=120.0, max_ops=150,
        concurrency=4, seed=seed, store_dir=tmp,
        workload_options={"keys": 3, "options": {"settle": 5.0}})
    base.update(kw)
    return run_scenario(Scenario(**base))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_faults_every_write_reaches_the_stream_once_in_order(
        tmp_path: Path, ddb_local: None, seed: int) -> None:
    assert_each_write_once_in_order(run(tmp_path, seed), 150)


def assert_each_write_once_in_order(out: Outcome, ops: int) -> None:
    r = out.results["checkers"]["change-stream"]
    assert r["valid"] is True, r["anomalies"][:3]
    # An append timed out on a very busy machine is info: its record may come or not.
    ok, info = r["writes"]["ok"], r["info_writes"]
    assert ok > ops * 2 // 3 and sum(r["writes"].values()) == ops
    assert r["events"] == ok + info["seen"]
    assert r["promises"] == PROMISES
    lag = r["lag_ms"]
    assert lag["events"] == ok and 0 <= lag["p50"] <= lag["p99"] <= lag["max"]
    seqs = [op.extra["seq"] for op in out.history if op.f == "event" and op.type == "ok"]
    assert len(set(seqs)) == r["events"]  # the stream's own sequence numbers, one per record


def test_kill_of_the_in_memory_emulator_is_reported_lost(tmp_path: Path,
                                                          ddb_local: None) -> None:
    out = run(tmp_path, 1, nemesis=("kill",), nemesis_interval=3.0, time_limit=8.0,
              max_ops=None, op_timeout=2.0,
              workload_options={"keys": 1, "options": {"max_writes_per_key": 3, "settle": 5.0}})
    assert_kill_shows_as_lost(out, "dynamodb-local")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_moto_writes_a_bare_key_record_for_each_item_an_update_creates(tmp_path: Path,
                                                                      seed: int) -> None:
    """A finding about moto 5.x: an UpdateItem that creates an item puts two INSERT records on
    the stream -- the bare key (no attributes), then the item -- where DynamoDB (and DynamoDB
    Local) puts one. isolde reports each bare record as a ``phantom-event`` (an image naming
    no append): exactly one per key the run created, and nothing else is wrong -- every
    append's record once, in order. One worker: two concurrent creates of one item race in
    moto, and the count would be a race's."""
    out = run(tmp_path, seed, store="moto", concurrency=1)
    r = out.results["checkers"]["change-stream"]
    created = {m[1] for op in out.history
               if op.f == "txn" and op.is_invoke and not op.extra.get("final")
               for m in op.value}
    assert r["anomaly_counts"] == {"phantom-event": len(created)}
    assert {a["image"] for a in r["anomalies"]} == {None}
    assert r["writes"] == {"ok": 150, "fail": 0, "info": 0}
    assert r["events"] == 150 + len(created)
    assert r["promises"] == PROMISES


def test_cloud_path_streams_its_own_table_and_prices_it(tmp_path: Path,
                                                        dynamodb_local_url: str) -> None:
    """``--store dynamodb`` at an endpoint, as a cloud audit: the plan prices GetRecords, the
    run's table gets the stream, the report counts the stream's reads, the table is gone after
    (and no other table was touched)."""
    before = tables(dynamodb_local_url)
    p = isolde(*audit(dynamodb_local_url, tmp_path, "--workload", "stream", "--max-ops", "100",
                      "--settle", "3", "--yes"), env=aws_env(), timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "the table gets a stream (NEW_IMAGE)" in p.stdout
    assert "GetRecords a minute per idle shard" in p.stdout
    assert "get_records" in p.stdout  # the audit report counts the stream's reads
    out = json.loads((tmp_path / "store" / "latest" / "results.json").read_text())
    r = out["checkers"]["change-stream"]
    assert r["valid"] is True, r["anomalies"][:3]
    assert r["events"] == r["writes"]["ok"] + r["info_writes"]["seen"] > 60
    assert tables(dynamodb_local_url) == before
