"""The soak's parts: durations, segment key ranges per workload, baseline comparison."""

from __future__ import annotations

import random
from typing import Any

import pytest

from isolde.harness import Context, OpSpec, Scenario
from isolde.soak import KEY_STRIDE, compare_baseline, parse_duration, segment_workload
from isolde.workloads import KeyScoped, WorkloadOptions, make_workload


@pytest.mark.parametrize(("text", "seconds"), [
    ("8h", 28800.0), ("10m", 600.0), ("30s", 30.0), ("45", 45.0), ("1.5h", 5400.0),
    ("250ms", 0.25), ("1d", 86400.0),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "-3", "0", "h", "1e999"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def _keys(value: Any, f: str) -> set[Any]:
    if f == "txn":
        return {mop[1] for mop in value}
    if isinstance(value, list):
        return {value[0]}
    return set()


@pytest.mark.parametrize("workload", ["register", "list-append", "rw-register", "causal"])
def test_segments_use_disjoint_keys(workload: str) -> None:
    """Each segment's keys are its own, so a segment is checkable without the others."""
    s = Scenario(workload=workload, concurrency=4)
    seen: list[set[Any]] = []
    for index in range(3):
        w = segment_workload(s, index)
        gen = w.generator()
        rng = random.Random(index)
        keys: set[Any] = set()
        for n in range(3000):
            ans = gen.next(Context(n, n % 4, n % 4, 4, rng))
            assert isinstance(ans, OpSpec)
            keys |= _keys(ans.value, ans.f)
        seen.append(keys)
        if isinstance(w, KeyScoped):  # what the store may forget once the segment is over
            assert all(k in w.keys_named() for k in keys)
    for i in range(3):
        for j in range(i + 1, 3):
            assert not seen[i] & seen[j], (workload, i, j)
    if workload != "causal":  # integer keys: each segment within its own range
        for i, keys in enumerate(seen):
            assert all(i * KEY_STRIDE <= k < (i + 1) * KEY_STRIDE for k in keys)


def _soak(*segments: dict[str, Any]) -> dict[str, Any]:
    return {"segments": list(segments)}


def test_baseline_regressions() -> None:
    base = _soak({"latency_ms": {"read": {"p50": 1, "p99": 10}}, "staleness_ms": {"p99": 50},
                  "anomaly_types": ["G0"]},
                 {"latency_ms": {"read": {"p50": 1, "p99": 12}}, "staleness_ms": {"p99": 60}})
    same = _soak({"latency_ms": {"read": {"p50": 1, "p99": 12}}, "staleness_ms": {"p99": 60},
                  "anomaly_types": ["G0"]})
    assert compare_baseline(same, base, 0.2, "b")["regressions"] == []
    worse = _soak({"latency_ms": {"read": {"p50": 1, "p99": 14}, "write": {"p50": 1, "p99": 9}},
                   "staleness_ms": {"p99": 100}, "anomaly_types": ["G0", "G1c"]})
    regs = compare_baseline(worse, base, 0.2, "b")["regressions"]
    assert {"metric": "anomaly-type", "new": "G1c"} in regs
    metrics = {r["metric"] for r in regs}
    assert metrics == {"latency_ms.read.p99", "staleness_ms.p99", "anomaly-type"}  # 14 > 13.2
    assert compare_baseline(worse, base, 0.5, "b")["regressions"] == [
        {"metric": "staleness_ms.p99", "baseline": 55.0, "now": 100, "change": 100 / 55 - 1},
        {"metric": "anomaly-type", "new": "G1c"}]


def test_a_bank_keeps_its_accounts_from_segment_to_segment() -> None:
    """The bank's accounts live on across segments: the store must not forget them."""
    assert not isinstance(make_workload("bank", WorkloadOptions()), KeyScoped)
