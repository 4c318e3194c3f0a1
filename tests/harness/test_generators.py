from __future__ import annotations

import random

from isolde.harness import (
    Context,
    EachWorker,
    FnGen,
    Independent,
    Limit,
    Mix,
    Once,
    OpSpec,
    Phases,
    TimeLimit,
    Wait,
    rate,
)


def ctx(t: int = 0, worker: int = 0, seed: int = 0) -> Context:
    return Context(t, worker, worker, 4, random.Random(seed))


def drain(gen, c: Context, n: int = 10_000) -> list:
    out = []
    for _ in range(n):
        a = gen.next(c)
        if a is None:
            break
        out.append(a)
    return out


def test_limit_and_phases() -> None:
    g = Phases(Limit(3, FnGen(lambda c: OpSpec("a"))), Once(OpSpec("b")))
    assert [a.f for a in drain(g, ctx())] == ["a", "a", "a", "b"]


def test_a_limit_shared_by_then_caps_both_generators() -> None:
    load = Limit(5, Limit(3, FnGen(lambda c: OpSpec("a"))))
    final = load.then(FnGen(lambda c: OpSpec("f")))
    assert [a.f for a in drain(load, ctx())] == ["a", "a", "a"]
    assert [a.f for a in drain(final, ctx())] == ["f", "f"]  # what the load left of the 5
    assert drain(load, ctx()) == []


def test_mix_is_seeded() -> None:
    def run(seed: int) -> list[str]:
        g = Limit(50, Mix([FnGen(lambda c: OpSpec("x")), FnGen(lambda c: OpSpec("y"))]))
        return [a.f for a in drain(g, ctx(seed=seed))]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_time_limit() -> None:
    g = TimeLimit(1.0, FnGen(lambda c: OpSpec("a")))
    assert isinstance(g.next(ctx(0)), OpSpec)
    assert g.next(ctx(2_000_000_000)) is None


def test_rate_waits_between_ops() -> None:
    g = rate(10, FnGen(lambda c: OpSpec("a")))
    assert isinstance(g.next(ctx(0)), OpSpec)
    w = g.next(ctx(1))
    assert isinstance(w, Wait) and w.until == 100_000_000


def test_independent_bounds_ops_per_key() -> None:
    g = Independent(lambda k: FnGen(lambda c: OpSpec("read")), active=2, ops_per_key=3)
    ops = drain(Limit(30, g), ctx())
    keys = [a.value[0] for a in ops]
    assert max(keys.count(k) for k in set(keys)) == 3
    assert g.keys_used >= 10


def test_each_worker() -> None:
    g = EachWorker(lambda w: Once(OpSpec("final", w)))
    assert g.next(ctx(worker=0)).value == 0
    assert g.next(ctx(worker=0)) is None
    assert g.next(ctx(worker=1)).value == 1


def test_a_capped_run_keeps_room_for_its_final_phase() -> None:
    """On a store that costs money the final ops count against --max-ops (cap_final); the load
    stops a tenth of the cap short so the final phase (the outbox's read, convergence reads)
    always runs, and the two together never pass the cap."""
    from isolde.harness import Generator, Scenario
    from isolde.harness._scenario import build_generators

    def drain(gen: Generator | None) -> int:
        assert gen is not None
        n = 0
        while (ans := gen.next(Context(0, 0, 0, 1, random.Random(0)))) is not None:
            n += isinstance(ans, OpSpec)
        return n

    def endless(f: str) -> FnGen:
        return FnGen(lambda c: OpSpec(f, None))

    load, final = build_generators(Scenario(max_ops=20), endless("w"), endless("r"),
                                   cap_final=True)
    assert (drain(load), drain(final)) == (18, 2)
    load, final = build_generators(Scenario(max_ops=20), Limit(5, endless("w")),
                                   endless("r"), cap_final=True)
    assert (drain(load), drain(final)) == (5, 15)  # what the load left unused, too
    load, final = build_generators(Scenario(max_ops=20), endless("w"), endless("r"))
    assert drain(load) == 20 and final is not None  # the final phase uncapped otherwise
