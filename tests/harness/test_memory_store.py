"""The embedded store's guarantees hold by construction; these pin them down."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from isolde.harness import Forgetting, Limit, RunLimits, Runner
from isolde.harness.stores._replicated import Lag, ReplicatedLog
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op
from isolde.workloads import KeyScoped, WorkloadOptions, make_workload

MS = 1_000_000


def test_strong_reads_latest() -> None:
    log = ReplicatedLog(followers=2, lag=Lag(50), seed=1)
    log.append("k", 1, 0)
    log.append("k", 2, 1)
    assert log.read("k", "strong", 2) == (1, 2)


def test_eventual_can_be_stale_and_converges() -> None:
    log = ReplicatedLog(followers=2, lag=Lag(50, "fixed"), seed=1)
    log.append("k", 1, 0)
    assert log.read("k", "eventual", 10 * MS) == (-1, None)  # not yet replicated
    assert log.read("k", "eventual", 51 * MS) == (0, 1)


def test_consistent_prefix_never_skips() -> None:
    log = ReplicatedLog(followers=1, lag=Lag(10), seed=3)
    for i in range(200):
        log.append("a" if i % 2 == 0 else "b", i, i * MS)
    for t in range(0, 400, 3):
        pa, _ = log.read("a", "consistent-prefix", t * MS)
        pb, _ = log.read("b", "consistent-prefix", t * MS)
        # a prefix: if b's version p is visible, every earlier a is visible too
        assert pa >= pb - 1 or pb == -1


def test_session_reads_own_writes() -> None:
    log = ReplicatedLog(followers=2, lag=Lag(1000, "fixed"), seed=1)
    pos = log.append("k", 7, 0)
    assert log.read("k", "session", 1, session_token=pos) == (pos, 7)
    assert log.read("k", "session", 1, session_token=-1) == (-1, None)


def test_bounded_staleness_time_bound() -> None:
    log = ReplicatedLog(followers=2, lag=Lag(1000, "fixed"), seed=1, bounded_ms=100,
                        bounded_versions=1000)
    log.append("k", 1, 0)
    assert log.read("k", "bounded", 50 * MS) == (-1, None)  # within 100 ms: may be stale
    assert log.read("k", "bounded", 150 * MS) == (0, 1)  # beyond: must be fresh


def test_isolated_follower_applies_nothing_until_healed() -> None:
    log = ReplicatedLog(followers=1, lag=Lag(1, "fixed"), seed=1)
    log.isolate(0, 0)
    log.append("k", 1, 0)
    assert log.read("k", "eventual", 100 * MS) == (-1, None)
    log.heal(0, 100 * MS)
    assert log.read("k", "eventual", 102 * MS) == (0, 1)


def test_client_cas_and_txn() -> None:
    store = MemoryStore(MemoryOptions(seed=1))

    async def go() -> list[Op]:
        c = await store.open_client(0)
        out = []
        for f, v in [("cas", [1, [None, 1]]), ("cas", [1, [5, 2]]), ("read", [1, None]),
                     ("txn", [["append", 2, 1], ["append", 2, 2], ["r", 2, None]])]:
            out.append(await c.invoke(Op(0, 0, "invoke", 0, f, v)))
        return out

    a, b, r, t = asyncio.run(go())
    assert a.type == "ok" and b.type == "fail" and r.value == [1, 1]
    assert t.value[2] == ["r", 2, [1, 2]]


@pytest.mark.parametrize("mode", ["strong", "bounded", "session", "consistent-prefix", "eventual"])
def test_every_mode_reads(mode: str) -> None:
    log = ReplicatedLog(followers=2, seed=2)
    log.append("k", 1, 0)
    pos, val = log.read("k", mode, 10**12)
    assert (pos, val) == (0, 1)


@pytest.mark.parametrize("writers", ["primary", "lww"])
def test_a_forgotten_segment_leaves_no_keys_and_no_sessions(tmp_path: Path, writers: str) -> None:
    """What a soak asks at a segment's end (Forgetting): the store then holds nothing of it."""
    store = MemoryStore(MemoryOptions(writers=writers, lag_ms=0.5))
    workload = make_workload("register", WorkloadOptions(
        seed=1, concurrency=4, read_consistency="eventual", ops_per_key=20))
    runner = Runner(store=store, generator=Limit(3_000, workload.generator()),
                    final=workload.final_generator(), limits=RunLimits(concurrency=4),
                    history_path=tmp_path / "h.jsonl")
    asyncio.run(runner.run())
    assert isinstance(store, Forgetting) and isinstance(workload, KeyScoped)
    named = workload.keys_named()
    held = store.lww.keys if store.lww is not None else store.data.written_keys()
    assert len(named) > 100 and set(held) <= set(named)
    time.sleep(0.05)  # every replica has every write (lag 0.5 ms)
    store.forget(named)
    if store.lww is None:
        for _ in range(5_000):  # the next segment's writes: compaction reaches the old tail
            store.data.append("next", 0, store.now())
        store.data.compact(store.now())
    held = store.lww.keys if store.lww is not None else store.data.written_keys()
    assert not set(held) & set(named)
    assert not store.sessions
