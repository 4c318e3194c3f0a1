"""Assertions the store tests share: what a run on any store must show for a given fault."""

from __future__ import annotations

from isolde.harness import Outcome
from isolde.nemesis import fault_windows


def assert_kill_shows_as_lost(out: Outcome, process: str) -> None:
    """A stream run whose in-memory store was killed: keys retire after a few appends, so a key
    written before the kill is never written again; its acknowledged appends are gone, and
    either their records arrived (the replayed stream then disagrees with the final read) or
    they did not (lost events). Nothing else is wrong."""
    kill = next(w for w in fault_windows(out.history) if w.fault == "kill")
    assert kill.value == {"killed": [process], "persistent": False}
    before = [op for op in out.history
              if op.f == "txn" and op.type == "ok" and op.time < kill.start
              and not op.extra.get("final")]
    assert len(before) >= 3, "a key retired before the kill (the premise of this test)"
    r = out.results["checkers"]["change-stream"]
    assert r["valid"] is False
    assert set(r["anomaly_counts"]) & {"lost-event", "audit-mismatch"}
    assert set(r["anomaly_counts"]) <= {"lost-event", "audit-mismatch"}, r["anomaly_counts"]


def assert_only_lost_outbox_records(out: Outcome) -> None:
    """The dual-write control under throttling: records lost, each for a transfer whose
    publish reported an error; the balances right."""
    outbox = out.results["checkers"]["outbox"]
    assert outbox["anomaly_types"] == ["lost-outbox-record"]
    assert out.results["checkers"]["bank"]["valid"] is True  # the balances are right
    lost = {a["id"] for a in outbox["anomalies"]}
    noted = {op.value["id"] for op in out.history
             if op.f == "transfer" and op.is_ok and "outbox_error" in op.extra}
    assert lost and lost <= noted  # each lost record's publish did report an error
