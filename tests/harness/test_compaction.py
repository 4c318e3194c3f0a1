"""The embedded store's log compaction: bounded memory, and no read of any mode can tell."""

from __future__ import annotations

import random

import pytest

from isolde.harness import READ_MODES
from isolde.harness.stores import _replicated
from isolde.harness.stores._replicated import Lag, ReplicatedLog


def _drive(log: ReplicatedLog, seed: int, steps: int) -> list[tuple[int, object]]:
    """Writes, reads of every mode, partitions and heals at a fake clock; returns the reads."""
    rng = random.Random(seed)
    now = 0
    out: list[tuple[int, object]] = []
    sessions: dict[int, int] = {}
    for _ in range(steps):
        now += rng.randint(0, 400_000)  # up to 0.4 ms a step
        r = rng.random()
        key = rng.randrange(20)
        if r < 0.45:
            pos = log.append(key, rng.random(), now)
            sessions[key % 4] = pos
        elif r < 0.997:
            proc = key % 4
            pos, val = log.read(key, rng.choice(READ_MODES), now, sessions.get(proc, -1))
            sessions[proc] = max(sessions.get(proc, -1), pos)
            out.append((pos, val))
        else:
            f = rng.randrange(len(log.followers))
            if log.followers[f].isolated_since is None:
                log.isolate(f, now)
            else:
                log.heal(f, now)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reads_are_the_same_with_and_without_compaction(seed: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def log() -> ReplicatedLog:
        return ReplicatedLog(followers=2, lag=Lag(2.0), seed=seed, bounded_versions=5,
                             bounded_ms=3.0)

    monkeypatch.setattr(_replicated, "COMPACT_EVERY", 10**9)
    full = log()
    expected = _drive(full, seed, 40_000)
    monkeypatch.setattr(_replicated, "COMPACT_EVERY", 256)
    compacted = log()
    assert _drive(compacted, seed, 40_000) == expected
    assert full.base == 0
    assert compacted.base > 15_000  # it did compact...
    assert len(compacted.log_value) < len(full.log_value) // 4  # ...and keeps little
    assert sum(map(len, compacted.versions.values())) < len(compacted.log_value) + 1


def test_open_snapshots_keep_their_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_replicated, "COMPACT_EVERY", 8)
    log = ReplicatedLog(followers=1, lag=Lag(0.0), seed=0)
    log.append("x", 1, 0)
    snap = log.head()
    log.pin(snap)
    for i in range(100):
        log.append("x", i + 2, 10 + i)
    assert log.value_at("x", snap) == 1  # the pinned snapshot still reads its version
    assert log.base <= snap + 1
    log.unpin(snap)
    for i in range(16):
        log.append("x", 200 + i, 1000 + i)
    assert log.base > snap + 1
    assert log.latest("x") == (log.head(), 215)
    assert log.value_at("x", log.head() - 1) == 214


def test_forgotten_keys_leave_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A soak's finished segment: its keys go, those still in the log when compaction reaches
    them; every other key reads as before."""
    monkeypatch.setattr(_replicated, "COMPACT_EVERY", 64)
    log = ReplicatedLog(followers=2, lag=Lag(0.0), seed=1)
    now = 0
    for i in range(1_000):  # segment 0: keys 0..99; segment 1's first keys 1000..1009
        now += 1_000
        log.append(i % 100, i, now)
        log.append(1_000 + i % 10, i, now)
    assert log.versions.keys() & set(range(100))  # the tail of the log still holds some
    log.forget(range(100))
    assert not log.floor.keys() & set(range(100))
    before = {k: log.latest(k) for k in range(1_000, 1_010)}
    for i in range(200):  # segment 1 goes on: compaction reaches segment 0's last versions
        now += 1_000
        log.append(1_000 + i % 10, -i, now)
    assert not log.written_keys() & set(range(100))
    assert not log.forgotten
    assert all(log.latest(k)[1] <= 0 for k in before)  # segment 1's keys kept their writes
    assert len(log.floor) == 10
