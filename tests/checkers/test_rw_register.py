"""The rw-register checker on hand-written histories, and on the memory store's modes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import CheckConfig, Result, make_checker
from isolde.histories import txn_history

from ..harness.test_txn_isolation import run
from .txnpaths import check_both


def check(txns: list, models: tuple[str, ...] = ("serializable",), concurrent: bool = True,
          processes: list | None = None) -> Result:
    h = txn_history(txns, concurrent=concurrent, register=True, processes=processes)
    return check_both(make_checker("rw-register", CheckConfig(consistency_models=models)), h)


CASES = [
    ("G1a", [("fail", "wx1"), "rx1"], [("fail", "wx1"), "rx"]),
    ("G1b", ["wx1wx2", "rx1"], ["wx1wx2", "rx2"]),
    ("G1c", ["wx1ry1", "wy1rx1"], ["wx1ry", "wy1rx1"]),
    ("G-single", ["wx1wy1", "rxry1"], ["wx1wy1", "rx1ry1"]),
    ("G2-item", ["rxwy1", "rywx1"], ["rxwy1", "ry1wx1"]),
    ("G0", ["wx1ry2wy1", "rx1wx2wy2"], ["wx1rywy1", "rx1wx2wy2"]),
    ("lost-update", ["wx1", "rx1wx2", "rx1wx3"], ["wx1", "rx1wx2", "rx2wx3"]),
    ("internal", ["wx1rx2", "wx2"], ["wx1rx1", "wx2"]),
    ("garbage-read", ["rx9"], ["rx"]),
    ("future-read", ["rx1wx1"], ["rxwx1"]),
    ("nonrepeatable-read", ["wx1", "rxrx1"], ["wx1", "rxrx"]),
]


@pytest.mark.parametrize(("anomaly", "bad", "good"), CASES, ids=[c[0] for c in CASES])
def test_each_anomaly_and_its_absence(anomaly: str, bad: list, good: list) -> None:
    r = check(bad)
    assert anomaly in r.data["anomaly_counts"], r.data
    assert r.valid is False
    assert next(a for a in r.anomalies if a.type == anomaly).explanation
    ok = check(good)
    assert anomaly not in ok.data["anomaly_counts"], ok.data


def test_inference_from_orders_only_when_asked() -> None:
    # x=1 then x=2, strictly one after the other; a later reader sees 1 after a reader saw 2.
    h = ["wx1", "wx2", "rx2", "rx1"]
    assert check(h, ("serializable",), concurrent=False).valid is True  # blind writes: unordered
    r = check(h, ("strict-serializable",), concurrent=False)
    assert r.valid is False and all(t.endswith("-realtime") for t in r.anomaly_types)
    p = check(h, ("strong-session-serializable",), concurrent=False, processes=[0, 0, 1, 1])
    assert p.valid is False and all(t.endswith("-process") for t in p.anomaly_types)


def test_valid_serial_history() -> None:
    r = check(["wx1", "rx1wy1", "rx1ry1wx2", "rx2ry1"], ("strict-serializable",),
              concurrent=False)
    assert r.valid is True and r.anomalies == []


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10**6))
def test_memory_store_modes(seed: int) -> None:
    cfg = CheckConfig(consistency_models=("strict-serializable",))
    h = run("serializable", seed, ops=150, workload="rw-register")
    assert make_checker("rw-register", cfg).check(h).valid is True
    si = CheckConfig(consistency_models=("strong-snapshot-isolation",))
    h = run("snapshot-isolation", seed, ops=150, workload="rw-register")
    r = make_checker("rw-register", si).check(h)
    assert r.valid is True, r.anomaly_types


def test_auto_selection_by_micro_ops() -> None:
    from isolde.checkers._auto import default_checkers

    assert default_checkers(txn_history(["wx1", "rx1"], register=True))[0] == "rw-register"
    assert default_checkers(txn_history(["ax1", "rx1"]))[0] == "list-append"
