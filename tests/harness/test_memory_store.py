"""The embedded store's guarantees hold by construction; these pin them down."""

from __future__ import annotations

import asyncio

import pytest

from isolde.harness.stores._replicated import Lag, ReplicatedLog
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import Op

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
