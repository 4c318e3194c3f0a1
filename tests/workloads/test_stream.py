"""The stream workload end to end on the memory store: each stream fault is found as its
anomaly, exactly as many times as the store injected it (the store counts what it did)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isolde.harness import Scenario, make_store, run_scenario
from isolde.harness.stores.memory import MemoryStore

from ..conftest import run_cli

# Load capped by op count, not time: a slow machine runs the same history, only slower.
OPS = 400


def run(tmp_path: Path, fault: str, **store: object) -> tuple[dict, MemoryStore]:
    s = Scenario(workload="stream", time_limit=600, max_ops=OPS, concurrency=4, seed=3,
                 store_dir=tmp_path, store_options={"stream_fault": fault, **store},
                 workload_options={"keys": 4, "options": {"settle": 1.0}})
    st = make_store("memory", s.store_options, s.store_context())
    assert isinstance(st, MemoryStore)
    out = run_scenario(s, store=st)
    return out.results["checkers"]["change-stream"], st


@pytest.mark.parametrize(("fault", "anomaly"), [("drop", "lost-event"),
                                                ("duplicate", "duplicate-event"),
                                                ("reorder", "reordered-event")])
def test_each_stream_fault_is_found_exactly(tmp_path: Path, fault: str, anomaly: str) -> None:
    r, store = run(tmp_path, fault, stream_fault_rate=0.2)
    assert store.stream is not None
    injected = store.stream.injected[fault]
    assert injected > 0
    assert r["valid"] is False
    assert r["anomaly_counts"][anomaly] == injected
    # Only the fault's anomaly, and the audit's view of it (a key whose last record was
    # dropped or came before an older one projects wrong).
    assert set(r["anomaly_counts"]) <= {anomaly, "audit-mismatch"}
    assert r["writes"]["ok"] == OPS and r["writes"]["info"] == 0


def test_a_clean_stream_is_valid(tmp_path: Path) -> None:
    r, store = run(tmp_path, "none")
    assert r["valid"] is True
    assert r["anomaly_counts"] == {}
    assert r["events"] == r["writes"]["ok"] == OPS
    assert r["audit"]["keys"] > 0 and r["audit"]["mismatched"] == 0
    assert store.stream is not None and not store.stream.injected


def test_a_delayed_stream_is_late_not_lossy(tmp_path: Path) -> None:
    r, _ = run(tmp_path, "delay", stream_delay_ms=150.0)
    assert r["valid"] is True
    # Each record is due 150 ms after its commit; the ack comes a little after the commit
    # (later still on a busy machine), so the lag from the ack is a little under 150 ms at least.
    assert r["lag_ms"]["p50"] >= 100.0
    assert r["events"] == OPS


def test_cli_run_with_a_lag_sla(tmp_path: Path) -> None:
    p = run_cli("run", "--workload", "stream", "--stream-fault", "delay", "--stream-delay-ms",
                "150", "--max-ops", "200", "--time-limit", "600", "--settle", "1",
                "--stream-lag-sla", "p50=100ms", "--store-dir", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert "stream-lag-sla-exceeded" in p.stdout
    assert "change stream: 200 records for 200 ok appends; lag p50 " in p.stdout


@pytest.mark.parametrize(("args", "says"), [
    (("--store", "cosmos-emulator"), "change feed is not a history"),
    (("--store", "dynalite"), "change-stream"),
    (("--store", "memory", "--writers", "lww"), "change-stream"),
    (("--stream-lag-sla", "stale_fraction=1%"), "--stream-lag-sla"),
    (("--workload", "register", "--stream-fault", "drop"), "--stream-fault"),
])
def test_refusals_are_one_line_before_any_load(tmp_path: Path, args: tuple[str, ...],
                                               says: str) -> None:
    p = run_cli("run", "--workload", "stream", *args, "--store-dir", str(tmp_path),
                cwd=tmp_path)
    assert p.returncode == 254, p.stderr
    assert says in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not list(tmp_path.glob("*/*/history.jsonl"))


def test_check_judges_a_history_as_states_when_told(tmp_path: Path) -> None:
    """``isolde check --stream-states``: a re-check judges a Firestore listener's history as
    its run did -- a snapshot holding two appends delivers both."""
    lines = [
        {"index": 0, "time": 0, "type": "invoke", "process": 0, "f": "txn",
         "value": [["append", 1, 1]]},
        {"index": 1, "time": 1, "type": "ok", "process": 0, "f": "txn",
         "value": [["append", 1, 1]]},
        {"index": 2, "time": 2, "type": "invoke", "process": 0, "f": "txn",
         "value": [["append", 1, 2]]},
        {"index": 3, "time": 3, "type": "ok", "process": 0, "f": "txn",
         "value": [["append", 1, 2]]},
        {"index": 4, "time": 4, "type": "invoke", "process": "stream", "f": "event",
         "value": None},
        {"index": 5, "time": 5, "type": "ok", "process": "stream", "f": "event",
         "value": [1, [1, 2]]},
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    every = run_cli("check", "--checker", "change-stream", str(path), cwd=tmp_path)
    assert every.returncode == 1, every.stdout + every.stderr
    assert "lost-event" in every.stdout
    states = run_cli("check", "--checker", "change-stream", "--stream-states", str(path),
                     cwd=tmp_path)
    assert states.returncode == 0, states.stdout + states.stderr
