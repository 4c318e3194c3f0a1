"""The causal checker's numpy paths against its pure-Python ones — bad patterns
(``_causal_vc``) and session guarantees (``_sessions_np``): the same anomalies, counted alike,
explained alike and listed in the same order, on random register and list-append histories
(cyclic ones included) and on a larger history of the kind the benchmark checks."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from isolde.checkers._causal_model import CausalModel, Findings, from_list_append, from_registers
from isolde.checkers._causal_patterns import check_patterns
from isolde.checkers._registers import decode
from isolde.checkers._sessions import SESSION_TYPES, check_sessions
from isolde.histories import History, Op

from ._hist import Builder
from .test_causal_oracle import histories


def findings(m: CausalModel, vectorised: bool, cap: int,
             judged: Callable[[int], bool] | None = None) -> tuple[Any, ...]:
    out = Findings(cap)
    check_sessions(m, out, judged, vectorised=vectorised)
    notes = check_patterns(m, out, vectorised=vectorised)
    return (out.counts, [(a.type, a.ops, a.explanation, a.data) for a in out.listed], notes)


def assert_same(m: CausalModel, cap: int = 2) -> dict[str, int]:
    walk = findings(m, False, cap)
    assert findings(m, True, cap) == walk

    def judged(r: int) -> bool:  # as read-promises judges only some reads (session ones)
        return r % 3 != 1

    assert findings(m, True, cap, judged) == findings(m, False, cap, judged)
    counts: dict[str, int] = walk[0]
    return counts


@settings(max_examples=300, deadline=None)
@given(histories())
def test_registers_same_as_the_walk(h: History) -> None:
    assert_same(from_registers(decode(h)))


@st.composite
def list_append_histories(draw: Any) -> History:
    """Processes appending unique values to two keys and reading prefixes of one order per key
    (now and then a list that is no prefix), at random times: reads may see appends that come
    later in real time or in their own process, so causal cycles occur too."""
    plan: list[list[tuple[str, int | None]]] = []  # per process: (key, appended value or None)
    appended: dict[str, list[int]] = {"x": [], "y": []}
    n = 0
    for _p in range(draw(st.integers(2, 4))):
        steps: list[tuple[str, int | None]] = []
        for _ in range(draw(st.integers(1, 5))):
            k = draw(st.sampled_from(["x", "y"]))
            if draw(st.booleans()):
                n += 1
                appended[k].append(n)
                steps.append((k, n))
            else:
                steps.append((k, None))
        plan.append(steps)
    order = {k: draw(st.permutations(vs)) for k, vs in appended.items()}
    events: list[tuple[int, int, Op]] = []
    for p, steps in enumerate(plan):
        t = draw(st.integers(0, 5))
        for k, v in steps:
            if v is not None:
                before = after = [["append", k, v]]
            else:
                seen = list(order[k][:draw(st.integers(0, len(order[k])))])
                if seen and draw(st.integers(0, 9)) == 0:
                    seen.reverse()
                before, after = [["r", k, None]], [["r", k, seen]]
            end = t + draw(st.integers(1, 6))
            events.append((t, len(events), Op(0, 0, "invoke", p, "txn", before)))
            events.append((end, len(events), Op(0, 0, "ok", p, "txn", after)))
            t = end + draw(st.integers(0, 3))
    events.sort(key=lambda e: (e[0], e[1]))
    return History(op.with_(index=i, time=t * 1000) for i, (t, _n, op) in enumerate(events))


@settings(max_examples=300, deadline=None)
@given(list_append_histories())
def test_list_append_same_as_the_walk(h: History) -> None:
    assert_same(from_list_append(h))


def stale_register_history(ops: int, processes: int, seed: int) -> History:
    """Clients reading values a random few writes old (stale, sometimes older than their own
    writes; now and then the initial value) on keys that retire after 40 ops: hundreds of
    findings of each pattern."""
    rng = random.Random(seed)
    b = Builder()
    written: dict[int, list[int]] = {}
    clock = [0.0] * processes
    key, left = 0, 40
    for _ in range(ops):
        p = rng.randrange(processes)
        start = clock[p] = clock[p] + rng.random()
        end = clock[p] = start + rng.random()
        if rng.random() < 0.5:
            vs = written.setdefault(key, [])
            vs.append(len(vs) + 1)
            b.w(p, key, vs[-1], start, end)
        else:
            k = max(0, key - rng.randrange(2))
            vs = written.get(k, [])
            v = (vs[-1 - min(len(vs) - 1, int(rng.expovariate(0.5)))]
                 if vs and rng.random() > 0.02 else None)
            b.r(p, k, v, start, end)
        left -= 1
        if not left:
            key, left = key + 1, 40
    return b.build()


def test_large_history_same_as_the_walk() -> None:
    counts = assert_same(from_registers(decode(stale_register_history(6000, 6, 1))), cap=5)
    assert all(counts.get(t) for t in ("WriteCORead", "WriteCOInitRead", "CyclicCF",
                                       *SESSION_TYPES)), counts


def test_furthest_point_through_another_key_survives_a_newer_read() -> None:
    """p writes y=1, x=1, y=2; q reads x=1, then y=2 (its furthest point in p is now through y,
    and through another key still x=1's), then y's initial value: monotonic-writes (y=1 came
    before x=1, which q saw), found alike by both paths."""
    b = Builder()
    b.w(0, "y", 1, 0, 1)
    b.w(0, "x", 1, 2, 3)
    b.w(0, "y", 2, 4, 5)
    b.r(1, "x", 1, 6, 7)
    b.r(1, "y", 2, 8, 9)
    b.r(1, "y", None, 10, 11)
    counts = assert_same(from_registers(decode(b.build())))
    assert counts["monotonic-writes"] == 1, counts
