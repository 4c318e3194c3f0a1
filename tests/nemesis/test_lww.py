"""Multi-writer last-writer-wins mode: linearizable without skew, lost updates with it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from isolde.harness import Scenario, run_scenario
from isolde.harness.stores._lww import LWWReplicas
from isolde.harness.stores._replicated import Lag
from isolde.nemesis import WindowIndex, fault_windows

from ._stale import stale_reads

MS = 1_000_000


def test_no_skew_the_latest_write_wins() -> None:
    r = LWWReplicas(3, Lag(10, "fixed"), seed=1)
    r.write("k", 1, 0, 0)
    r.write("k", 2, 1, 1 * MS)
    assert r.merged("k") == 2
    assert r.view("k", 2, 5 * MS) is None  # not replicated yet
    assert r.view("k", 2, 12 * MS) == 2


def test_a_behind_clock_loses_an_acknowledged_write() -> None:
    r = LWWReplicas(2, Lag(1, "fixed"), seed=1)
    r.set_skew(1, -500)
    r.write("k", 1, 0, 100 * MS)
    r.write("k", 2, 1, 200 * MS)  # later in real time, stamped 300 ms earlier
    assert r.merged("k") == 1  # the second write is lost
    r.clear_skew()
    r.write("k", 3, 1, 300 * MS)
    assert r.merged("k") == 3


def test_isolated_replica_neither_sends_nor_receives_until_healed() -> None:
    r = LWWReplicas(3, Lag(1, "fixed"), seed=1)
    r.isolate(2, 0)
    r.write("k", 1, 0, 0)
    r.write("j", 9, 2, 0)
    assert r.view("k", 2, 50 * MS) is None and r.view("j", 0, 50 * MS) is None
    assert r.view("k", 1, 50 * MS) == 1
    r.heal(2, 60 * MS)
    assert r.view("k", 2, 62 * MS) == 1 and r.view("j", 0, 62 * MS) == 9


def _run(tmp: Path, nemesis: tuple[str, ...]) -> Scenario:
    return Scenario(
        time_limit=2.5, concurrency=5, seed=5, store_dir=tmp, nemesis=nemesis,
        nemesis_interval=0.4, op_timeout=0.5, checkers=("stats",),
        store_options={"writers": "lww", "latency_ms": 0.3, "lag_ms": 1.0},
        workload_options={"keys": 3, "read_consistency": "strong"},
    )


def test_clock_skew_shows_lost_updates_inside_windows(tmp_path: Path) -> None:
    calm = run_scenario(_run(tmp_path / "calm", ()))
    assert stale_reads(calm.history)[0] == []  # no skew: strong reads never miss a write
    skewed = run_scenario(_run(tmp_path / "skew", ("clock-skew",)))
    stale, _ = stale_reads(skewed.history)
    windows = fault_windows(skewed.history)
    assert windows and all(w.value["skew_ms"] != 0 for w in windows)
    assert len(stale) > 10
    # A lost update shows up while (or, for a clock that ran ahead, after) a skew is in place:
    # never before the first fault started.
    assert all(skewed.history.times[i] > windows[0].start for i in stale)
    assert any(WindowIndex(windows).covers(skewed.history.times[i]) for i in stale)


def _drive_lww(r: LWWReplicas, seed: int, steps: int) -> list[object]:
    """Writes, one-replica and merged reads, skews, partitions and heals at a monotonic fake
    clock; returns what the reads saw."""
    rng = random.Random(seed)
    now, out = 0, []
    for _ in range(steps):
        now += rng.randint(0, 400_000)
        x, key, replica = rng.random(), rng.randrange(10), rng.randrange(r.n)
        if x < 0.45:
            r.write(key, rng.random(), replica, now)
        elif x < 0.99:
            out.append(r.view(key, replica, now) if x < 0.9 else r.merged(key))
        elif x < 0.995:
            r.set_skew(replica, rng.uniform(-5, 5))
        elif replica in r.isolated:
            r.heal(replica, now)
        else:
            r.isolate(replica, now)
    return out


def _settle(r: LWWReplicas) -> list[object]:
    """Heal everything, let it settle, read every key once more."""
    for replica in list(r.isolated):
        r.heal(replica, 10**12)
    return [r.view(k, 0, 2 * 10**12) for k in range(10)]


@pytest.mark.parametrize("seed", [1, 2])
def test_pruning_keeps_every_read_the_same_and_memory_small(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    pruned = LWWReplicas(3, Lag(2.0), seed=seed)
    got = _drive_lww(pruned, seed, 6_000) + _settle(pruned)
    assert all(len(writes) == 1 for writes in pruned.keys.values())  # only the winner is left
    # ...and it keeps no arrival list of its own: a soak's retired keys each hold one such write
    assert all(w.arrive is pruned.settled_arrivals for [w] in pruned.keys.values())
    monkeypatch.setattr(LWWReplicas, "_prune", lambda self, key, now: None)
    full = LWWReplicas(3, Lag(2.0), seed=seed)
    assert _drive_lww(full, seed, 6_000) + _settle(full) == got
    assert sum(map(len, full.keys.values())) > 2_400
