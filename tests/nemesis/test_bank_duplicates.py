"""Bank transfers under duplicated requests, with and without idempotency tokens (memory store).

The bank checker judges totals, and a transfer applied twice still conserves the total, so it
stays valid either way; the damage shows in a ledger oracle: the final balances must equal the
initial ones plus the transfers that completed ok. With tokens they do; without, they do not.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from isolde.checkers import CheckConfig, compose, run_checkers
from isolde.harness import Context, Generator, OpSpec, RunLimits, Runner, TimeLimit
from isolde.harness.stores.memory import MemoryOptions, MemoryStore
from isolde.histories import History
from isolde.nemesis import NemesisOptions, make_nemesis
from isolde.workloads._base import WorkloadOptions, make_workload


class WithTokens:
    """Gives every transfer its own idempotency token (op field ``token``)."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self.n = itertools.count()

    def next(self, ctx: Context) -> Any:
        ans = self.gen.next(ctx)
        if isinstance(ans, OpSpec) and ans.f == "transfer":
            return OpSpec(ans.f, ans.value, {**ans.extra, "token": f"t{next(self.n)}"})
        return ans


def _run(tokens: bool) -> tuple[History, dict[str, Any], dict[int, int], MemoryStore]:
    wl: Any = make_workload("bank", WorkloadOptions(seed=4, options={"accounts": 4,
                                                                     "total": 400}))
    store = MemoryStore(MemoryOptions(seed=4, latency_ms=0.2))
    nem = make_nemesis(["duplicate"], store, NemesisOptions(interval=0.3, seed=4))
    gen: Generator = TimeLimit(1.5, wl.generator())
    runner = Runner(store, WithTokens(gen) if tokens else gen, RunLimits(concurrency=4, seed=4),
                    final=wl.final_generator(), setup=wl.setup_generator(),
                    background=[nem.run])
    h = asyncio.run(runner.run())
    results = compose(run_checkers(h, ["bank"], CheckConfig(options=wl.checker_options())))
    return h, results, wl.initial(), store


def _ledger_mismatch(h: History, initial: dict[int, int]) -> dict[int, int]:
    expected = dict(initial)
    final: dict[int, int] | None = None
    for inv, done in h.pairs():
        if done is None or not done.is_ok:
            continue
        if inv.f == "transfer":
            v = inv.value
            expected[v["from"]] -= v["amount"]
            expected[v["to"]] += v["amount"]
        elif inv.f == "read":
            final = {int(k): b for k, b in done.value.items()}
    assert final is not None
    return {a: final[a] - expected[a] for a in initial if final[a] != expected[a]}


def test_idempotent_transfers_stay_exact_under_duplicates() -> None:
    h, results, initial, store = _run(tokens=True)
    assert results["valid"] is True
    assert store.faults.duplicates_applied > 10  # copies did arrive, and were deduplicated
    assert not any(op.is_info for op in h if op.f == "transfer")
    assert _ledger_mismatch(h, initial) == {}


def test_without_tokens_duplicates_apply_twice_and_the_ledger_shows_it() -> None:
    h, results, initial, store = _run(tokens=False)
    assert store.faults.duplicates_applied > 10
    # Totals are conserved by a transfer applied twice: the bank checker cannot object...
    assert results["checkers"]["bank"]["valid"] is True
    # ...but the balances are not what the acknowledged transfers add up to.
    assert _ledger_mismatch(h, initial) != {}
