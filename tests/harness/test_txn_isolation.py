"""The memory store's transaction isolation modes, judged by the isolation checkers."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers import CheckConfig, Result, make_checker
from isolde.harness import Limit, RunLimits, Runner
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import History, Op
from isolde.workloads import WorkloadOptions, make_workload


def run(isolation: str, seed: int = 0, ops: int = 300, concurrency: int = 6, keys: int = 3,
        workload: str = "list-append", **opts: object) -> History:
    w = make_workload(workload, WorkloadOptions(seed=seed, keys=keys, concurrency=concurrency,
                                                options=dict(opts)))
    store = MemoryStore(MemoryOptions(seed=seed, isolation=isolation, latency_ms=0.0))
    setup = w.setup_generator() if hasattr(w, "setup_generator") else None
    runner = Runner(store=store, generator=Limit(ops, w.generator()),
                    final=w.final_generator(), setup=setup,
                    limits=RunLimits(concurrency=concurrency, seed=seed))
    return asyncio.run(runner.run())


def judge(h: History, *models: str) -> Result:
    return make_checker("list-append", CheckConfig(consistency_models=models)).check(h)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 8), st.integers(1, 6))
def test_serializable_mode_is_always_strict_serializable(seed: int, conc: int, keys: int) -> None:
    h = run("serializable", seed, ops=150, concurrency=conc, keys=keys)
    r = judge(h)  # default: strict-serializable
    assert r.valid is True, (r.anomaly_types, r.anomalies[:1])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6))
def test_snapshot_isolation_mode_satisfies_strong_snapshot_isolation(seed: int) -> None:
    r = judge(run("snapshot-isolation", seed, ops=200), "strong-snapshot-isolation")
    assert r.valid is True, (r.anomaly_types, r.anomalies[:1])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10**6))
def test_read_committed_mode_satisfies_read_committed(seed: int) -> None:
    r = judge(run("read-committed", seed, ops=200), "read-committed")
    assert r.valid is True, (r.anomaly_types, r.anomalies[:1])


def test_weaker_modes_show_their_anomalies() -> None:
    si = judge(run("snapshot-isolation", 1, ops=1500, keys=2), "serializable")
    assert si.valid is False and "G2-item" in si.anomaly_types
    assert not {"G-single", "G1c", "G0", "lost-update"} & set(si.data["anomaly_counts"])
    rc = judge(run("read-committed", 1, ops=1500, keys=2), "snapshot-isolation")
    assert rc.valid is False and {"G-single", "lost-update"} & set(rc.anomaly_types)
    none = judge(run("none", 1, ops=800, keys=2), "read-committed")
    assert none.valid is False and "G1b" in none.anomaly_types


def txn(store: MemoryStore, process: int, *mops: list) -> Op:
    return Op(0, 0, "invoke", process, "txn", [list(m) for m in mops])


def test_snapshot_isolation_first_committer_wins() -> None:
    store = MemoryStore(MemoryOptions(isolation="snapshot-isolation", latency_ms=0.0))

    async def go() -> list[Op]:
        a, b = await store.open_client(0), await store.open_client(1)
        return list(await asyncio.gather(
            a.invoke(txn(store, 0, ["r", "x", None], ["append", "x", 1])),
            b.invoke(txn(store, 1, ["r", "x", None], ["append", "x", 2]))))

    first, second = asyncio.run(go())
    assert first.type == "ok" and second.type == "fail" and second.error == "write-conflict"
    assert store.data.latest("x")[1] == (1,)


def test_none_mode_shows_uncommitted_writes() -> None:
    store = MemoryStore(MemoryOptions(isolation="none", latency_ms=0.0))

    async def go() -> list[Op]:
        a, b = await store.open_client(0), await store.open_client(1)
        return list(await asyncio.gather(
            a.invoke(txn(store, 0, ["append", "x", 1], ["r", "y", None], ["append", "x", 2])),
            b.invoke(txn(store, 1, ["r", "y", None], ["r", "x", None]))))

    _, reader = asyncio.run(go())
    assert reader.value[1] == ["r", "x", [1]]  # the intermediate state of the other txn


def test_unknown_isolation_is_a_usage_error() -> None:
    from isolde._errors import UsageError

    with pytest.raises(UsageError, match="unknown --isolation"):
        MemoryStore(MemoryOptions(isolation="chaos"))
