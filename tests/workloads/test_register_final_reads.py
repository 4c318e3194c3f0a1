"""The register workload's final reads: every key used is read after the load, in rounds until
its reads agree; a store whose replicas never converge is invalid, one that converges late is
valid."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from isolde.harness import Scenario, run_scenario
from isolde.histories import History, Op
from isolde.workloads import register


class TwoReplicas:
    """A register store: a primary (strong reads, writes, cas) and a follower (weak reads) that
    applies each write ``lag`` seconds later -- or, with ``drop_even``, never the writes of an
    even key (its replicas never converge)."""

    name = "two-replicas"
    capabilities = frozenset({"register", "cas", "read-modes"})

    def __init__(self, lag: float, drop_even: bool) -> None:
        self.lag, self.drop_even = lag, drop_even
        self.primary: dict[Any, Any] = {}
        self.follower: dict[Any, Any] = {}

    async def setup(self) -> None: ...

    async def teardown(self) -> None: ...

    async def open_client(self, worker: int) -> TwoReplicas:
        return self

    async def close(self) -> None: ...

    def _replicate(self, k: Any, v: Any) -> None:
        if not (self.drop_even and k % 2 == 0):
            asyncio.get_running_loop().call_later(self.lag, self.follower.__setitem__, k, v)

    async def invoke(self, op: Op) -> Op:
        await asyncio.sleep(0.001)
        k, arg = op.value
        if op.f == "read":
            strong = op.extra.get("consistency", "strong") == "strong"
            return op.complete("ok", [k, (self.primary if strong else self.follower).get(k)])
        if op.f == "cas":
            old, arg = arg
            if self.primary.get(k) != old:
                return op.complete("fail", op.value, error="precondition-failed")
        self.primary[k] = arg
        self._replicate(k, arg)
        return op.complete("ok", op.value)


def _run(tmp_path: Path, store: TwoReplicas, mode: str = "eventual") -> tuple[History, Any]:
    s = Scenario(time_limit=1.0, max_ops=600, concurrency=4, seed=3, store_dir=tmp_path,
                 workload_options={"read_consistency": mode, "keys": 4, "ops_per_key": 40})
    out = run_scenario(s, store=store)
    return out.history, out.results["checkers"]


def _final_reads(h: History) -> list[Op]:
    return [op for op in h if op.type == "ok" and op.f == "read" and op.extra.get("final")]


def test_a_store_that_never_converges_is_caught(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(register, "CONVERGE_WITHIN_S", 1.0)
    h, checkers = _run(tmp_path, TwoReplicas(lag=0.0, drop_even=True))
    rp = checkers["read-promises"]
    assert rp["valid"] is False
    assert set(rp["anomaly_counts"]) == {"eventual:convergence"}
    keys = {a["key"] for a in rp["anomalies"]}
    assert keys and all(k % 2 == 0 for k in keys)
    rounds = {op.extra["round"] for op in _final_reads(h)}
    assert len(rounds) > 2  # it re-read the diverged keys until the time was up


def test_a_store_that_converges_late_is_valid(tmp_path: Path) -> None:
    h, checkers = _run(tmp_path, TwoReplicas(lag=1.0, drop_even=False))
    assert checkers["read-promises"]["valid"] is True, checkers["read-promises"]["anomalies"][:2]
    finals = _final_reads(h)
    written = {op.value[0] for op in h if op.f in ("write", "cas") and op.type == "invoke"}
    assert written and written <= {op.value[0] for op in finals}  # every key used is read
    assert {op.extra["consistency"] for op in finals} == {"strong", "eventual"}
    # The first round saw the follower behind; a later one saw it caught up, and counts.
    assert max(op.extra["round"] for op in finals) >= 1


def test_strong_final_reads_are_judged_linearizable(tmp_path: Path) -> None:
    # With strong reads only, the final reads go to the primary: one round, judged with the rest.
    h, checkers = _run(tmp_path, TwoReplicas(lag=0.0, drop_even=True), mode="strong")
    assert checkers["linearizable"]["valid"] is True
    finals = _final_reads(h)
    assert finals and {op.extra["round"] for op in finals} == {0}
    assert {op.extra["consistency"] for op in finals} == {"strong"}


def _drive(gen: register.FinalReads, answer: Any, until_done: bool = True) -> list[Op]:
    """Run ``gen`` by hand: each read is answered at once by ``answer(op)`` (a value, or None
    for a read that failed); returns the reads, in the order handed out."""
    import random

    from isolde.harness import Context, OpSpec, Wait

    rng, now, reads = random.Random(0), 0, []
    while True:
        ans = gen.next(Context(now, 0, 0, 1, rng))
        if ans is None:
            return reads
        if isinstance(ans, Wait):
            now = max(now + 1, ans.until)
            continue
        assert isinstance(ans, OpSpec)
        op = Op(len(reads), now, "invoke", 0, ans.f, ans.value, None, ans.extra)
        reads.append(op)
        value = answer(op)
        gen.completed(op.complete("fail", op.value) if value is None
                      else op.complete("ok", [op.value[0], value]))


def test_rounds_reread_only_the_keys_that_failed_or_disagreed() -> None:
    gen = register.FinalReads(lambda: range(10, 14), ("strong", "eventual"), within_s=1.0)
    state = {"round": 0}

    def answer(op: Op) -> Any:
        key, mode, rnd = op.value[0], op.extra["consistency"], op.extra["round"]
        state["round"] = rnd
        if rnd == 0 and key == 11 and mode == "eventual":
            return "stale"  # disagrees with the strong read: another round
        if rnd == 0 and key == 13:
            return None  # failed: another round
        return "v"

    reads = _drive(gen, answer)
    first = [(op.value[0], op.extra["consistency"]) for op in reads if op.extra["round"] == 0]
    assert first == [(k, m) for k in range(10, 14) for m in ("eventual", "strong")]
    again = {op.value[0] for op in reads if op.extra["round"] == 1}
    assert again == {11, 13}
    assert max(op.extra["round"] for op in reads) == 1  # they agreed in round 1: done


def test_a_round_of_final_reads_is_not_built_up_front() -> None:
    """A 1M-op soak segment retires about 5,000 keys: a first round built as a list of reads
    was 9 MB made and dropped at every segment's end, and the soak process's RSS kept part of
    each such peak (+2.5 MB a 5-minute segment). A round is now its range of keys."""
    import random
    import tracemalloc

    from isolde.harness import Context, OpSpec

    keys = range(50_000)
    gen = register.FinalReads(lambda: keys, ("strong", "bounded", "eventual"), within_s=10.0)
    tracemalloc.start()
    try:
        ans = gen.next(Context(0, 0, 0, 1, random.Random(0)))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(ans, OpSpec) and ans.value == [0, None]
    assert held < 64 * 1024, held  # 150,000 reads built up front: about 50 MB
